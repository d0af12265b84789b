/* test_json.c -- the JSON writer (report/json.h): a small hand-built
 * ckr_results with names that need escaping (commas, quotes, line breaks,
 * backslashes, control characters, UTF-8 and an invalid byte), NaN and
 * infinite numbers, written and parsed back by a strict RFC 8259 parser
 * written here, then compared field by field with the input; Python's json
 * module must accept the file as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/json.h"
#include "testutil.h"

/* ---- a small strict JSON parser -------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
    jtype t;
    int b;
    double num;
    char text[64];         /* J_NUM: the number as written */
    char *str;             /* J_STR: decoded UTF-8 */
    struct jval *item;     /* J_ARR, J_OBJ: the values */
    char **key;            /* J_OBJ: the keys, in document order */
    size_t n;
} jval;

typedef struct jparser {
    const char *p;
    int bad;
} jparser;

static void skip_ws(jparser *js)
{
    while (*js->p == ' ' || *js->p == '\t' || *js->p == '\n' || *js->p == '\r')
        js->p++;
}

static int hex4(const char *p, unsigned *out)
{
    char buf[5];
    if (strspn(p, "0123456789abcdefABCDEF") < 4)
        return -1;
    memcpy(buf, p, 4);
    buf[4] = '\0';
    *out = (unsigned)strtoul(buf, NULL, 16);
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = { 0, 0, 0xC0, 0xE0, 0xF0 };
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        o[i] = (char)(0x80 | (cp & 0x3F));
    o[0] = (char)(lead[n] | cp);
    return n;
}

/* A string at js->p (on the opening quote); raw control characters refused. */
static char *parse_string(jparser *js)
{
    const char *p = js->p + 1;
    char *out = malloc(strlen(p) + 1), *o = out;   /* decoding never grows it */
    while (*p && *p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            js->bad = 1;
            break;
        }
        if (c != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = *p ? strchr(from, *p) : NULL;
        unsigned cp, lo;
        if (e) {
            *o++ = to[e - from];
            p++;
            continue;
        }
        if (*p != 'u' || hex4(p + 1, &cp) != 0) {
            js->bad = 1;
            break;
        }
        p += 5;
        if (cp >= 0xD800 && cp < 0xDC00) {   /* a surrogate pair */
            if (p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 || lo < 0xDC00 ||
                lo > 0xDFFF) {
                js->bad = 1;
                break;
            }
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        o += put_utf8(o, cp);
    }
    if (*p != '"')
        js->bad = 1;
    *o = '\0';
    js->p = *p ? p + 1 : p;
    return out;
}

/* A number per the RFC 8259 grammar. */
static void parse_number(jparser *js, jval *v)
{
    static const char digits[] = "0123456789";
    const char *s = js->p, *p = s + (*s == '-');
    size_t d = strspn(p, digits);
    int bad = d == 0 || (p[0] == '0' && d > 1);
    p += d;
    if (*p == '.') {
        d = strspn(++p, digits);
        bad |= d == 0;
        p += d;
    }
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        d = strspn(p, digits);
        bad |= d == 0;
        p += d;
    }
    size_t len = (size_t)(p - s);
    if (bad || len >= sizeof v->text)
        js->bad = 1;
    else
        memcpy(v->text, s, len);
    v->t = J_NUM;
    v->num = strtod(v->text, NULL);
    js->p = p;
}

static void parse_value(jparser *js, jval *v);

/* Object or array: items separated by commas, no trailing comma. */
static void parse_container(jparser *js, jval *v, int obj)
{
    v->t = obj ? J_OBJ : J_ARR;
    js->p++;
    skip_ws(js);
    char close = obj ? '}' : ']';
    size_t cap = 0;
    if (*js->p == close) {
        js->p++;
        return;
    }
    for (;;) {
        if (v->n == cap) {
            cap = cap ? 2 * cap : 8;
            v->item = realloc(v->item, cap * sizeof *v->item);
            v->key = realloc(v->key, cap * sizeof *v->key);
        }
        jval *it = &v->item[v->n];
        memset(it, 0, sizeof *it);
        v->key[v->n++] = NULL;
        skip_ws(js);
        if (obj) {   /* "key" : */
            if (*js->p == '"')
                v->key[v->n - 1] = parse_string(js);
            skip_ws(js);
            if (!v->key[v->n - 1] || *js->p != ':') {
                js->bad = 1;
                return;
            }
            js->p++;
        }
        parse_value(js, it);
        if (js->bad)
            return;
        skip_ws(js);
        char c = *js->p;
        if (c == ',' || c == close)
            js->p++;
        else
            js->bad = 1;
        if (c != ',')
            return;
    }
}

static void parse_value(jparser *js, jval *v)
{
    skip_ws(js);
    const char *p = js->p;
    if (*p == '{' || *p == '[') {
        parse_container(js, v, *p == '{');
    } else if (*p == '"') {
        v->t = J_STR;
        v->str = parse_string(js);
    } else if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
        v->t = J_BOOL;
        v->b = *p == 't';
        js->p += v->b ? 4 : 5;
    } else if (strncmp(p, "null", 4) == 0) {
        v->t = J_NULL;
        js->p += 4;
    } else {
        parse_number(js, v);
    }
}

static void jfree(jval *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->item[i]);
        if (v->key)
            free(v->key[i]);
    }
    free(v->item);
    free(v->key);
}

/* Parse the whole text: one value, then only whitespace. */
static int jparse(const char *text, jval *v)
{
    jparser js = { text, 0 };
    memset(v, 0, sizeof *v);
    parse_value(&js, v);
    skip_ws(&js);
    return js.bad || *js.p ? -1 : 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* The member of an object at position i, which must be named key. */
static const jval *member(const jval *obj, size_t i, const char *key)
{
    assert_int_equal(obj->t, J_OBJ);
    assert_true(i < obj->n);
    assert_string_equal(obj->key[i], key);
    return &obj->item[i];
}

static void expect_str(const jval *v, const char *s)
{
    assert_int_equal(v->t, J_STR);
    assert_string_equal(v->str, s);
}

/* A finite x must come back bit for bit; anything else as null. */
static void expect_num(const jval *v, double x)
{
    if (!isfinite(x)) {
        assert_int_equal(v->t, J_NULL);
        return;
    }
    assert_int_equal(v->t, J_NUM);
    assert_memory_equal(&v->num, &x, sizeof x);
}

static void expect_int(const jval *v, long long x)
{
    assert_int_equal(v->t, J_NUM);
    char want[64];
    snprintf(want, sizeof want, "%lld", x);
    assert_string_equal(v->text, want);
}

/* ---- the example ------------------------------------------------------------------- */

#define BAD_NAME "x\xffy"                      /* an invalid UTF-8 byte */
#define BAD_NAME_BACK "x\xef\xbf\xbdy"         /* ... comes back as U+FFFD */
#define CTRL_NAME "back\\slash\ttab\x01\x1f/end"
#define UTF8_NAME "t\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80" /* e-acute, snowman, an emoji */

static void set(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s);
}

static ckr_score_row score_row(const char *ckpt, const char *task, const char *method,
                               double score, const char *status)
{
    ckr_score_row s;
    memset(&s, 0, sizeof s);
    set(s.ckpt, sizeof s.ckpt, ckpt);
    set(s.task, sizeof s.task, task);
    set(s.method, sizeof s.method, method);
    set(s.status, sizeof s.status, status);
    s.score = score;
    s.heldout = NAN;
    return s;
}

static void example(ckr_results *r)
{
    memset(r, 0, sizeof *r);
    ckr_results_meta *m = &r->meta;
    set(m->command_line, sizeof m->command_line, "ckptrank run \"z o.h5\" --methods 'a,b' \\ \xc3\xbc");
    set(m->version, sizeof m->version, "0.1.0");
    set(m->zoo, sizeof m->zoo, "dir\\z,oo.h5");
    set(m->methods, sizeof m->methods, "nleep,dummy:fail=1");
    m->seed = 18446744073709551615ULL;
    m->n_ranks = 3;
    set(m->start_time, sizeof m->start_time, "2024-01-02T03:04:05Z");
    set(m->end_time, sizeof m->end_time, "2024-01-02T03:04:06Z");
    m->seconds = 1.25;

    r->n_scores = 4;
    r->scores = calloc(4, sizeof *r->scores);
    r->scores[0] = score_row("plain", "t,1", "m\"q\"", -0.1 / 3.0, "ok");
    set(r->scores[0].info, sizeof r->scores[0].info, "line1\nline2\r\n");
    r->scores[0].seconds = 1e-300;
    r->scores[0].gflops = 123456789.125;
    r->scores[1] = score_row(CTRL_NAME, UTF8_NAME, "dummy:fail=1", 0.5, "dummy-failure");
    set(r->scores[1].message, sizeof r->scores[1].message, "bad \"thing\"\b\f");
    set(r->scores[1].sweep, sizeof r->scores[1].sweep, "finetune:lr=0.01|0.1");
    r->scores[1].seconds = INFINITY;
    r->scores[1].gflops = -INFINITY;
    r->scores[1].heldout = 0.75;
    r->scores[1].best = 1;
    r->scores[2] = score_row(BAD_NAME, "t,1", "nleep", INFINITY, "ok");
    r->scores[2].seconds = NAN;
    r->scores[3] = score_row("nan-score", "t,1", "nleep", NAN, "ok");
    r->scores[3].gflops = 5e-324;

    r->n_gt = 2;
    r->gt = calloc(2, sizeof *r->gt);
    set(r->gt[0].ckpt, sizeof r->gt[0].ckpt, "plain");
    set(r->gt[0].task, sizeof r->gt[0].task, "t,1");
    r->gt[0].accuracy = 0.5;
    set(r->gt[1].ckpt, sizeof r->gt[1].ckpt, CTRL_NAME);
    set(r->gt[1].task, sizeof r->gt[1].task, UTF8_NAME);
    r->gt[1].accuracy = 1.0 / 7.0;

    r->n_metrics = 2;
    r->metrics = calloc(2, sizeof *r->metrics);
    for (int i = 0; i < 2; i++) {
        ckr_metric_row *q = &r->metrics[i];
        set(q->task, sizeof q->task, i ? "mean" : "t,1");
        set(q->method, sizeof q->method, "m\"q\"");
        q->n_checkpoints = 3 + i;
        q->n_excluded = 1;
        q->nk = 2;
        q->k[0] = 1;
        q->k[1] = 3;
        q->recall[0] = 1.0;
        q->recall[1] = 0.5 + i;
        q->rel[0] = NAN;
        q->rel[1] = INFINITY;
        q->pearson = -0.25;
        q->kendall = i ? 0.125 : NAN;
        q->weighted_kendall = 1.0 / 3.0;
        q->mean_seconds = 2.5;
        q->mean_gflops = 0.0;
    }
}

static const char *const score_keys[] = { "checkpoint", "task", "method", "score", "status",
                                          "message", "info", "seconds", "gflops", "heldout",
                                          "sweep", "best", "terms" };

static void check_score(const jval *o, const ckr_score_row *s, const char *ckpt, int from_csv)
{
    assert_int_equal(o->n, 13);
    for (size_t i = 0; i < 13; i++)
        assert_string_equal(o->key[i], score_keys[i]);
    expect_str(member(o, 0, "checkpoint"), ckpt);
    expect_str(member(o, 1, "task"), s->task);
    expect_str(member(o, 2, "method"), s->method);
    expect_num(member(o, 3, "score"), strcmp(s->status, "ok") == 0 ? s->score : NAN);
    expect_str(member(o, 4, "status"), s->status);
    expect_str(member(o, 5, "message"), s->message);
    expect_str(member(o, 6, "info"), s->info);
    expect_num(member(o, 7, "seconds"), s->seconds);
    expect_num(member(o, 8, "gflops"), s->gflops);
    expect_num(member(o, 9, "heldout"), from_csv ? NAN : s->heldout);
    expect_str(member(o, 10, "sweep"), s->sweep);
    const jval *b = member(o, 11, "best");
    assert_int_equal(b->t, J_BOOL);
    assert_int_equal(b->b, s->best);
}

static void check_metric(const jval *o, const ckr_metric_row *q)
{
    static const char *const keys[] = { "task", "method", "n_checkpoints", "n_excluded",
                                        "recall@1", "rel@1", "recall@3", "rel@3", "pearson",
                                        "kendall", "weighted_kendall", "mean_seconds",
                                        "mean_gflops" };
    assert_int_equal(o->n, 13);
    for (size_t i = 0; i < 13; i++)
        assert_string_equal(o->key[i], keys[i]);
    expect_str(&o->item[0], q->task);
    expect_str(&o->item[1], q->method);
    expect_int(&o->item[2], q->n_checkpoints);
    expect_int(&o->item[3], q->n_excluded);
    expect_num(&o->item[4], q->recall[0]);
    expect_num(&o->item[5], q->rel[0]);
    expect_num(&o->item[6], q->recall[1]);
    expect_num(&o->item[7], q->rel[1]);
    expect_num(&o->item[8], q->pearson);
    expect_num(&o->item[9], q->kendall);
    expect_num(&o->item[10], q->weighted_kendall);
    expect_num(&o->item[11], q->mean_seconds);
    expect_num(&o->item[12], q->mean_gflops);
}

/* The file is UTF-8 with no raw control character but the line breaks
 * between values. */
static void check_bytes(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        assert_true(*p >= 0x20 || *p == '\n');
        if (*p < 0x80)
            continue;
        int len = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
        assert_true(*p >= 0xC2 && *p <= 0xF4);
        for (int i = 1; i < len; i++)
            assert_true((p[i] & 0xC0) == 0x80);
        p += len - 1;
    }
}

static void write_and_parse(const ckr_results *r, unsigned flags, const char *name, jval *doc,
                            char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", ckr_test_tmpdir(), name);
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_write_json(path, r, flags, &err), 0);
    char *text = slurp(path);
    check_bytes(text);
    assert_int_equal(jparse(text, doc), 0);
    free(text);
}

static void test_round_trip(void **state)
{
    (void)state;
    ckr_results r;
    example(&r);
    jval doc;
    char path[300];
    write_and_parse(&r, 0, "run.json", &doc, path, sizeof path);

    static const char *const top[] = { "format", "format_version", "provenance", "k", "scores",
                                       "metrics", "ground_truth", "ranking", "agreement" };
    assert_int_equal(doc.n, 9);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(doc.key[i], top[i]);
    expect_str(&doc.item[0], "ckptrank-results-json");
    expect_int(&doc.item[1], 1);

    const jval *p = &doc.item[2];
    assert_int_equal(p->n, 9);
    expect_str(member(p, 0, "command_line"), r.meta.command_line);
    expect_str(member(p, 1, "version"), "0.1.0");
    expect_str(member(p, 2, "zoo"), "dir\\z,oo.h5");
    expect_str(member(p, 3, "methods"), "nleep,dummy:fail=1");
    assert_string_equal(member(p, 4, "seed")->text, "18446744073709551615");
    expect_int(member(p, 5, "n_ranks"), 3);
    expect_str(member(p, 6, "start_time"), "2024-01-02T03:04:05Z");
    expect_str(member(p, 7, "end_time"), "2024-01-02T03:04:06Z");
    expect_num(member(p, 8, "seconds"), 1.25);

    const jval *k = &doc.item[3];
    assert_int_equal(k->t, J_ARR);
    assert_int_equal(k->n, 2);
    expect_int(&k->item[0], 1);
    expect_int(&k->item[1], 3);

    const jval *s = &doc.item[4];
    assert_int_equal(s->t, J_ARR);
    assert_int_equal(s->n, 4);
    check_score(&s->item[0], &r.scores[0], "plain", 0);
    check_score(&s->item[1], &r.scores[1], CTRL_NAME, 0);
    check_score(&s->item[2], &r.scores[2], BAD_NAME_BACK, 0);
    check_score(&s->item[3], &r.scores[3], "nan-score", 0);
    /* by hand: ok with a finite score is a number; failed, infinite or NaN is null */
    assert_int_equal(s->item[0].item[3].t, J_NUM);
    assert_int_equal(s->item[1].item[3].t, J_NULL);
    assert_int_equal(s->item[2].item[3].t, J_NULL);
    assert_int_equal(s->item[3].item[3].t, J_NULL);
    assert_int_equal(s->item[1].item[9].t, J_NUM);   /* heldout 0.75 */

    const jval *m = &doc.item[5];
    assert_int_equal(m->n, 2);
    check_metric(&m->item[0], &r.metrics[0]);
    check_metric(&m->item[1], &r.metrics[1]);

    const jval *g = &doc.item[6];
    assert_int_equal(g->n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(g->item[i].n, 3);
        expect_str(member(&g->item[i], 0, "checkpoint"), r.gt[i].ckpt);
        expect_str(member(&g->item[i], 1, "task"), r.gt[i].task);
        expect_num(member(&g->item[i], 2, "accuracy"), r.gt[i].accuracy);
    }
    jfree(&doc);

    /* a second, independent parser: Python's json (strict: no raw control
     * characters, no NaN or Infinity) */
    char script[300], cmd[700];
    snprintf(script, sizeof script, "%s/check.py", ckr_test_tmpdir());
    FILE *py = fopen(script, "w");
    assert_non_null(py);
    fputs("import json, sys\n"
          "def bad(c): sys.exit('non-standard constant ' + c)\n"
          "d = json.load(open(sys.argv[1], encoding='utf-8'), parse_constant=bad)\n"
          "s = d['scores']\n"
          "assert s[1]['checkpoint'] == 'back\\\\slash\\ttab\\x01\\x1f/end', s[1]\n"
          "assert s[1]['task'] == 't\\u00e9\\u2603\\U0001F600', s[1]\n"
          "assert s[2]['checkpoint'] == 'x\\ufffdy', s[2]\n"
          "assert s[0]['method'] == 'm\"q\"' and s[0]['info'] == 'line1\\nline2\\r\\n', s[0]\n"
          "assert s[0]['score'] == -0.1 / 3 and s[0]['seconds'] == 1e-300, s[0]\n"
          "assert s[1]['score'] is None and s[1]['best'] is True and s[1]['heldout'] == 0.75\n"
          "assert d['provenance']['seed'] == 2**64 - 1, d['provenance']\n"
          "assert d['metrics'][0]['rel@3'] is None and d['k'] == [1, 3]\n",
          py);
    fclose(py);
    snprintf(cmd, sizeof cmd, CKR_PY " '%s' '%s'", script, path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    ckr_results_free(&r);
}

static void test_from_csv(void **state)
{
    (void)state;
    ckr_results r;
    example(&r);
    jval doc;
    char path[300];
    write_and_parse(&r, CKR_JSON_FROM_CSV, "csv.json", &doc, path, sizeof path);
    /* no run: the provenance is null but for the command line */
    const jval *p = &doc.item[2];
    assert_int_equal(p->n, 9);
    expect_str(member(p, 0, "command_line"), r.meta.command_line);
    for (size_t i = 1; i < 9; i++)
        assert_int_equal(p->item[i].t, J_NULL);
    /* and "heldout" is null; every other field as in a run */
    const jval *s = &doc.item[4];
    assert_int_equal(s->n, 4);
    check_score(&s->item[0], &r.scores[0], "plain", 1);
    check_score(&s->item[1], &r.scores[1], CTRL_NAME, 1);
    jfree(&doc);

    r.meta.command_line[0] = '\0';   /* an empty command line is null too */
    write_and_parse(&r, CKR_JSON_FROM_CSV, "csv2.json", &doc, path, sizeof path);
    assert_int_equal(member(&doc.item[2], 0, "command_line")->t, J_NULL);
    jfree(&doc);
    ckr_results_free(&r);
}

static void test_empty(void **state)
{
    (void)state;
    ckr_results r;
    memset(&r, 0, sizeof r);
    jval doc;
    char path[300];
    write_and_parse(&r, 0, "empty.json", &doc, path, sizeof path);
    assert_int_equal(doc.n, 9);
    for (size_t i = 3; i < 9; i++) {
        assert_int_equal(doc.item[i].t, J_ARR);
        assert_int_equal(doc.item[i].n, 0);
    }
    expect_str(member(&doc.item[2], 0, "command_line"), "");
    expect_int(member(&doc.item[2], 4, "seed"), 0);
    jfree(&doc);
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_write_json("/nonexistent-dir/x.json", &r, 0, &err), CKR_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.json"));
}

/* The parser itself refuses what RFC 8259 does (so a pass above means
 * something). */
static void test_parser_is_strict(void **state)
{
    (void)state;
    static const char *const bad[] = { "{\"a\": NaN}", "[1,]", "{\"a\" 1}", "\"tab\there\"",
                                       "[01]", "[1.]", "\"\\x41\"", "[Infinity]", "{} x",
                                       "\"\\ud800\"" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jval v;
        assert_int_not_equal(jparse(bad[i], &v), 0);
        jfree(&v);
    }
    jval v;
    assert_int_equal(jparse(" {\"a\": [1, -2.5e-3, true, null, \"\\u00e9\\ud83d\\ude00\"]} ", &v), 0);
    assert_string_equal(v.item[0].item[4].str, "\xc3\xa9\xf0\x9f\x98\x80");
    assert_true(v.item[0].item[1].num == -2.5e-3);
    jfree(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_is_strict),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_csv),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
