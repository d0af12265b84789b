/* test_spec.c -- method specs: the typed config structs, the range checks of
 * every method, sweeps, the text-only spec lists, the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/dummy.h"
#include "methods/finetune.h"
#include "methods/gbc.h"
#include "methods/hscore.h"
#include "methods/linear.h"
#include "methods/logme.h"
#include "methods/method.h"
#include "methods/mi.h"
#include "methods/nleep.h"
#include "methods/transrate.h"
#include "testutil.h"
#include "util/speclist.h"

/* Parse one spec that must be accepted; returns its config struct. */
static const void *parsed(const char *text, ckr_spec *s)
{
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(text, s, &err) != 0)
        fail_msg("%s refused: %s", text, err.msg);
    assert_string_equal(s->text, text);
    return ckr_params_config(&s->params);
}

/* ---- parsed values ----------------------------------------------------- */

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
    assert_string_equal(s[0].sweep, "");
    /* defaults come from the table */
    const ckr_nleep_cfg *c = ckr_params_config(&s[0].params);
    assert_true(c->pca == 0.8);
    assert_int_equal(c->ratio, 5);
    assert_int_equal(c->cov, CKR_NLEEP_COV_FULL);
    assert_true(c->reg == 1e-6);
    assert_int_equal(c->iters, 100);
    assert_true(c->tol == 1e-3);
    assert_int_equal(c->kmeans_iters, 300);
    assert_int_equal(ckr_param_given(&s[0].params, offsetof(ckr_nleep_cfg, pca)), 0);
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
    const ckr_nleep_cfg *c = ckr_params_config(&s[0].params);
    assert_true(c->pca == 0.9);
    assert_int_equal(c->ratio, 3);
    assert_int_equal(c->cov, CKR_NLEEP_COV_DIAG);
    assert_int_equal(c->iters, 100); /* not given: the default */
    assert_int_equal(ckr_param_given(&s[0].params, offsetof(ckr_nleep_cfg, ratio)), 1);
    assert_int_equal(ckr_param_given(&s[0].params, offsetof(ckr_nleep_cfg, iters)), 0);
    assert_string_equal(s[1].text, "leep");
    free(s);
}

/* Every key of every method reaches its field, as written. */
static void test_fields_of_every_method(void **state)
{
    (void)state;
    ckr_spec s;
    const ckr_finetune_cfg *ft =
        parsed("finetune:epochs=3,steps=7,lr=0.05,batch=64,momentum=0.5,hidden=32,"
               "init=scratch,decay=none,l2=0.001,standardize=0", &s);
    assert_int_equal(ft->epochs, 3);
    assert_int_equal(ft->steps, 7);
    assert_true(ft->lr == 0.05);
    assert_int_equal(ft->batch, 64);
    assert_true(ft->momentum == 0.5);
    assert_int_equal(ft->hidden, 32);
    assert_int_equal(ft->init, CKR_FINETUNE_INIT_SCRATCH);
    assert_int_equal(ft->decay, CKR_FINETUNE_DECAY_NONE);
    assert_true(ft->l2 == 0.001);
    assert_int_equal(ft->standardize, CKR_SWITCH_OFF);
    for (const ckr_param_def *d = s.method->params; d->key; d++)
        assert_int_equal(ckr_param_given(&s.params, d->offset), 1);
    ft = parsed("finetune", &s);
    assert_int_equal(ft->epochs, 5);
    assert_int_equal(ft->steps, 0);
    assert_true(ft->lr == 0.01);
    assert_int_equal(ft->batch, 512);
    assert_int_equal(ft->init, CKR_FINETUNE_INIT_AUTO);
    assert_int_equal(ft->decay, CKR_FINETUNE_DECAY_STEP);
    assert_int_equal(ft->standardize, CKR_SWITCH_ON);

    const ckr_linear_cfg *li = parsed("linear:epochs=2,lr=0.2,batch=16,momentum=0,l2=0.5,"
                                      "tol=1e-8,maxiter=50,standardize=0", &s);
    assert_int_equal(li->epochs, 2);
    assert_true(li->lr == 0.2);
    assert_int_equal(li->batch, 16);
    assert_true(li->momentum == 0.0);
    assert_true(li->l2 == 0.5);
    assert_true(li->tol == 1e-8);
    assert_int_equal(li->maxiter, 50);
    assert_int_equal(li->standardize, CKR_SWITCH_OFF);
    li = parsed("linear", &s);
    assert_int_equal(li->epochs, 0);
    assert_true(li->l2 == 1e-4);
    assert_int_equal(li->maxiter, 1000);
    assert_int_equal(li->standardize, CKR_SWITCH_ON);

    const ckr_mi_cfg *mi = parsed("mi:alpha=0.5,pca=0.8,steps=10,batch=4,lr=0.1,hidden=8,"
                                  "layers=0,embed=3,eval_batches=2,standardize=0,patience=0,"
                                  "check_every=7", &s);
    assert_true(mi->alpha == 0.5);
    assert_true(mi->pca == 0.8);
    assert_int_equal(mi->steps, 10);
    assert_int_equal(mi->batch, 4);
    assert_true(mi->lr == 0.1);
    assert_int_equal(mi->hidden, 8);
    assert_int_equal(mi->layers, 0);
    assert_int_equal(mi->embed, 3);
    assert_int_equal(mi->eval_batches, 2);
    assert_int_equal(mi->standardize, CKR_SWITCH_OFF);
    assert_int_equal(mi->patience, 0);
    assert_int_equal(mi->check_every, 7);

    const ckr_nleep_cfg *nl = parsed("nleep:pca=12,ratio=2,cov=diag,reg=0,iters=9,tol=0,"
                                     "kmeans_iters=4", &s);
    assert_true(nl->pca == 12.0);
    assert_int_equal(nl->ratio, 2);
    assert_int_equal(nl->cov, CKR_NLEEP_COV_DIAG);
    assert_true(nl->reg == 0.0);
    assert_int_equal(nl->iters, 9);
    assert_true(nl->tol == 0.0);
    assert_int_equal(nl->kmeans_iters, 4);

    const ckr_gbc_cfg *gb = parsed("gbc:pca=0,cov=diag,logdet=google,floor=0.5", &s);
    assert_int_equal(gb->pca, 0);
    assert_int_equal(gb->cov, CKR_GBC_COV_DIAG);
    assert_int_equal(gb->logdet, CKR_GBC_LOGDET_GOOGLE);
    assert_true(gb->floor == 0.5);
    gb = parsed("gbc", &s);
    assert_int_equal(gb->pca, 64);
    assert_int_equal(gb->cov, CKR_GBC_COV_SPHERICAL);
    assert_int_equal(gb->logdet, CKR_GBC_LOGDET_EXACT);
    assert_true(gb->floor == 1e-4);

    const ckr_hscore_cfg *hs = parsed("hscore:rcond=0.25", &s);
    assert_true(hs->rcond == 0.25);
    hs = parsed("hscore_shrink", &s);
    assert_true(hs->rcond == 1e-15);

    const ckr_logme_cfg *lm = parsed("logme:exact_logdet=1,iters=3,tol=0.5", &s);
    assert_int_equal(lm->exact_logdet, 1);
    assert_int_equal(lm->iters, 3);
    assert_true(lm->tol == 0.5);
    lm = parsed("logme", &s); /* the exact evidence is the default */
    assert_int_equal(lm->form, CKR_LOGME_EXACT);
    assert_int_equal(lm->exact_logdet, 1);
    lm = parsed("logme:form=thuml", &s);
    assert_int_equal(lm->form, CKR_LOGME_THUML);
    lm = parsed("logme:exact_logdet=0", &s);
    assert_int_equal(lm->exact_logdet, 0);

    const ckr_transrate_cfg *tr = parsed("transrate:variant=tllib,eps2=2e-3", &s);
    assert_int_equal(tr->variant, CKR_TRANSRATE_TLLIB);
    assert_true(tr->eps2 == 2e-3);
    tr = parsed("transrate", &s);
    assert_int_equal(tr->variant, CKR_TRANSRATE_CANONICAL);

    const ckr_dummy_cfg *du = parsed("dummy:ms=25,fail=1", &s);
    assert_int_equal(du->ms, 25);
    assert_int_equal(du->fail, 1);
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
    const ckr_nleep_cfg *c = ckr_params_config(&s[3].params);
    assert_int_equal(c->ratio, 2);
    assert_true(c->pca == 0.9);
    free(s);
}

/* ---- refusals ---------------------------------------------------------- */

static void expect_error(const char *list, int code, const char *needle)
{
    ckr_spec *s = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list(list, &s, &n, &err), code);
    assert_null(s); /* nothing handed out */
    if (!strstr(err.msg, needle)) {
        print_error("%s: message '%s' lacks '%s'\n", list, err.msg, needle);
        fail();
    }
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("nope", CKR_EARG, "unknown method 'nope'");
    expect_error("nleep:foo=1", CKR_EARG, "unknown parameter 'foo'");
    expect_error("nleep:pca=abc", CKR_EARG, "pca=abc is not a number");
    expect_error("nleep:pca=inf", CKR_EARG, "pca=inf is not a number");
    expect_error("nleep:ratio=2.5", CKR_EARG, "ratio=2.5 is not an integer");
    expect_error("nleep:cov=spherical", CKR_EARG, "not one of full|diag");
    expect_error("nleep:pca", CKR_EARG, "is not key=value");
    expect_error("nleep:ratio=2,ratio=3", CKR_EARG, "parameter 'ratio' given twice");
    expect_error("nleep,nleep", CKR_EARG, "listed twice");
    expect_error("", CKR_EARG, "no method");
    expect_error("leep:x=1", CKR_EARG, "unknown parameter 'x' (known: none)");
    expect_error("nleep:ratio=1|x", CKR_EARG, "ratio=x is not an integer");
    expect_error("pca=1,nleep", CKR_EARG, "method list: 'pca=1' has no method name");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    /* a misspelled key is refused with the known ones */
    expect_error("finetune:lrr=0.1", CKR_EARG,
                 "method 'finetune:lrr=0.1': unknown parameter 'lrr' (known: epochs, steps, lr, "
                 "batch, momentum, hidden, init, decay, l2, standardize)");
    expect_error("transrate:eps=1", CKR_EARG, "unknown parameter 'eps' (known: variant, eps2)");
    /* in a sweep, before any grid point */
    expect_error("nleep:foo=1|2", CKR_EARG, "method 'nleep:foo=1|2': unknown parameter 'foo'");
    /* keys are case-sensitive */
    expect_error("gbc:PCA=3", CKR_EARG, "unknown parameter 'PCA'");
}

/* spec -> the full message of its refusal */
typedef struct refusal {
    const char *spec, *message;
} refusal;

static const refusal refusals[] = {
    { "dummy:ms=-1", "method 'dummy:ms=-1': ms=-1 is out of range (must be >= 0)" },
    { "dummy:fail=2", "method 'dummy:fail=2': fail=2 is out of range (must be 0 or 1)" },
    { "finetune:lr=-1", "method 'finetune:lr=-1': lr=-1 is out of range (must be > 0)" },
    { "finetune:lr=0", "method 'finetune:lr=0': lr=0 is out of range (must be > 0)" },
    { "finetune:epochs=-1",
      "method 'finetune:epochs=-1': epochs=-1 is out of range (must be >= 0)" },
    { "finetune:steps=-5", "method 'finetune:steps=-5': steps=-5 is out of range (must be >= 0)" },
    { "finetune:epochs=0",
      "method 'finetune:epochs=0': epochs=0 is out of range (must be >= 1 when steps is 0)" },
    { "finetune:batch=0", "method 'finetune:batch=0': batch=0 is out of range (must be >= 1)" },
    { "finetune:momentum=1",
      "method 'finetune:momentum=1': momentum=1 is out of range (must be in [0, 1))" },
    { "finetune:momentum=-0.1",
      "method 'finetune:momentum=-0.1': momentum=-0.1 is out of range (must be in [0, 1))" },
    { "finetune:hidden=-2",
      "method 'finetune:hidden=-2': hidden=-2 is out of range (must be >= 0)" },
    { "finetune:l2=-1e-3", "method 'finetune:l2=-1e-3': l2=-1e-3 is out of range (must be >= 0)" },
    { "gbc:pca=-1", "method 'gbc:pca=-1': pca=-1 is out of range (must be >= 0)" },
    { "gbc:floor=0", "method 'gbc:floor=0': floor=0 is out of range (must be > 0)" },
    { "hscore:rcond=-1", "method 'hscore:rcond=-1': rcond=-1 is out of range (must be >= 0)" },
    { "hscore_shrink:rcond=-0.5",
      "method 'hscore_shrink:rcond=-0.5': rcond=-0.5 is out of range (must be >= 0)" },
    { "linear:epochs=-1", "method 'linear:epochs=-1': epochs=-1 is out of range (must be >= 0)" },
    { "linear:lr=0", "method 'linear:lr=0': lr=0 is out of range (must be > 0)" },
    { "linear:batch=-3", "method 'linear:batch=-3': batch=-3 is out of range (must be >= 1)" },
    { "linear:momentum=2",
      "method 'linear:momentum=2': momentum=2 is out of range (must be in [0, 1))" },
    { "linear:l2=-1", "method 'linear:l2=-1': l2=-1 is out of range (must be >= 0)" },
    { "linear:tol=-1", "method 'linear:tol=-1': tol=-1 is out of range (must be >= 0)" },
    { "linear:maxiter=0",
      "method 'linear:maxiter=0': maxiter=0 is out of range (must be in [1, 2147483647])" },
    { "linear:maxiter=3000000000",
      "method 'linear:maxiter=3000000000': maxiter=3000000000 is out of range "
      "(must be in [1, 2147483647])" },
    { "logme:exact_logdet=2",
      "method 'logme:exact_logdet=2': exact_logdet=2 is out of range (must be 0 or 1)" },
    { "logme:form=icml",
      "method 'logme:form=icml': parameter form=icml is not one of exact|thuml" },
    { "logme:iters=0", "method 'logme:iters=0': iters=0 is out of range (must be >= 1)" },
    { "logme:tol=-1", "method 'logme:tol=-1': tol=-1 is out of range (must be >= 0)" },
    { "mi:alpha=1.5", "method 'mi:alpha=1.5': alpha=1.5 is out of range (must be in [0, 1])" },
    { "mi:alpha=-0.1", "method 'mi:alpha=-0.1': alpha=-0.1 is out of range (must be in [0, 1])" },
    { "mi:pca=-1", "method 'mi:pca=-1': pca=-1 is out of range (must be >= 0)" },
    { "mi:steps=-1", "method 'mi:steps=-1': steps=-1 is out of range (must be >= 0)" },
    { "mi:batch=1", "method 'mi:batch=1': batch=1 is out of range (must be >= 2)" },
    { "mi:lr=-1e-3", "method 'mi:lr=-1e-3': lr=-1e-3 is out of range (must be > 0)" },
    { "mi:hidden=0", "method 'mi:hidden=0': hidden=0 is out of range (must be >= 1)" },
    { "mi:layers=5", "method 'mi:layers=5': layers=5 is out of range (must be in [0, 4])" },
    { "mi:layers=-1", "method 'mi:layers=-1': layers=-1 is out of range (must be in [0, 4])" },
    { "mi:embed=0", "method 'mi:embed=0': embed=0 is out of range (must be >= 1)" },
    { "mi:eval_batches=0",
      "method 'mi:eval_batches=0': eval_batches=0 is out of range (must be >= 1)" },
    { "mi:patience=-1",
      "method 'mi:patience=-1': patience=-1 is out of range (must be in [0, 2147483647])" },
    { "mi:check_every=0",
      "method 'mi:check_every=0': check_every=0 is out of range (must be >= 1)" },
    { "nleep:pca=-1", "method 'nleep:pca=-1': pca=-1 is out of range (must be >= 0)" },
    { "nleep:ratio=0",
      "method 'nleep:ratio=0': ratio=0 is out of range (must be in [1, 1000000])" },
    { "nleep:ratio=1000001",
      "method 'nleep:ratio=1000001': ratio=1000001 is out of range (must be in [1, 1000000])" },
    { "nleep:reg=-1e-9", "method 'nleep:reg=-1e-9': reg=-1e-9 is out of range (must be >= 0)" },
    { "nleep:iters=0",
      "method 'nleep:iters=0': iters=0 is out of range (must be in [1, 1000000])" },
    { "nleep:tol=-1", "method 'nleep:tol=-1': tol=-1 is out of range (must be >= 0)" },
    { "nleep:kmeans_iters=0",
      "method 'nleep:kmeans_iters=0': kmeans_iters=0 is out of range (must be in [1, 1000000])" },
    { "transrate:eps2=0", "method 'transrate:eps2=0': eps2=0 is out of range (must be > 0)" },
    { "transrate:eps2=-1e-4",
      "method 'transrate:eps2=-1e-4': eps2=-1e-4 is out of range (must be > 0)" },
};

/* Each bad value is refused with one message naming method, key, value and
 * range, by ckr_spec_parse and by ckr_spec_parse_list alike. */
static void test_range_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        ckr_spec s;
        ckr_err err = { 0, "" };
        assert_int_equal(ckr_spec_parse(refusals[i].spec, &s, &err), CKR_EARG);
        if (strcmp(err.msg, refusals[i].message) != 0)
            fail_msg("%s: got '%s', expected '%s'", refusals[i].spec, err.msg,
                     refusals[i].message);
        expect_error(refusals[i].spec, CKR_EARG, refusals[i].message);
    }
    /* the edges of the ranges are accepted */
    const char *edges[] = {
        "dummy:ms=0,fail=1",  "finetune:epochs=0,steps=1", "finetune:momentum=0",
        "finetune:hidden=0",  "gbc:pca=0",                 "hscore:rcond=0",
        "linear:maxiter=1",   "linear:maxiter=2147483647", "logme:exact_logdet=1,iters=1,tol=0",
        "mi:alpha=0",         "mi:alpha=1,layers=4",       "mi:layers=0,steps=0,batch=2",
        "nleep:pca=0,reg=0",  "nleep:ratio=1000000",       "nleep:ratio=1,iters=1,kmeans_iters=1",
        "transrate:eps2=1e-300",
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        ckr_spec s;
        parsed(edges[i], &s);
    }
}

/* A sweep whose grid holds a bad value is refused at parse time, naming the
 * grid point; nothing is handed out. */
static void test_sweep_with_bad_point(void **state)
{
    (void)state;
    expect_error("nleep:ratio=2|0", CKR_EARG,
                 "method 'nleep:ratio=0': ratio=0 is out of range (must be in [1, 1000000])");
    expect_error("leep,finetune:lr=0.1|-1,steps=5", CKR_EARG,
                 "method 'finetune:lr=-1,steps=5': lr=-1 is out of range (must be > 0)");
    /* a bad value that is not swept is in every grid point: the first is named */
    expect_error("finetune:lr=-1,steps=1|2", CKR_EARG,
                 "method 'finetune:lr=-1,steps=1': lr=-1 is out of range (must be > 0)");
    /* a combination refused on some grid points only */
    expect_error("finetune:epochs=0,steps=10|0", CKR_EARG,
                 "method 'finetune:epochs=0,steps=0': epochs=0 is out of range");
    expect_error("mi:alpha=0.5|1.01", CKR_EARG, "alpha=1.01 is out of range (must be in [0, 1])");
}

static void test_single_parse_rejects_sweep(void **state)
{
    (void)state;
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("nleep:ratio=1|2", &s, &err), CKR_EARG);
    const ckr_nleep_cfg *c = parsed("nleep:ratio=2", &s);
    assert_int_equal(c->ratio, 2);
}

/* ---- the text-only spec lists (util/speclist.h) ------------------------- */

static void test_speclist_split(void **state)
{
    (void)state;
    char spec[CKR_SPEC_TEXT_MAX];
    ckr_err err = { 0, "" };
    const char *cur = "nleep:pca=0.9, ratio=3,leep,,x:a=1,,b=2, ,gbc";
    const char *want[] = { "nleep:pca=0.9,ratio=3", "leep", "x:a=1,b=2", "gbc" };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ckr_speclist_next(&cur, spec, &err), 0);
        assert_string_equal(spec, want[i]);
    }
    assert_int_equal(ckr_speclist_next(&cur, spec, &err), 0);
    assert_string_equal(spec, "");
    /* a blank piece ends a spec: the key=value after it has no method */
    cur = "x:a=1, ,b=2";
    assert_int_equal(ckr_speclist_next(&cur, spec, &err), 0);
    assert_string_equal(spec, "x:a=1");
    assert_int_equal(ckr_speclist_next(&cur, spec, &err), CKR_EARG);
    assert_string_equal(err.msg, "method list: 'b=2' has no method name");
    /* a spec that does not fit */
    char longlist[400];
    memset(longlist, 'a', sizeof longlist - 1);
    longlist[sizeof longlist - 1] = '\0';
    cur = longlist;
    assert_int_equal(ckr_speclist_next(&cur, spec, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "method spec too long"));
}

static void test_speclist_expand(void **state)
{
    (void)state;
    ckr_spec_point *p = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    /* no registry: any name and key expand */
    assert_int_equal(ckr_speclist_expand("zz:k=1|2,j=a|b,plain", &p, &n, &err), 0);
    assert_int_equal(n, 5);
    const char *want[] = { "zz:k=1,j=a", "zz:k=1,j=b", "zz:k=2,j=a", "zz:k=2,j=b", "plain" };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(p[i].text, want[i]);
        assert_string_equal(p[i].sweep, i < 4 ? "zz:k=1|2,j=a|b" : "");
    }
    free(p);
    /* values the registry would refuse are no concern of the text layer */
    assert_int_equal(ckr_speclist_expand("finetune:lr=-1|0", &p, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[1].text, "finetune:lr=0");
    free(p);
    p = NULL;
    assert_int_equal(ckr_speclist_expand("a:k=1||2", &p, &n, &err), CKR_EARG);
    assert_string_equal(err.msg, "method 'a:k=1||2': empty value in a sweep");
    assert_null(p);
    assert_int_equal(ckr_speclist_expand("a:k=1|1", &p, &n, &err), CKR_EARG);
    assert_string_equal(err.msg, "method 'a:k=1' listed twice");
    assert_int_equal(ckr_speclist_expand(" , ", &p, &n, &err), CKR_EARG);
    assert_string_equal(err.msg, "no method given");
    assert_int_equal(ckr_speclist_expand(NULL, &p, &n, &err), CKR_EARG);
}

/* ---- the registry ------------------------------------------------------ */

static void test_registry(void **state)
{
    (void)state;
    assert_true(ckr_method_count() >= 2);
    for (size_t i = 0; i < ckr_method_count(); i++) {
        const ckr_method *m = ckr_method_at(i);
        assert_non_null(m->score);
        assert_non_null(m->cost);
        assert_ptr_equal(ckr_method_find(m->name), m);
        /* every default in every table parses and passes the check */
        ckr_spec s;
        ckr_err err = { 0, "" };
        char text[256];
        snprintf(text, sizeof text, "%s", m->name);
        for (const ckr_param_def *d = m->params; d && d->key; d++) {
            size_t used = strlen(text);
            snprintf(text + used, sizeof text - used, "%c%s=%s", d == m->params ? ':' : ',',
                     d->key, d->def);
            /* each key has a field of its own, inside the config storage */
            assert_true(d->offset < CKR_CONFIG_MAX);
            for (const ckr_param_def *e = m->params; e < d; e++)
                assert_true(e->offset != d->offset);
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
        cmocka_unit_test(test_fields_of_every_method),
        cmocka_unit_test(test_sweep_expands),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_range_checks),
        cmocka_unit_test(test_sweep_with_bad_point),
        cmocka_unit_test(test_single_parse_rejects_sweep),
        cmocka_unit_test(test_speclist_split),
        cmocka_unit_test(test_speclist_expand),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
