/* test_spec.c -- method specs, parameter tables, sweeps, the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "testutil.h"

static void test_plain_names(void **state)
{
    (void)state;
    ckr_spec *s = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list("nleep,leep", &s, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].text, "nleep");
    assert_string_equal(s[1].text, "leep");
    assert_string_equal(s[0].method->name, "nleep");
    /* defaults come from the table */
    assert_close(ckr_param_double(&s[0].params, "pca"), 0.8, 0);
    assert_int_equal(ckr_param_int(&s[0].params, "ratio"), 5);
    assert_string_equal(ckr_param_str(&s[0].params, "cov"), "full");
    assert_int_equal(ckr_param_given(&s[0].params, "pca"), 0);
    free(s);
}

static void test_params_and_commas(void **state)
{
    (void)state;
    ckr_spec *s = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list("nleep:pca=0.9,ratio=3,cov=diag,leep", &s, &n, &err), 0);
    assert_int_equal(n, 2);
    /* the method column is the spec exactly as written */
    assert_string_equal(s[0].text, "nleep:pca=0.9,ratio=3,cov=diag");
    assert_close(ckr_param_double(&s[0].params, "pca"), 0.9, 0);
    assert_int_equal(ckr_param_int(&s[0].params, "ratio"), 3);
    assert_string_equal(ckr_param_str(&s[0].params, "cov"), "diag");
    assert_int_equal(ckr_param_given(&s[0].params, "ratio"), 1);
    assert_string_equal(s[1].text, "leep");
    free(s);
}

static void test_sweep_expands(void **state)
{
    (void)state;
    ckr_spec *s = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list("nleep:ratio=1|2|5,pca=0.7|0.9", &s, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_string_equal(s[0].text, "nleep:ratio=1,pca=0.7");
    assert_string_equal(s[1].text, "nleep:ratio=1,pca=0.9");
    assert_string_equal(s[5].text, "nleep:ratio=5,pca=0.9");
    assert_string_equal(s[5].sweep, "nleep:ratio=1|2|5,pca=0.7|0.9");
    assert_int_equal(ckr_param_int(&s[3].params, "ratio"), 2);
    assert_close(ckr_param_double(&s[3].params, "pca"), 0.9, 0);
    free(s);
}

static void expect_error(const char *list, int code, const char *needle)
{
    ckr_spec *s = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list(list, &s, &n, &err), code);
    if (!strstr(err.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", err.msg, needle);
        fail();
    }
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("nope", CKR_EARG, "unknown method 'nope'");
    expect_error("nleep:foo=1", CKR_EARG, "unknown parameter 'foo'");
    expect_error("nleep:pca=abc", CKR_EARG, "pca=abc is not a number");
    expect_error("nleep:ratio=2.5", CKR_EARG, "ratio=2.5 is not an integer");
    expect_error("nleep:cov=spherical", CKR_EARG, "not one of full|diag");
    expect_error("nleep:pca", CKR_EARG, "is not key=value");
    expect_error("nleep,nleep", CKR_EARG, "listed twice");
    expect_error("", CKR_EARG, "no method");
    expect_error("leep:x=1", CKR_EARG, "unknown parameter 'x'");
    expect_error("nleep:ratio=1|x", CKR_EARG, "ratio=x is not an integer");
}

static void test_single_parse_rejects_sweep(void **state)
{
    (void)state;
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("nleep:ratio=1|2", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("nleep:ratio=2", &s, &err), 0);
    assert_int_equal(ckr_param_int(&s.params, "ratio"), 2);
}

static void test_registry(void **state)
{
    (void)state;
    assert_true(ckr_method_count() >= 2);
    for (size_t i = 0; i < ckr_method_count(); i++) {
        const ckr_method *m = ckr_method_at(i);
        assert_non_null(m->score);
        assert_non_null(m->cost);
        assert_ptr_equal(ckr_method_find(m->name), m);
        /* every default in every table parses */
        ckr_spec s;
        ckr_err err = { 0, "" };
        char text[256];
        snprintf(text, sizeof text, "%s", m->name);
        for (const ckr_param_def *d = m->params; d && d->key; d++) {
            size_t used = strlen(text);
            snprintf(text + used, sizeof text - used, "%c%s=%s", d == m->params ? ':' : ',',
                     d->key, d->def);
        }
        if (ckr_spec_parse(text, &s, &err) != 0) {
            print_error("%s: %s\n", text, err.msg);
            fail();
        }
    }
    assert_null(ckr_method_find("no-such-method"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_names),
        cmocka_unit_test(test_params_and_commas),
        cmocka_unit_test(test_sweep_expands),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_single_parse_rejects_sweep),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
