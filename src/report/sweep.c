#include "report/sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_summary(const ckr_score_row *r)
{
    return r->sweep[0] && strcmp(r->method, r->sweep) == 0;
}

static int same_group(const ckr_score_row *a, const ckr_score_row *b)
{
    return strcmp(a->sweep, b->sweep) == 0 && strcmp(a->ckpt, b->ckpt) == 0 &&
           strcmp(a->task, b->task) == 0;
}

/* Summary of the grid rows g[0..n). */
static ckr_score_row summarize(ckr_score_row *g, size_t n)
{
    ckr_score_row s = g[0];
    snprintf(s.method, sizeof s.method, "%s", g[0].sweep);
    s.seconds = s.gflops = 0.0;
    s.best = 1;
    long best = -1;
    size_t n_ok = 0;
    for (size_t i = 0; i < n; i++) {
        g[i].best = 0;
        if (isfinite(g[i].seconds))
            s.seconds += g[i].seconds;
        if (isfinite(g[i].gflops))
            s.gflops += g[i].gflops;
        if (!ckr_score_row_is_ok(&g[i]))
            continue;
        n_ok++;
        if (best < 0 || g[i].score > g[best].score)
            best = (long)i;
    }
    if (best < 0) {
        s.score = s.heldout = NAN;
        snprintf(s.status, sizeof s.status, "sweep-failed");
        snprintf(s.message, sizeof s.message, "none of the %zu grid points succeeded (first: %s: %.150s)",
                 n, g[0].status, g[0].message);
        s.info[0] = '\0';
        return s;
    }
    g[best].best = 1;
    s.score = g[best].score;
    s.heldout = g[best].heldout;
    snprintf(s.status, sizeof s.status, "ok");
    s.message[0] = '\0';
    snprintf(s.info, sizeof s.info, "best of %zu/%zu grid points: %.200s", n_ok, n, g[best].method);
    return s;
}

int ckr_results_add_sweep_best(ckr_results *r, ckr_err *err)
{
    size_t n = r->n_scores, groups = 0;
    for (size_t i = 0; i < n; i++)
        if (r->scores[i].sweep[0] && !is_summary(&r->scores[i]) &&
            (i == 0 || !same_group(&r->scores[i - 1], &r->scores[i])))
            groups++;
    ckr_score_row *out = calloc(n + groups + 1, sizeof *out);
    if (!out)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory adding sweep summaries");
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        ckr_score_row *row = &r->scores[i];
        if (is_summary(row)) {
            i++;
            continue;
        }
        if (!row->sweep[0]) {
            out[m++] = *row;
            i++;
            continue;
        }
        size_t j = i, first = m;
        while (j < n && (is_summary(&r->scores[j]) || same_group(row, &r->scores[j]))) {
            if (!is_summary(&r->scores[j]))
                out[m++] = r->scores[j];
            j++;
        }
        ckr_score_row s = summarize(out + first, m - first);
        out[m++] = s;
        i = j;
    }
    free(r->scores);
    r->scores = out;
    r->n_scores = m;
    return 0;
}
