/* test_options.c -- cli_parse (src/cli/options.c): every option type, both
 * long forms, short options, the usage errors and their messages, positional
 * arguments and their limit, --help, silence, and the help table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "cli/options.h"
#include "testutil.h"

typedef struct targs {
    int flag, num;
    const char *str;
    uint64_t big;
    cli_klist k;
} targs;

static const cli_opt opts[] = {
    { "flag", 'f', OPT_FLAG, offsetof(targs, flag), NULL, "a flag" },
    { "str", 's', OPT_STR, offsetof(targs, str), "S", "a string" },
    { "num", 'n', OPT_INT, offsetof(targs, num), "N", "an int" },
    { "big", 0, OPT_U64, offsetof(targs, big), "B", "a u64" },
    { "k", 'k', OPT_KLIST, offsetof(targs, k), "K1,K2", "cut-offs" },
    { NULL, 0, 0, 0, NULL, NULL },
};

/* argv[0] is the subcommand's name */
#define ARGV(...) ((char *[]){ "cmd", __VA_ARGS__ })
#define ARGC(...) ((int)(sizeof((char *[]){ "cmd", __VA_ARGS__ }) / sizeof(char *)))

static targs fresh(void)
{
    targs a = { 0, -5, "default", 99, { { 0 }, 0 } };
    cli_klist_default(&a.k);
    return a;
}

static char msg[512];
static char *pos[4];
static int npos;

/* Parse the arguments into *a with room for max_pos positional ones. */
#define PARSE(a, max_pos, ...) \
    cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), opts, (a), pos, (max_pos), &npos, msg, sizeof msg)

static void test_defaults_kept(void **state)
{
    (void)state;
    targs a = fresh();
    char *argv[] = { "cmd" };
    strcpy(msg, "stale");
    assert_int_equal(cli_parse(1, argv, opts, &a, pos, 2, &npos, msg, sizeof msg), CLI_OK);
    assert_int_equal(npos, 0);
    assert_string_equal(msg, "");
    assert_int_equal(a.flag, 0);
    assert_int_equal(a.num, -5);
    assert_string_equal(a.str, "default");
    assert_true(a.big == 99);
    assert_int_equal(a.k.n, 2);
    assert_int_equal(a.k.k[0], 1);
    assert_int_equal(a.k.k[1], 3);
}

static void test_every_type_with_equals(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 0, "--flag", "--str=abc", "--num=42", "--big=18446744073709551615",
                           "--k=1,5,10"),
                     CLI_OK);
    assert_int_equal(a.flag, 1);
    assert_string_equal(a.str, "abc");
    assert_int_equal(a.num, 42);
    assert_true(a.big == UINT64_MAX);
    assert_int_equal(a.k.n, 3);
    assert_int_equal(a.k.k[0], 1);
    assert_int_equal(a.k.k[1], 5);
    assert_int_equal(a.k.k[2], 10);
    assert_int_equal(npos, 0);
}

static void test_every_type_with_separate_value(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 0, "--str", "x y", "--num", "7", "--big", "0", "--k", "2", "--flag"),
                     CLI_OK);
    assert_int_equal(a.flag, 1);
    assert_string_equal(a.str, "x y");
    assert_int_equal(a.num, 7);
    assert_true(a.big == 0);
    assert_int_equal(a.k.n, 1);
    assert_int_equal(a.k.k[0], 2);
}

static void test_short_options(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 0, "-f", "-s", "out.h5", "-n", "3", "-k", "4,2"), CLI_OK);
    assert_int_equal(a.flag, 1);
    assert_string_equal(a.str, "out.h5");
    assert_int_equal(a.num, 3);
    assert_int_equal(a.k.n, 2);
    assert_int_equal(a.k.k[0], 4); /* kept in the order given */
    assert_int_equal(a.k.k[1], 2);
}

static void test_string_values(void **state)
{
    (void)state;
    targs a = fresh();
    /* split at the first '=' only; an empty value is a value */
    assert_int_equal(PARSE(&a, 0, "--str=a=b"), CLI_OK);
    assert_string_equal(a.str, "a=b");
    assert_int_equal(PARSE(&a, 0, "--str="), CLI_OK);
    assert_string_equal(a.str, "");
    /* the word after an option needing a value is its value, dashes or not */
    assert_int_equal(PARSE(&a, 0, "--str", "--help"), CLI_OK);
    assert_string_equal(a.str, "--help");
    /* the last one wins */
    assert_int_equal(PARSE(&a, 0, "--num=1", "-n", "2"), CLI_OK);
    assert_int_equal(a.num, 2);
}

static void test_missing_value(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 1, "--num"), CLI_USAGE);
    assert_string_equal(msg, "option --num needs a value");
    assert_int_equal(PARSE(&a, 1, "file", "-s"), CLI_USAGE);
    assert_string_equal(msg, "option --str needs a value");
    assert_int_equal(PARSE(&a, 1, "--k"), CLI_USAGE);
    assert_string_equal(msg, "option --k needs a value");
    assert_string_equal(a.str, "default");
}

static void test_unknown_option(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 1, "--nope"), CLI_USAGE);
    assert_string_equal(msg, "unknown option '--nope' (see --help)");
    assert_int_equal(PARSE(&a, 1, "--nope=3"), CLI_USAGE);
    assert_string_equal(msg, "unknown option '--nope=3' (see --help)");
    assert_int_equal(PARSE(&a, 1, "-x"), CLI_USAGE);
    assert_string_equal(msg, "unknown option '-x' (see --help)");
    /* no abbreviations, no case folding */
    assert_int_equal(PARSE(&a, 1, "--nu=3"), CLI_USAGE);
    assert_string_equal(msg, "unknown option '--nu=3' (see --help)");
    assert_int_equal(PARSE(&a, 1, "--FLAG"), CLI_USAGE);
    /* a short letter is not a long name */
    assert_int_equal(PARSE(&a, 1, "--f"), CLI_USAGE);
    assert_int_equal(a.flag, 0);
}

static void test_bad_integers(void **state)
{
    (void)state;
    static const char *bad_int[] = { "abc", "", "-1", "12x", "1.5", "1000000001",
                                     "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad_int / sizeof *bad_int; i++) {
        targs a = fresh();
        char arg[64], want[96];
        snprintf(arg, sizeof arg, "--num=%s", bad_int[i]);
        snprintf(want, sizeof want, "--num: invalid value '%s'", bad_int[i]);
        assert_int_equal(PARSE(&a, 0, arg), CLI_USAGE);
        assert_string_equal(msg, want);
        assert_int_equal(a.num, -5);
    }
    targs a = fresh();
    assert_int_equal(PARSE(&a, 0, "--num=0"), CLI_OK);
    assert_int_equal(a.num, 0);
    assert_int_equal(PARSE(&a, 0, "--num=1000000000"), CLI_OK);
    assert_int_equal(a.num, 1000000000);

    static const char *bad_u64[] = { "-1", "", "x", "18446744073709551616", "3 " };
    for (size_t i = 0; i < sizeof bad_u64 / sizeof *bad_u64; i++) {
        a = fresh();
        char arg[64], want[96];
        snprintf(arg, sizeof arg, "--big=%s", bad_u64[i]);
        snprintf(want, sizeof want, "--big: invalid value '%s'", bad_u64[i]);
        assert_int_equal(PARSE(&a, 0, arg), CLI_USAGE);
        assert_string_equal(msg, want);
        assert_true(a.big == 99);
    }
}

static void test_klist(void **state)
{
    (void)state;
    targs a = fresh();
    /* duplicates would repeat the recall@k / rel@k columns */
    assert_int_equal(PARSE(&a, 0, "--k=1,1"), CLI_USAGE);
    assert_string_equal(msg, "--k: invalid value '1,1'");
    assert_int_equal(PARSE(&a, 0, "-k", "3,1,3"), CLI_USAGE);
    assert_string_equal(msg, "--k: invalid value '3,1,3'");
    static const char *bad[] = { "0", "", "-1", "a", "1,,2", "1;2", "1000001", "1,2,3,4,5,6,7,8,9" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char arg[64];
        snprintf(arg, sizeof arg, "--k=%s", bad[i]);
        assert_int_equal(PARSE(&a, 0, arg), CLI_USAGE);
    }
    /* eight distinct values and the largest cut-off are fine */
    assert_int_equal(PARSE(&a, 0, "--k=8,7,6,5,4,3,2,1000000"), CLI_OK);
    assert_int_equal(a.k.n, 8);
    assert_int_equal(a.k.k[0], 8);
    assert_int_equal(a.k.k[7], 1000000);

    cli_klist d = { { 9, 9, 9 }, 7 };
    cli_klist_default(&d);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.k[0], 1);
    assert_int_equal(d.k[1], 3);
}

static void test_positional(void **state)
{
    (void)state;
    targs a = fresh();
    /* options and positional arguments mix; "-" alone is positional */
    assert_int_equal(PARSE(&a, 3, "a.h5", "--flag", "-", "-n", "4", "b.h5"), CLI_OK);
    assert_int_equal(npos, 3);
    assert_string_equal(pos[0], "a.h5");
    assert_string_equal(pos[1], "-");
    assert_string_equal(pos[2], "b.h5");
    assert_int_equal(a.num, 4);
    /* one more than max_pos */
    assert_int_equal(PARSE(&a, 2, "a", "b", "c"), CLI_USAGE);
    assert_string_equal(msg, "unexpected argument 'c' (see --help)");
    assert_int_equal(PARSE(&a, 0, "zoo.h5"), CLI_USAGE);
    assert_string_equal(msg, "unexpected argument 'zoo.h5' (see --help)");
    assert_int_equal(npos, 0);
}

static void test_help(void **state)
{
    (void)state;
    targs a = fresh();
    assert_int_equal(PARSE(&a, 0, "--help"), CLI_HELP);
    assert_int_equal(PARSE(&a, 0, "-h"), CLI_HELP);
    /* parsing stops at --help: what follows is not looked at */
    assert_int_equal(PARSE(&a, 0, "-f", "--help", "--nope", "extra"), CLI_HELP);
    assert_string_equal(msg, "");
    /* an error before --help is reported */
    assert_int_equal(PARSE(&a, 0, "--nope", "--help"), CLI_USAGE);
}

static void test_silent_and_null_msg(void **state)
{
    (void)state;
    const char *dir = ckr_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_non_null(freopen(path, "w", stderr));
    targs a = fresh();
    int r1 = PARSE(&a, 0, "--nope");
    int r2 = PARSE(&a, 0, "--num=x");
    int r3 = cli_parse(ARGC("--num"), ARGV("--num"), opts, &a, pos, 0, &npos, NULL, 0);
    int r4 = PARSE(&a, 0, "extra");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r1, CLI_USAGE);
    assert_int_equal(r2, CLI_USAGE);
    assert_int_equal(r3, CLI_USAGE);
    assert_int_equal(r4, CLI_USAGE);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    assert_int_equal(ftell(f), 0); /* nothing printed */
    fclose(f);
}

static void test_print_help(void **state)
{
    (void)state;
    static const cli_opt two[] = {
        { "output", 'o', OPT_STR, 0, "FILE", "where to write" },
        { "quiet", 0, OPT_FLAG, 0, NULL, "say less" },
        { NULL, 0, 0, 0, NULL, NULL },
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cli_print_help(f, "ckptrank x FILE", "Does x.", two);
    fclose(f);
    assert_string_equal(buf, "usage: ckptrank x FILE\n"
                             "\n"
                             "Does x.\n"
                             "\n"
                             "options:\n"
                             "  -o, --output FILE            where to write\n"
                             "      --quiet                  say less\n"
                             "  -h, --help                   show this help\n");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_kept),
        cmocka_unit_test(test_every_type_with_equals),
        cmocka_unit_test(test_every_type_with_separate_value),
        cmocka_unit_test(test_short_options),
        cmocka_unit_test(test_string_values),
        cmocka_unit_test(test_missing_value),
        cmocka_unit_test(test_unknown_option),
        cmocka_unit_test(test_bad_integers),
        cmocka_unit_test(test_klist),
        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_silent_and_null_msg),
        cmocka_unit_test(test_print_help),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
