/* crossnorm.c -- min-max normalisation of raw terms across a task's
 * checkpoints (crossnorm.h). */
#include "report/crossnorm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/method.h"

void ckr_terms_format(const double *t, int n, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < n && at < len; k++) {
        int w = snprintf(buf + at, len - at, "%s%.17g", k ? " " : "", t[k]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

int ckr_terms_parse(const char *s, double *t, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    while (*p) {
        if (n == max)
            return -1;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || (*end && *end != ' '))
            return -1;
        t[n++] = v;
        p = end;
        while (*p == ' ')
            p++;
    }
    return n;
}

/* Rows ordered by (method, task), then index: a group is a run of them. */
static const ckr_score_row *sort_rows;

static int cmp_group(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_rows[i].method, sort_rows[j].method);
    if (!c)
        c = strcmp(sort_rows[i].task, sort_rows[j].task);
    return c ? c : (i < j ? -1 : i > j);
}

/* The normalised method of a method text, or NULL. */
static const ckr_method *norm_method(const char *text)
{
    const char *colon = strchr(text, ':');
    size_t len = colon ? (size_t)(colon - text) : strlen(text);
    char name[64];
    if (len >= sizeof name)
        return NULL;
    memcpy(name, text, len);
    name[len] = '\0';
    const ckr_method *m = ckr_method_find(name);
    if (!m || m->n_terms <= 0)
        return NULL;
    ckr_spec spec;
    ckr_err err = { 0, "" };
    return ckr_spec_parse(text, &spec, &err) == 0 ? m : NULL; /* sweep summaries do not parse */
}

/* Normalise the group idx[0..g) of method m. */
static void norm_group(ckr_score_row *rows, const size_t *idx, size_t g, const ckr_method *m)
{
    int K = m->n_terms;
    double lo[CKR_MAX_TERMS], hi[CKR_MAX_TERMS], t[CKR_MAX_TERMS];
    int any = 0;
    for (size_t a = 0; a < g; a++) {
        ckr_score_row *r = &rows[idx[a]];
        if (strcmp(r->status, "ok") != 0)
            continue;
        if (ckr_terms_parse(r->terms, t, CKR_MAX_TERMS) != K) {
            r->score = NAN;
            snprintf(r->status, sizeof r->status, "bad-data");
            snprintf(r->message, sizeof r->message,
                     "no raw terms (%d numbers needed; got '%.100s'): cannot normalise across "
                     "checkpoints", K, r->terms);
            continue;
        }
        for (int k = 0; k < K; k++) {
            lo[k] = any && lo[k] <= t[k] ? lo[k] : t[k];
            hi[k] = any && hi[k] >= t[k] ? hi[k] : t[k];
        }
        any = 1;
    }
    for (size_t a = 0; a < g && any; a++) {
        ckr_score_row *r = &rows[idx[a]];
        if (strcmp(r->status, "ok") != 0)
            continue;
        ckr_terms_parse(r->terms, t, CKR_MAX_TERMS);
        double s = 0.0;
        for (int k = 0; k < K; k++) {
            double span = hi[k] - lo[k];
            if (span > 0.0)
                s += m->term_weights[k] * ((t[k] - lo[k]) / span);
        }
        r->score = s;
    }
}

int ckr_crossnorm_apply(ckr_score_row *rows, size_t n, ckr_err *err)
{
    size_t m = 0;
    size_t *idx = malloc((n + 1) * sizeof *idx);
    if (!idx)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory normalising %zu rows", n);
    const ckr_method *cache_m = NULL;
    const char *cache_text = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!cache_text || strcmp(cache_text, rows[i].method) != 0) {
            cache_text = rows[i].method;
            cache_m = norm_method(cache_text);
        }
        if (cache_m)
            idx[m++] = i;
    }
    sort_rows = rows;
    qsort(idx, m, sizeof *idx, cmp_group);
    for (size_t a = 0, b; a < m; a = b) {
        const ckr_score_row *r = &rows[idx[a]];
        for (b = a + 1; b < m && strcmp(rows[idx[b]].method, r->method) == 0 &&
                        strcmp(rows[idx[b]].task, r->task) == 0;
             b++)
            ;
        norm_group(rows, idx + a, b - a, norm_method(r->method));
    }
    free(idx);
    return 0;
}
