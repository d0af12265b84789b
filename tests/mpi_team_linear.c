/* mpi_team_linear.c -- the trained baselines on a team of ranks (score_team
 * of `linear` and `finetune`, data-parallel training in train/team_train.h)
 * under mpirun -n 1, 2, 4.
 *
 * Each case's training rows are dealt to the ranks of a team in fixed
 * blocks (ckr_rowblocks_range), on MPI_COMM_WORLD and on its two halves;
 * the team's score and held-out test accuracy must equal the single-rank
 * `score` on the whole pair (checked against scikit-learn in
 * test_linear.c) to 1e-10 relative, with the same status, the same bits on
 * every rank, and the bits of `score` on a team of one. Cases: a validation
 * split, the seeded hold-out of train (its rows spread over the ranks),
 * multilabel (mAP over gathered logits), SGD minibatches (linear and
 * finetune, from the checkpoint's top layer or from scratch), classes that do
 * not occur (relabelling), N not divisible by P, fewer rows than ranks x
 * block, and failures (one training row, a label out of range on one rank). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/method.h"
#include "util/rng.h"
#include "util/stop.h"
#include "zoo/teamread.h"

static int nranks, me, n_compared;

typedef struct lcase {
    const char *name;
    size_t n, d, block, nval, ntest;
    int C, used;          /* classes declared, classes that occur (0: all) */
    ckr_task_kind kind;
    int bad_label;        /* label C in the last training row */
    size_t top;           /* width of the checkpoint's top layer (0: none) */
} lcase;

typedef struct lpair {
    ckr_pair pair;
    double *F, *V, *T, *W, *b;
    int *y, *vy, *ty;
    uint8_t *Y, *VY, *TY;
} lpair;

/* Rows around per-class means (overlapping: accuracies well below 1). */
static void fill(ckr_rng *rng, const double *mu, size_t n, size_t d, int used, int C,
                 ckr_task_kind kind, double *X, int *y, uint8_t *Y)
{
    for (size_t i = 0; i < n; i++) {
        int c = (int)ckr_rng_below(rng, (uint64_t)used);
        y[i] = c;
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = 2.0 + mu[(size_t)c * d + j] + 1.5 * ckr_rng_normal(rng);
        if (kind == CKR_MULTILABEL)
            for (int k = 0; k < C; k++)
                Y[i * (size_t)C + (size_t)k] = k == c || ckr_rng_uniform(rng) < 0.15;
    }
}

static void make_pair(const lcase *c, lpair *t)
{
    memset(t, 0, sizeof *t);
    ckr_rng rng;
    ckr_rng_seed(&rng, 77);
    size_t d = c->d, C = (size_t)c->C;
    int used = c->used ? c->used : c->C;
    double *mu = malloc(C * d * sizeof *mu);
    for (size_t k = 0; k < C * d; k++)
        mu[k] = ckr_rng_normal(&rng);
    int ml = c->kind == CKR_MULTILABEL;
    t->F = malloc(c->n * d * sizeof *t->F);
    t->y = malloc(c->n * sizeof *t->y);
    t->Y = ml ? malloc(c->n * C) : NULL;
    fill(&rng, mu, c->n, d, used, c->C, c->kind, t->F, t->y, t->Y);
    if (c->bad_label)
        t->y[c->n - 1] = c->C;
    ckr_pair *p = &t->pair;
    p->ckpt = "ck";
    p->task = c->name;
    p->kind = c->kind;
    p->num_classes = c->C;
    p->split_seed = 4242;
    p->train_features = (ckr_matrix){ c->n, d, t->F };
    p->train = (ckr_labels){ c->n, ml ? NULL : t->y, t->Y };
    if (c->nval) {
        t->V = malloc(c->nval * d * sizeof *t->V);
        t->vy = malloc(c->nval * sizeof *t->vy);
        t->VY = ml ? malloc(c->nval * C) : NULL;
        fill(&rng, mu, c->nval, d, used, c->C, c->kind, t->V, t->vy, t->VY);
        p->val_features = (ckr_matrix){ c->nval, d, t->V };
        p->val = (ckr_labels){ c->nval, ml ? NULL : t->vy, t->VY };
    }
    if (c->ntest) {
        t->T = malloc(c->ntest * d * sizeof *t->T);
        t->ty = malloc(c->ntest * sizeof *t->ty);
        t->TY = ml ? malloc(c->ntest * C) : NULL;
        fill(&rng, mu, c->ntest, d, used, c->C, c->kind, t->T, t->ty, t->TY);
        p->test_features = (ckr_matrix){ c->ntest, d, t->T };
        p->test = (ckr_labels){ c->ntest, ml ? NULL : t->ty, t->TY };
    }
    if (c->top) { /* the checkpoint's top layer: finetune starts from it */
        t->W = malloc(d * c->top * sizeof *t->W);
        t->b = malloc(c->top * sizeof *t->b);
        for (size_t k = 0; k < d * c->top; k++)
            t->W[k] = 0.3 * ckr_rng_normal(&rng);
        for (size_t k = 0; k < c->top; k++)
            t->b[k] = 0.1 * ckr_rng_normal(&rng);
        p->top_weights = (ckr_matrix){ d, c->top, t->W };
        p->top_bias = t->b;
    }
    free(mu);
}

static void free_pair(lpair *t)
{
    free(t->F);
    free(t->V);
    free(t->T);
    free(t->W);
    free(t->b);
    free(t->y);
    free(t->vy);
    free(t->ty);
    free(t->Y);
    free(t->VY);
    free(t->TY);
}

static int same_on_team(MPI_Comm comm, const void *buf, int len)
{
    char *root = malloc((size_t)len);
    memcpy(root, buf, (size_t)len);
    MPI_Bcast(root, len, MPI_BYTE, 0, comm);
    int same = memcmp(root, buf, (size_t)len) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, comm);
    free(root);
    return all;
}

static double rel(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1e-300 ? fabs(b) : 1.0);
}

static const char *const specs[] = {
    "linear", "linear:epochs=3,batch=64", "linear:standardize=0",
    "finetune:steps=12,batch=32,hidden=8", "finetune:epochs=2,batch=50,hidden=5,standardize=0",
    "finetune:steps=10,batch=40", /* from the top layer when the pair has one, else 256 wide */
};
#define NSPECS (sizeof specs / sizeof *specs)

static int check(const lcase *c, const lpair *t, MPI_Comm comm)
{
    int P, r, bad = 0;
    MPI_Comm_size(comm, &P);
    MPI_Comm_rank(comm, &r);
    ckr_team team = { .comm = comm, .size = P, .rank = r, .n_total = c->n };
    size_t rows = 0, C = (size_t)c->C;
    ckr_rowblocks_range(c->n, c->block, P, r, &team.row0, &rows);
    ckr_pair local = t->pair;
    local.train_features = (ckr_matrix){ rows, c->d, rows ? t->F + team.row0 * c->d : NULL };
    local.train.n = rows;
    local.train.y = t->pair.train.y && rows ? t->y + team.row0 : NULL;
    local.train.Y = t->pair.train.Y && rows ? t->Y + team.row0 * C : NULL;
    for (size_t k = 0; k < NSPECS; k++) {
        ckr_spec s;
        if (ckr_spec_parse(specs[k], &s, NULL) || !s.method->score_team) {
            fprintf(stderr, "%s: no team entry point\n", specs[k]);
            bad++;
            continue;
        }
        ckr_result one, tr;
        memset(&one, 0, sizeof one);
        memset(&tr, 0, sizeof tr);
        one.heldout = tr.heldout = NAN;
        ckr_rng rng;
        ckr_rng_seed(&rng, 13);
        s.method->score(&t->pair, &s.params, &rng, &one);
        ckr_rng_seed(&rng, 13);
        int rc = s.method->score_team(&local, &team, &s.params, &rng, &tr);
        struct {
            int rc;
            double score, heldout;
            char status[32], message[256], info[256];
        } v;
        memset(&v, 0, sizeof v);
        v.rc = rc;
        v.score = tr.score;
        v.heldout = tr.heldout;
        memcpy(v.status, tr.status, sizeof v.status);
        memcpy(v.message, tr.message, sizeof v.message);
        memcpy(v.info, tr.info, sizeof v.info);
        if (!same_on_team(comm, &v, (int)sizeof v)) {
            fprintf(stderr, "[%d] %s %s P=%d: ranks disagree\n", me, c->name, specs[k], P);
            bad++;
        }
        if (strcmp(one.status, tr.status) || strcmp(one.message, tr.message)) {
            fprintf(stderr, "[%d] %s %s P=%d: '%s' '%s' vs single '%s' '%s'\n", me, c->name,
                    specs[k], P, tr.status, tr.message, one.status, one.message);
            bad++;
            continue;
        }
        if (strcmp(one.status, "ok") != 0) {
            if (rc == 0 || !isnan(tr.score)) {
                fprintf(stderr, "[%d] %s %s: failed with rc %d\n", me, c->name, specs[k], rc);
                bad++;
            }
            continue;
        }
        n_compared++;
        int held_same = isnan(one.heldout) ? isnan(tr.heldout)
                                           : rel(tr.heldout, one.heldout) <= 1e-10;
        if (rc || rel(tr.score, one.score) > 1e-10 || !held_same ||
            (P == 1 && memcmp(&tr.score, &one.score, sizeof tr.score))) {
            fprintf(stderr, "[%d] %s %s P=%d: %.17g (heldout %g) vs single %.17g (%g)\n  '%s'\n  '%s'\n",
                    me, c->name, specs[k], P, tr.score, tr.heldout, one.score, one.heldout,
                    tr.info, one.info);
            bad++;
        }
        if (getenv("CKR_TEAM_VERBOSE") && r == 0)
            printf("    %-8s %-26s P=%d %.6f  %s\n", c->name, specs[k], P, tr.score, tr.info);
    }
    return bad;
}

static void run(const lcase *cases, size_t nc, int expect_ok)
{
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, me < nranks / 2 ? 0 : 1, me, &half);
    int bad = 0;
    n_compared = 0;
    for (size_t i = 0; i < nc; i++) {
        lpair t;
        make_pair(&cases[i], &t);
        bad += check(&cases[i], &t, MPI_COMM_WORLD) + check(&cases[i], &t, half);
        free_pair(&t);
    }
    MPI_Comm_free(&half);
    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    assert_int_equal(total, 0);
    if (expect_ok)
        assert_int_equal(n_compared, 2 * (int)nc * (int)NSPECS);
}

static void test_linear_team(void **state)
{
    (void)state;
    const lcase cases[] = {
        /* the seeded hold-out of train, its rows on every rank; a test split */
        { "hold", 203, 7, 8, 0, 50, 4, 0, CKR_MULTICLASS, 0, 6 },
        /* a validation split, whole on every rank */
        { "val", 150, 5, 16, 60, 0, 3, 0, CKR_MULTICLASS, 0, 4 },
        /* fewer rows than ranks x block; 3 of 6 declared classes occur */
        { "few", 40, 4, 16, 0, 0, 6, 3, CKR_MULTICLASS, 0, 0 },
        /* multilabel: mAP over the gathered hold-out logits */
        { "ml", 181, 6, 8, 0, 40, 4, 0, CKR_MULTILABEL, 0, 0 },
        { "mlval", 97, 6, 8, 30, 0, 3, 0, CKR_MULTILABEL, 0, 0 },
    };
    run(cases, sizeof cases / sizeof *cases, 1);
}

static void test_linear_team_failures(void **state)
{
    (void)state;
    const lcase cases[] = {
        { "badlabel", 41, 4, 4, 0, 0, 3, 0, CKR_MULTICLASS, 1, 0 },
        { "one", 1, 4, 4, 0, 0, 2, 0, CKR_MULTICLASS, 0, 0 },
    };
    run(cases, sizeof cases / sizeof *cases, 0);
}

/* The stop flag raised on the last rank only: every rank stops training. */
static void test_linear_team_stop(void **state)
{
    (void)state;
    const lcase c = { "stop", 120, 4, 8, 0, 0, 3, 0, CKR_MULTICLASS, 0, 0 };
    lpair t;
    make_pair(&c, &t);
    ckr_team team = { .comm = MPI_COMM_WORLD, .size = nranks, .rank = me, .n_total = c.n };
    size_t rows = 0;
    ckr_rowblocks_range(c.n, c.block, nranks, me, &team.row0, &rows);
    ckr_pair local = t.pair;
    local.train_features = (ckr_matrix){ rows, c.d, rows ? t.F + team.row0 * c.d : NULL };
    local.train.n = rows;
    local.train.y = rows ? t.y + team.row0 : NULL;
    ckr_spec s;
    ckr_spec_parse("linear:epochs=2", &s, NULL);
    ckr_result tr;
    memset(&tr, 0, sizeof tr);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    if (me == nranks - 1)
        ckr_stop_raise();
    int rc = s.method->score_team(&local, &team, &s.params, &rng, &tr), ok = rc == CKR_EINTR, all;
    ckr_stop_clear();
    if (!ok)
        fprintf(stderr, "[%d] stop: rc %d %s\n", me, rc, tr.message);
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    free_pair(&t);
    /* one rank runs `score`, which another helper makes poll the flag */
    if (nranks > 1)
        assert_true(all);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_team),
        cmocka_unit_test(test_linear_team_failures),
        cmocka_unit_test(test_linear_team_stop),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
