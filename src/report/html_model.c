/* html_model.c -- the index the HTML page is drawn from (see html_model.h). */
#include "report/html_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/consensus.h"

/* ---- name sets ------------------------------------------------------------------ */

struct ckr_name_id {
    const char *name;
    size_t id;
};
typedef struct ckr_name_id name_id;

static int cmp_name_id(const void *pa, const void *pb)
{
    const name_id *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

static int cmp_id(const void *pa, const void *pb)
{
    const name_id *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

static int cmp_key_name(const void *key, const void *elem)
{
    return strcmp(key, ((const name_id *)elem)->name);
}

static void nameset_free(ckr_nameset *ns)
{
    free(ns->name);
    free(ns->by_name);
    memset(ns, 0, sizeof *ns);
}

/* The distinct strings at base + i*stride (i < n): ids in order of first
 * appearance (by_appearance) or of name. */
static int nameset_build(const char *base, size_t stride, size_t n, int by_appearance,
                         ckr_nameset *ns)
{
    memset(ns, 0, sizeof *ns);
    name_id *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return CKR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        all[i] = (name_id){ base + i * stride, i };
    qsort(all, n, sizeof *all, cmp_name_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(all[i].name, all[m - 1].name) != 0)
            all[m++] = all[i];
    if (by_appearance)
        qsort(all, m, sizeof *all, cmp_id);
    ns->name = malloc((m ? m : 1) * sizeof *ns->name);
    if (!ns->name) {
        free(all);
        return CKR_ENOMEM;
    }
    for (size_t j = 0; j < m; j++) {
        ns->name[j] = all[j].name;
        all[j].id = j;
    }
    qsort(all, m, sizeof *all, cmp_name_id);
    ns->by_name = all;
    ns->n = m;
    return 0;
}

long ckr_nameset_find(const ckr_nameset *ns, const char *name)
{
    const name_id *hit = ns->n ? bsearch(name, ns->by_name, ns->n, sizeof *ns->by_name, cmp_key_name)
                               : NULL;
    return hit ? (long)hit->id : -1;
}

/* ---- building the model ------------------------------------------------------------ */

typedef struct rowkey {
    size_t t, m, c, i;
} rowkey;

static int cmp_rowkey(const void *pa, const void *pb)
{
    const rowkey *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->m != b->m)
        return a->m < b->m ? -1 : 1;
    if (a->c != b->c)
        return a->c < b->c ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

typedef struct gtkey {
    const char *task, *ckpt;
    double acc;
} gtkey;

static int cmp_gtkey(const void *pa, const void *pb)
{
    const gtkey *a = pa, *b = pb;
    int c = strcmp(a->task, b->task);
    return c ? c : strcmp(a->ckpt, b->ckpt);
}

static int cmp_failure(const void *pa, const void *pb)
{
    const ckr_html_failure *a = pa, *b = pb;
    int c = strcmp(a->method, b->method);
    return c ? c : strcmp(a->status, b->status);
}

void ckr_html_model_free(ckr_html_model *md)
{
    nameset_free(&md->tasks);
    nameset_free(&md->methods);
    nameset_free(&md->ckpts);
    free(md->cid);
    free(md->acc);
    free(md->chosen);
    free(md->cstart);
    free(md->cend);
    free(md->met);
    free(md->mean);
    free(md->fail);
    memset(md, 0, sizeof *md);
}

/* Ground truth of each score row (NaN if none or not finite). */
static int lookup_acc(ckr_html_model *md)
{
    const ckr_results *r = md->r;
    gtkey *gk = malloc((r->n_gt ? r->n_gt : 1) * sizeof *gk);
    if (!gk)
        return CKR_ENOMEM;
    for (size_t i = 0; i < r->n_gt; i++)
        gk[i] = (gtkey){ r->gt[i].task, r->gt[i].ckpt, r->gt[i].accuracy };
    qsort(gk, r->n_gt, sizeof *gk, cmp_gtkey);
    for (size_t i = 0; i < r->n_scores; i++) {
        const ckr_score_row *s = &r->scores[i];
        gtkey q = { s->task, s->ckpt, NAN };
        const gtkey *hit = r->n_gt ? bsearch(&q, gk, r->n_gt, sizeof *gk, cmp_gtkey) : NULL;
        md->acc[i] = hit && isfinite(hit->acc) ? hit->acc : NAN;
    }
    free(gk);
    return 0;
}

/* The chosen rows of every group, from keys sorted by (task, method,
 * checkpoint, row): per checkpoint the first row with best == 1, else the
 * first. */
static void choose_rows(ckr_html_model *md, const rowkey *keys, size_t n)
{
    const ckr_score_row *s = md->r->scores;
    size_t nc = 0;
    for (size_t a = 0, b; a < n; a = b) {
        size_t g = keys[a].t * md->M + keys[a].m;
        if (a == 0 || g != keys[a - 1].t * md->M + keys[a - 1].m)
            md->cstart[g] = nc;
        size_t pick = keys[a].i;
        int have_best = s[pick].best == 1;
        for (b = a; b < n && keys[b].t == keys[a].t && keys[b].m == keys[a].m &&
                    keys[b].c == keys[a].c;
             b++)
            if (!have_best && s[keys[b].i].best == 1) {
                pick = keys[b].i;
                have_best = 1;
            }
        md->chosen[nc++] = pick;
        md->cend[g] = nc;
    }
}

/* Each metrics row in its group (or as its method's mean). */
static void place_metrics(ckr_html_model *md)
{
    const ckr_results *r = md->r;
    for (size_t i = 0; i < r->n_metrics; i++) {
        const ckr_metric_row *q = &r->metrics[i];
        long m = ckr_nameset_find(&md->methods, q->method);
        if (m < 0)
            continue;
        if (strcmp(q->task, CKR_MEAN_TASK) == 0) {
            md->mean[m] = q;
            continue;
        }
        long t = ckr_nameset_find(&md->tasks, q->task);
        if (t >= 0)
            md->met[(size_t)t * md->M + (size_t)m] = q;
    }
}

/* The not-ok rows counted per (method, status). */
static int count_failures(ckr_html_model *md)
{
    const ckr_results *r = md->r;
    md->fail = malloc((md->n_bad ? md->n_bad : 1) * sizeof *md->fail);
    if (!md->fail)
        return CKR_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->n_scores; i++)
        if (!ckr_score_row_is_ok(&r->scores[i]))
            md->fail[n++] = (ckr_html_failure){ r->scores[i].method, r->scores[i].status, 1 };
    qsort(md->fail, n, sizeof *md->fail, cmp_failure);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && cmp_failure(&md->fail[u - 1], &md->fail[i]) == 0)
            md->fail[u - 1].n++;
        else
            md->fail[u++] = md->fail[i];
    }
    md->n_fail = u;
    return 0;
}

int ckr_html_model_build(ckr_html_model *md, const ckr_results *r)
{
    memset(md, 0, sizeof *md);
    md->r = r;
    size_t n = r->n_scores, stride = sizeof(ckr_score_row);
    rowkey *keys = NULL;
    int rc = CKR_ENOMEM;
    const char *base = n ? (const char *)r->scores : "";
    if (nameset_build(base + (n ? offsetof(ckr_score_row, task) : 0), stride, n, 0, &md->tasks) ||
        nameset_build(base + (n ? offsetof(ckr_score_row, method) : 0), stride, n, 1, &md->methods) ||
        nameset_build(base + (n ? offsetof(ckr_score_row, ckpt) : 0), stride, n, 0, &md->ckpts))
        goto cleanup;
    md->T = md->tasks.n;
    md->M = md->methods.n;
    size_t nn = n ? n : 1, ng = md->T * md->M > 0 ? md->T * md->M : 1;
    keys = malloc(nn * sizeof *keys);
    md->cid = malloc(nn * sizeof *md->cid);
    md->acc = malloc(nn * sizeof *md->acc);
    md->chosen = malloc(nn * sizeof *md->chosen);
    md->cstart = calloc(ng, sizeof *md->cstart);
    md->cend = calloc(ng, sizeof *md->cend);
    md->met = calloc(ng, sizeof *md->met);
    md->mean = calloc(md->M ? md->M : 1, sizeof *md->mean);
    if (!keys || !md->cid || !md->acc || !md->chosen || !md->cstart || !md->cend || !md->met ||
        !md->mean || lookup_acc(md) != 0)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const ckr_score_row *s = &r->scores[i];
        keys[i] = (rowkey){ (size_t)ckr_nameset_find(&md->tasks, s->task),
                            (size_t)ckr_nameset_find(&md->methods, s->method),
                            (size_t)ckr_nameset_find(&md->ckpts, s->ckpt), i };
        md->cid[i] = keys[i].c;
        if (ckr_score_row_is_ok(s))
            md->n_ok++;
        else
            md->n_bad++;
    }
    qsort(keys, n, sizeof *keys, cmp_rowkey);
    choose_rows(md, keys, n);
    place_metrics(md);
    for (size_t g = 0; g < md->T * md->M; g++)
        for (size_t j = md->cstart[g]; j < md->cend[g]; j++)
            md->n_ranked += ckr_html_ranked(md, md->chosen[j]);
    if (count_failures(md) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(keys);
    if (rc)
        ckr_html_model_free(md);
    return rc;
}

/* ---- questions the page asks -------------------------------------------------------- */

const size_t *ckr_html_chosen(const ckr_html_model *md, size_t t, size_t m, size_t *n)
{
    size_t g = t * md->M + m;
    *n = md->cend[g] - md->cstart[g];
    return md->chosen + md->cstart[g];
}

int ckr_html_ranked(const ckr_html_model *md, size_t i)
{
    return ckr_score_row_is_ok(&md->r->scores[i]) && isfinite(md->acc[i]);
}

const char *ckr_html_best_gt(const ckr_html_model *md, size_t t, double *best, size_t *n_tied)
{
    const ckr_results *r = md->r;
    const char *who = NULL;
    *best = NAN;
    *n_tied = 0;
    for (size_t i = 0; i < r->n_gt; i++) {
        const ckr_gt_row *g = &r->gt[i];
        if (strcmp(g->task, md->tasks.name[t]) != 0 || !isfinite(g->accuracy) ||
            ckr_nameset_find(&md->ckpts, g->ckpt) < 0)
            continue;
        if (isnan(*best) || g->accuracy > *best) {
            *best = g->accuracy;
            who = g->ckpt;
            *n_tied = 1;
        } else if (g->accuracy == *best) {
            (*n_tied)++;
            if (strcmp(g->ckpt, who) < 0)
                who = g->ckpt;
        }
    }
    return who;
}

long ckr_html_top_scored(const ckr_html_model *md, size_t t, size_t m)
{
    size_t k;
    const size_t *rows = ckr_html_chosen(md, t, m, &k);
    long top = -1;
    for (size_t j = 0; j < k; j++) {
        const ckr_score_row *s = &md->r->scores[rows[j]];
        if (ckr_score_row_is_ok(s) && (top < 0 || s->score > md->r->scores[top].score))
            top = (long)rows[j];
    }
    return top;
}

int ckr_html_is_consensus(const ckr_html_model *md, size_t m)
{
    return m < md->M && strcmp(md->methods.name[m], CKR_CONSENSUS_METHOD) == 0;
}
