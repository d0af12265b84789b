/* crossnorm.c -- min-max normalisation of raw terms across a task's
 * checkpoints (crossnorm.h). */
#include "report/crossnorm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TERMS 4 /* as CKR_MAX_TERMS (methods/method.h) */

/* x in the shortest %.Ng (N = 15..17) that reads back as the same bits */
static int put_num(char *buf, size_t len, double x)
{
    int w = 0;
    for (int prec = 15; prec <= 17; prec++) {
        w = snprintf(buf, len, "%.*g", prec, x);
        if (w < 0 || (size_t)w >= len || strtod(buf, NULL) == x)
            break;
    }
    return w;
}

void ckr_terms_format(const double *w, const double *t, int n, char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < n && at + 1 < len; k++) {
        if (k)
            buf[at++] = ' ';
        int a = put_num(buf + at, len - at, w[k]);
        if (a < 0 || at + (size_t)a + 1 >= len)
            break;
        at += (size_t)a;
        buf[at++] = ':';
        a = put_num(buf + at, len - at, t[k]);
        if (a < 0 || at + (size_t)a >= len)
            break;
        at += (size_t)a;
    }
    buf[at < len ? at : len - 1] = '\0';
}

static int get_num(const char **p, double *x)
{
    char *end;
    *x = strtod(*p, &end);
    if (end == *p || !isfinite(*x))
        return -1;
    *p = end;
    return 0;
}

int ckr_terms_parse(const char *s, double *w, double *t, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ')
        p++;
    while (*p) {
        if (n == max || get_num(&p, &w[n]) || *p++ != ':' || get_num(&p, &t[n]) ||
            (*p && *p != ' '))
            return -1;
        n++;
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

static void bad_terms(ckr_score_row *r, const char *why)
{
    r->score = NAN;
    snprintf(r->status, sizeof r->status, "bad-data");
    snprintf(r->message, sizeof r->message,
             "raw terms '%.120s' %s: cannot normalise across checkpoints", r->terms, why);
}

/* Normalise the group idx[0..g) (rows with status ok and terms). Rows
 * that disagree on the number of terms or the weights make every row of
 * the group bad-data (whichever order the rows come in). */
static void norm_group(ckr_score_row *rows, const size_t *idx, size_t g)
{
    double lo[MAX_TERMS], hi[MAX_TERMS], w0[MAX_TERMS], w[MAX_TERMS], t[MAX_TERMS];
    int K = -1, have = 0, mixed = 0;
    for (size_t a = 0; a < g; a++) {
        ckr_score_row *r = &rows[idx[a]];
        int n = ckr_terms_parse(r->terms, w, t, MAX_TERMS);
        if (n < 1) {
            bad_terms(r, "do not read as weight:term pairs");
            continue;
        }
        if (K < 0) {
            K = n;
            memcpy(w0, w, sizeof w);
        } else if (n != K || memcmp(w, w0, (size_t)K * sizeof *w) != 0) {
            mixed = 1;
        }
        for (int k = 0; k < K && k < n; k++) {
            lo[k] = have && lo[k] <= t[k] ? lo[k] : t[k];
            hi[k] = have && hi[k] >= t[k] ? hi[k] : t[k];
        }
        have = 1;
    }
    for (size_t a = 0; a < g && K > 0; a++) {
        ckr_score_row *r = &rows[idx[a]];
        if (strcmp(r->status, "ok") != 0)
            continue;
        if (mixed) {
            bad_terms(r, "and those of other rows of the task and method differ in number "
                      "or weights");
            continue;
        }
        ckr_terms_parse(r->terms, w, t, MAX_TERMS);
        double s = 0.0;
        for (int k = 0; k < K; k++) {
            double span = hi[k] - lo[k];
            if (span > 0.0)
                s += w[k] * ((t[k] - lo[k]) / span);
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
    for (size_t i = 0; i < n; i++)
        if (rows[i].terms[0] && strcmp(rows[i].status, "ok") == 0 &&
            !(rows[i].sweep[0] && strcmp(rows[i].method, rows[i].sweep) == 0))
            idx[m++] = i; /* a sweep's summary row copies its best grid point's */
    sort_rows = rows;
    qsort(idx, m, sizeof *idx, cmp_group);
    for (size_t a = 0, b; a < m; a = b) {
        const ckr_score_row *r = &rows[idx[a]];
        for (b = a + 1; b < m && strcmp(rows[idx[b]].method, r->method) == 0 &&
                        strcmp(rows[idx[b]].task, r->task) == 0;
             b++)
            ;
        norm_group(rows, idx + a, b - a);
    }
    free(idx);
    return 0;
}
