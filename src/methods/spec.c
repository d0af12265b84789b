/* spec.c -- method specs `name:key=value,...`: the name resolved in the
 * registry, the values stored in the method's config struct and checked,
 * lists and sweeps expanded (their text syntax is util/speclist.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/method.h"
#include "util/speclist.h"

/* ---- the config struct ------------------------------------------------- */

int ckr_param_given(const ckr_params *p, size_t offset)
{
    for (int i = 0; i < p->n; i++)
        if (p->defs[i].offset == offset)
            return p->given[i];
    return 0;
}

int ckr_param_refuse(ckr_param_fault *fault, size_t offset, const char *range)
{
    fault->offset = offset;
    fault->range = range;
    return CKR_EARG;
}

static int param_index(const ckr_params *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->defs[i].key, key) == 0)
            return i;
    return -1;
}

/* Index of v among the choices "a|b|c", or -1. */
static int choice_index(const char *choices, const char *v)
{
    size_t len = strlen(v);
    int i = 0;
    for (const char *c = choices; c && *c; i++) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);
        if (n == len && strncmp(c, v, n) == 0)
            return i;
        c = bar ? bar + 1 : c + n;
    }
    return -1;
}

/* Store the text v of parameter d in its field of config; CKR_EARG when v is
 * not of d's type (spec: the spec, for the message). */
static int store_value(const char *spec, const ckr_param_def *d, const char *v,
                       unsigned char *config, ckr_err *err)
{
    char *end = NULL;
    errno = 0;
    switch (d->type) {
    case CKR_PARAM_DOUBLE: {
        double x = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(x))
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not a number",
                               spec, d->key, v);
        memcpy(config + d->offset, &x, sizeof x);
        return 0;
    }
    case CKR_PARAM_INT: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || errno)
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not an integer",
                               spec, d->key, v);
        memcpy(config + d->offset, &x, sizeof x);
        return 0;
    }
    case CKR_PARAM_CHOICE: {
        int x = choice_index(d->choices, v);
        if (x < 0)
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s=%s is not one of %s",
                               spec, d->key, v, d->choices);
        memcpy(config + d->offset, &x, sizeof x);
        return 0;
    }
    }
    return ckr_err_set(err, CKR_EARG, "method '%s': parameter %s has no type", spec, d->key);
}

/* p = the method's table with every default stored (vals[i] = its text). */
static int init_params(const char *spec, const ckr_method *m, ckr_params *p,
                       const char **vals, ckr_err *err)
{
    memset(p, 0, sizeof *p);
    p->defs = m->params;
    for (int i = 0; m->params && m->params[i].key; i++) {
        if (i >= CKR_MAX_PARAMS)
            return ckr_err_set(err, CKR_EARG, "method %s: too many parameters", m->name);
        int rc = store_value(spec, &m->params[i], m->params[i].def, p->config.bytes, err);
        if (rc)
            return rc;
        vals[i] = m->params[i].def;
        p->n = i + 1;
    }
    return 0;
}

/* Run the method's check hook on the stored config. */
static int check_config(const char *spec, const ckr_method *m, const ckr_params *p,
                        const char *const *vals, ckr_err *err)
{
    ckr_param_fault fault = { 0, "" };
    if (!m->check || m->check(p->config.bytes, &fault) == 0)
        return 0;
    for (int i = 0; i < p->n; i++)
        if (p->defs[i].offset == fault.offset)
            return ckr_err_set(err, CKR_EARG, "method '%s': %s=%s is out of range (%s)", spec,
                               p->defs[i].key, vals[i], fault.range);
    return ckr_err_set(err, CKR_EARG, "method '%s': parameters out of range (%s)", spec,
                       fault.range);
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

static int unknown_method(const char *name, ckr_err *err)
{
    char names[512] = "";
    for (size_t i = 0; i < ckr_method_count(); i++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", ckr_method_at(i)->name);
    }
    return ckr_err_set(err, CKR_EARG, "unknown method '%s' (known: %s)", name, names);
}

/* ---- one spec ---------------------------------------------------------- */

/* Parse `text` into out: method, defaults, then the user's key=value pairs.
 * allow_sweep: leave values holding '|' unchecked at their default (the
 * caller expands the sweep and parses each grid point) and skip the check
 * hook. */
static int parse_one(const char *text, ckr_spec *out, int allow_sweep, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(text) >= sizeof out->text)
        return ckr_err_set(err, CKR_EARG, "method spec too long: '%.40s...'", text);
    snprintf(out->text, sizeof out->text, "%s", text);
    char buf[CKR_SPEC_TEXT_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    char *colon = strchr(buf, ':');
    if (colon)
        *colon = '\0';
    out->method = ckr_method_find(buf);
    if (!out->method)
        return unknown_method(buf, err);
    const char *vals[CKR_MAX_PARAMS]; /* value texts, for messages */
    ckr_params *p = &out->params;
    int rc = init_params(text, out->method, p, vals, err);
    if (rc)
        return rc;
    char *save = NULL;
    for (char *kv = colon ? strtok_r(colon + 1, ",", &save) : NULL; kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return ckr_err_set(err, CKR_EARG, "method '%s': '%s' is not key=value", text, kv);
        *eq = '\0';
        int i = param_index(p, kv);
        if (i < 0) {
            char keys[256];
            param_keys(out->method, keys, sizeof keys);
            return ckr_err_set(err, CKR_EARG, "method '%s': unknown parameter '%s' (known: %s)",
                               text, kv, keys);
        }
        if (p->given[i])
            return ckr_err_set(err, CKR_EARG, "method '%s': parameter '%s' given twice", text, kv);
        p->given[i] = 1;
        if (allow_sweep && strchr(eq + 1, '|'))
            continue;
        if ((rc = store_value(text, &p->defs[i], eq + 1, p->config.bytes, err)))
            return rc;
        vals[i] = eq + 1;
    }
    return allow_sweep ? 0 : check_config(text, out->method, p, vals, err);
}

int ckr_spec_parse(const char *text, ckr_spec *out, ckr_err *err)
{
    return parse_one(text, out, 0, err);
}

/* ---- lists ------------------------------------------------------------- */

typedef struct spec_list {
    ckr_spec *v;
    ckr_spec_point *points; /* v[i]'s text and sweep, for the duplicate check */
    size_t n, cap;
    ckr_err *err;
} spec_list;

/* ckr_speclist_grid visitor: parse one grid point and append it. */
static int add_point(const char *point, const char *sweep, void *arg)
{
    spec_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        ckr_spec *v = realloc(l->v, cap * sizeof *v);
        if (v)
            l->v = v;
        ckr_spec_point *pts = v ? realloc(l->points, cap * sizeof *pts) : NULL;
        if (!pts)
            return ckr_err_set(l->err, CKR_ENOMEM, "out of memory expanding method specs");
        l->points = pts;
        l->cap = cap;
    }
    ckr_spec *s = &l->v[l->n];
    int rc = parse_one(point, s, 0, l->err);
    if (rc)
        return rc;
    snprintf(s->sweep, sizeof s->sweep, "%s", sweep);
    snprintf(l->points[l->n].text, sizeof l->points[l->n].text, "%s", s->text);
    snprintf(l->points[l->n].sweep, sizeof l->points[l->n].sweep, "%s", sweep);
    l->n++;
    return 0;
}

int ckr_spec_parse_list(const char *list, ckr_spec **out, size_t *n, ckr_err *err)
{
    spec_list l = { NULL, NULL, 0, 0, err };
    char text[CKR_SPEC_TEXT_MAX];
    const char *cursor = list;
    int rc;
    /* each spec whole first (name, keys, the values that are not swept), then
     * its grid points */
    while (!(rc = ckr_speclist_next(&cursor, text, err)) && text[0]) {
        ckr_spec whole;
        if ((rc = parse_one(text, &whole, 1, err)) ||
            (rc = ckr_speclist_grid(text, add_point, &l, err)))
            break;
    }
    if (!rc)
        rc = ckr_speclist_check_unique(l.points, l.n, err);
    free(l.points);
    if (rc) {
        free(l.v);
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}
