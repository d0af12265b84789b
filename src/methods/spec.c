/* spec.c -- method specs `name:key=value,...`, parameter tables, sweeps. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/method.h"

/* ---- results ---------------------------------------------------------- */

int ckr_result_fail(ckr_result *res, int code, const char *word, const char *fmt, ...)
{
    va_list ap;
    res->score = NAN;
    snprintf(res->status, sizeof res->status, "%s", word ? word : ckr_err_word(code));
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    return code ? code : CKR_ENUM;
}

int ckr_result_ok(ckr_result *res, double score)
{
    if (!isfinite(score))
        return ckr_result_fail(res, CKR_ENUM, "numerical-error",
                               "score is not finite (%g)", score);
    res->score = score;
    snprintf(res->status, sizeof res->status, "ok");
    res->message[0] = '\0';
    return 0;
}

/* ---- parameter access -------------------------------------------------- */

static int param_index(const ckr_params *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->defs[i].key, key) == 0)
            return i;
    return -1;
}

double ckr_param_double(const ckr_params *p, const char *key)
{
    int i = param_index(p, key);
    return i < 0 ? NAN : strtod(p->val[i], NULL);
}

long ckr_param_int(const ckr_params *p, const char *key)
{
    int i = param_index(p, key);
    return i < 0 ? 0 : strtol(p->val[i], NULL, 10);
}

const char *ckr_param_str(const ckr_params *p, const char *key)
{
    int i = param_index(p, key);
    return i < 0 ? "" : p->val[i];
}

int ckr_param_given(const ckr_params *p, const char *key)
{
    int i = param_index(p, key);
    return i < 0 ? 0 : p->given[i];
}

/* ---- parsing ----------------------------------------------------------- */

static int check_value(const char *spec, const ckr_param_def *d, const char *v, ckr_err *err)
{
    char *end = NULL;
    errno = 0;
    switch (d->type) {
    case CKR_PARAM_DOUBLE: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x))
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not a number",
                               spec, d->key, v);
        return 0;
    }
    case CKR_PARAM_INT: {
        long x = strtol(v, &end, 10);
        (void)x;
        if (!*v || *end || errno)
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not an integer",
                               spec, d->key, v);
        return 0;
    }
    case CKR_PARAM_CHOICE: {
        size_t len = strlen(v);
        for (const char *c = d->choices; c && *c;) {
            const char *bar = strchr(c, '|');
            size_t n = bar ? (size_t)(bar - c) : strlen(c);
            if (n == len && strncmp(c, v, n) == 0)
                return 0;
            c = bar ? bar + 1 : c + n;
        }
        return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not one of %s",
                           spec, d->key, v, d->choices);
    }
    }
    return CKR_EARG;
}

static int init_params(const ckr_method *m, ckr_params *p, ckr_err *err)
{
    memset(p, 0, sizeof *p);
    p->defs = m->params;
    for (int i = 0; m->params && m->params[i].key; i++) {
        if (i >= CKR_MAX_PARAMS)
            return ckr_err_set(err, CKR_EARG, "method %s: too many parameters", m->name);
        snprintf(p->val[i], sizeof p->val[i], "%s", m->params[i].def);
        p->n = i + 1;
    }
    return 0;
}

static void param_keys(const ckr_method *m, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; m->params && m->params[i].key; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? ", " : "", m->params[i].key);
    }
    if (!buf[0])
        snprintf(buf, len, "none");
}

/* Split `spec` into name and key=value pairs; apply to out. allow_sweep: keep
 * '|' values unchecked (caller expands). */
static int parse_one(const char *text, ckr_spec *out, int allow_sweep, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(text) >= sizeof out->text)
        return ckr_err_set(err, CKR_EARG, "method spec too long: '%.40s...'", text);
    snprintf(out->text, sizeof out->text, "%s", text);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    out->method = ckr_method_find(buf);
    if (!out->method) {
        char names[512] = "";
        for (size_t i = 0; i < ckr_method_count(); i++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                     ckr_method_at(i)->name);
        }
        return ckr_err_set(err, CKR_EARG, "unknown method '%s' (known: %s)", buf, names);
    }
    int rc = init_params(out->method, &out->params, err);
    if (rc || !colon)
        return rc;
    char *save = NULL;
    for (char *kv = strtok_r(colon + 1, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return ckr_err_set(err, CKR_EARG, "method '%s': '%s' is not key=value", text, kv);
        *eq = '\0';
        int i = param_index(&out->params, kv);
        if (i < 0) {
            char keys[256];
            param_keys(out->method, keys, sizeof keys);
            return ckr_err_set(err, CKR_EARG, "method '%s': unknown parameter '%s' (known: %s)",
                               text, kv, keys);
        }
        if (out->params.given[i])
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter '%s' given twice", text, kv);
        if (strlen(eq + 1) >= sizeof out->params.val[i])
            return ckr_err_set(err, CKR_EARG, "method '%s': value of '%s' too long", text, kv);
        if (!(allow_sweep && strchr(eq + 1, '|'))) {
            rc = check_value(text, &out->method->params[i], eq + 1, err);
            if (rc)
                return rc;
        }
        snprintf(out->params.val[i], sizeof out->params.val[i], "%s", eq + 1);
        out->params.given[i] = 1;
    }
    return 0;
}

int ckr_spec_parse(const char *text, ckr_spec *out, ckr_err *err)
{
    return parse_one(text, out, 0, err);
}

/* ---- sweeps ------------------------------------------------------------ */

typedef struct spec_list {
    ckr_spec *v;
    size_t n, cap;
} spec_list;

static int list_push(spec_list *l, const ckr_spec *s, ckr_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        ckr_spec *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ckr_err_set(err, CKR_ENOMEM, "out of memory expanding method specs");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *s;
    return 0;
}

/* Expand the sweep values of `spec` (parsed with allow_sweep) recursively
 * over the user's key order (the order of keys in spec->text). */
static int expand(const ckr_spec *base, const char *text, spec_list *l, ckr_err *err)
{
    const char *bar = strchr(text, '|');
    if (!bar) {
        ckr_spec s;
        int rc = parse_one(text, &s, 0, err);
        if (rc)
            return rc;
        if (strcmp(base->text, text) != 0)
            snprintf(s.sweep, sizeof s.sweep, "%s", base->text);
        return list_push(l, &s, err);
    }
    /* the value containing the first '|' spans from after '=' to ',' or end */
    const char *start = bar;
    while (start > text && start[-1] != '=')
        start--;
    const char *end = bar;
    while (*end && *end != ',')
        end++;
    char alt[256];
    for (const char *a = start; a < end;) {
        const char *b = memchr(a, '|', (size_t)(end - a));
        size_t n = b ? (size_t)(b - a) : (size_t)(end - a);
        if (n == 0)
            return ckr_err_set(err, CKR_EARG, "method '%s': empty value in a sweep", base->text);
        int w = snprintf(alt, sizeof alt, "%.*s%.*s%s", (int)(start - text), text, (int)n, a, end);
        if (w < 0 || (size_t)w >= sizeof alt)
            return ckr_err_set(err, CKR_EARG, "method '%s': spec too long", base->text);
        int rc = expand(base, alt, l, err);
        if (rc)
            return rc;
        a = b ? b + 1 : end;
    }
    return 0;
}

/* Is `tok` (a comma-separated piece) the start of a new spec, not a key=value
 * continuing the previous one? */
static int starts_spec(const char *tok)
{
    const char *colon = strchr(tok, ':');
    const char *eq = strchr(tok, '=');
    return !eq || (colon && colon < eq);
}

int ckr_spec_parse_list(const char *list, ckr_spec **out, size_t *n, ckr_err *err)
{
    spec_list l = { 0 };
    char *copy = strdup(list ? list : "");
    int rc = 0;
    if (!copy)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory");
    char cur[256] = "";
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save);; tok = strtok_r(NULL, ",", &save)) {
        while (tok && isspace((unsigned char)*tok))
            tok++;
        if (!tok || starts_spec(tok)) {
            if (cur[0]) {
                ckr_spec base;
                rc = parse_one(cur, &base, 1, err);
                if (!rc)
                    rc = expand(&base, cur, &l, err);
                if (rc)
                    goto cleanup;
            }
            if (!tok)
                break;
            snprintf(cur, sizeof cur, "%s", tok);
        } else {
            if (!cur[0]) {
                rc = ckr_err_set(err, CKR_EARG, "method list: '%s' has no method name", tok);
                goto cleanup;
            }
            size_t used = strlen(cur);
            snprintf(cur + used, sizeof cur - used, ",%s", tok);
        }
    }
    if (l.n == 0)
        rc = ckr_err_set(err, CKR_EARG, "no method given");
    for (size_t i = 0; !rc && i < l.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(l.v[i].text, l.v[j].text) == 0) {
                rc = ckr_err_set(err, CKR_EARG, "method '%s' listed twice", l.v[i].text);
                break;
            }
cleanup:
    free(copy);
    if (rc) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}
