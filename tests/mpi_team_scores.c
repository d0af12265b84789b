/* mpi_team_scores.c -- the team entry points of the closed-form scores
 * (score_team in methods/method.h) under mpirun -n 1, 2, 4.
 *
 * Each case is a random class-structured pair, the same on every rank. Its
 * rows are dealt to the ranks of a team in fixed blocks
 * (ckr_rowblocks_range); the team score, on MPI_COMM_WORLD and on the two
 * halves of it (MPI_Comm_split), must equal the single-rank `score` on the
 * whole pair to 1e-10 relative (the single-rank scores are checked against
 * numpy and the papers' formulas in test_logme.c, test_hscore.c, ...), have
 * the same status and message, and be the same bits on every rank of the
 * team (and the same bits as `score` on a team of one). Failing inputs (one
 * class, NaN on one rank only, a label out of range on one rank, multilabel
 * for the partition scores) must fail on every rank with the single-rank
 * status and message, without hanging.
 *
 * Assertions come after the collectives of a case (failures are counted and
 * summed over the world), so a failing rank never leaves the others waiting. */
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
#include "zoo/teamread.h"

static int nranks, me;
static int n_ok_compared;      /* ok scores compared on this rank */
static int n_skipped;          /* (case, spec) pairs left out on purpose */
static double max_rel;         /* largest relative difference seen */

static const char *const specs[] = {
    "logme",         "logme:form=thuml",     "hscore",     "hscore_shrink",
    "transrate",     "transrate:variant=tllib", "gbc",     "gbc:cov=diag",
    "gbc:pca=4",     "gbc:pca=0,cov=diag",
    "sfda",          "sfda:shrinkage=0.1",   "parc",       "parc:max_n=50",
    "parc:dims=4",
};
#define NSPECS (sizeof specs / sizeof *specs)

typedef struct tcase {
    const char *name;
    size_t n, d;
    int C;
    ckr_task_kind kind;
    size_t dead;       /* columns set to 0 (rank-deficient features) */
    int dup;           /* 1: column 1 duplicates column 0 */
    double offset;     /* added to every feature (centring matters) */
    size_t block;      /* rows per block of the row split */
    int one_class;     /* every label 0 */
    int nan_last;      /* NaN in the last row (held by the last rank with rows) */
    int bad_label;     /* label C in the last row */
} tcase;

typedef struct tpair {
    ckr_pair pair;
    double *F;
    int *y;
    uint8_t *Y;
} tpair;

/* A pair with class means 1.5 * N(0, 1) per class and unit noise. */
static void make_pair(const tcase *c, uint64_t seed, tpair *t)
{
    memset(t, 0, sizeof *t);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    size_t n = c->n, d = c->d, C = (size_t)c->C;
    double *means = malloc(C * d * sizeof *means);
    for (size_t k = 0; k < C * d; k++)
        means[k] = 1.5 * ckr_rng_normal(&rng);
    t->F = malloc(n * d * sizeof *t->F);
    t->y = malloc(n * sizeof *t->y);
    if (c->kind == CKR_MULTILABEL)
        t->Y = calloc(n * C, 1);
    for (size_t i = 0; i < n; i++) {
        int y = c->one_class ? 0 : (int)(i % C == 0 ? 0 : ckr_rng_below(&rng, C));
        if (i < C && !c->one_class)
            y = (int)i; /* every class present */
        t->y[i] = y;
        for (size_t j = 0; j < d; j++)
            t->F[i * d + j] = c->offset + means[(size_t)y * d + j] + ckr_rng_normal(&rng);
        if (t->Y) {
            for (size_t k = 0; k < C; k++)
                t->Y[i * C + k] = (k == (size_t)y) || ckr_rng_uniform(&rng) < 0.25;
            t->Y[i * C + C - 1] = i % 3 != 0; /* a frequent label */
        }
        for (size_t j = 0; j < c->dead && j < d; j++)
            t->F[i * d + d - 1 - j] = 0.0;
        if (c->dup && d > 1)
            t->F[i * d + 1] = t->F[i * d];
    }
    if (c->nan_last)
        t->F[(n - 1) * d + d / 2] = NAN;
    if (c->bad_label)
        t->y[n - 1] = c->C;
    free(means);
    t->pair.ckpt = "ck";
    t->pair.task = c->name;
    t->pair.kind = c->kind;
    t->pair.num_classes = c->C;
    t->pair.train.n = n;
    if (c->kind == CKR_MULTILABEL)
        t->pair.train.Y = t->Y;
    else
        t->pair.train.y = t->y;
    t->pair.train_features = (ckr_matrix){ n, d, t->F };
    t->pair.split_seed = seed;
}

static void free_pair(tpair *t)
{
    free(t->F);
    free(t->y);
    free(t->Y);
}

/* This rank's rows of the whole pair on a team of size P (data NULL when it
 * holds none). */
static ckr_pair local_pair(const tpair *t, size_t row0, size_t rows)
{
    ckr_pair l = t->pair;
    size_t d = t->pair.train_features.cols, C = (size_t)t->pair.num_classes;
    l.train_features = (ckr_matrix){ rows, d, rows ? t->F + row0 * d : NULL };
    l.train.n = rows;
    l.train.y = t->pair.train.y && rows ? t->y + row0 : NULL;
    l.train.Y = t->pair.train.Y && rows ? t->Y + row0 * C : NULL;
    return l;
}

static ckr_result run_single(const ckr_spec *s, const ckr_pair *pair)
{
    ckr_result r;
    memset(&r, 0, sizeof r);
    r.heldout = NAN;
    ckr_rng rng;
    ckr_rng_seed(&rng, 7);
    s->method->score(pair, &s->params, &rng, &r);
    return r;
}

/* 1 when buf has the same bytes on every rank of comm. */
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

/* Score the case with every spec on the team comm; returns the failures
 * seen by this rank. */
static int check_team(const tcase *c, const tpair *t, MPI_Comm comm)
{
    int P, r, bad = 0;
    MPI_Comm_size(comm, &P);
    MPI_Comm_rank(comm, &r);
    ckr_team team = { .comm = comm, .size = P, .rank = r, .n_total = c->n };
    size_t rows = 0;
    ckr_rowblocks_range(c->n, c->block, P, r, &team.row0, &rows);
    ckr_pair local = local_pair(t, team.row0, rows);
    for (size_t k = 0; k < NSPECS; k++) {
        ckr_spec s;
        ckr_err err = { 0, "" };
        if (ckr_spec_parse(specs[k], &s, &err)) {
            fprintf(stderr, "cannot parse %s: %s\n", specs[k], err.msg);
            return bad + 1;
        }
        if (!s.method->score_team) {
            fprintf(stderr, "%s has no team entry point\n", specs[k]);
            bad++;
            continue;
        }
        /* LogME's thuml form keeps only the eigenvalues whose square root
         * exceeds 1e-10, so on rank-deficient features its value depends on
         * how many rounding-noise eigenvalues survive: kernels that round
         * differently (e.g. OpenBLAS Prescott vs SkylakeX) keep 12 or 13 of
         * 16 on the same data. That form has no rank-independent value there
         * to compare with; the default exact form does, and is checked. */
        if ((c->dead || c->dup) && strcmp(specs[k], "logme:form=thuml") == 0) {
            n_skipped++;
            continue;
        }
        ckr_result one = run_single(&s, &t->pair), tr;
        memset(&tr, 0, sizeof tr);
        tr.heldout = NAN;
        ckr_rng rng;
        ckr_rng_seed(&rng, 7);
        int rc = s.method->score_team(&local, &team, &s.params, &rng, &tr);
        /* the same on every rank of the team: code, score, status, message, info */
        struct {
            int rc;
            double score;
            char status[32], message[256], info[256];
        } v;
        memset(&v, 0, sizeof v);
        v.rc = rc;
        v.score = tr.score;
        memcpy(v.status, tr.status, sizeof v.status);
        memcpy(v.message, tr.message, sizeof v.message);
        memcpy(v.info, tr.info, sizeof v.info);
        if (!same_on_team(comm, &v, (int)sizeof v)) {
            fprintf(stderr, "[%d] %s %s team %d: ranks disagree\n", me, c->name, specs[k], P);
            bad++;
        }
        if (strcmp(one.status, tr.status) || strcmp(one.message, tr.message)) {
            fprintf(stderr, "[%d] %s %s team %d: status '%s' '%s', single '%s' '%s'\n", me,
                    c->name, specs[k], P, tr.status, tr.message, one.status, one.message);
            bad++;
            continue;
        }
        if (strcmp(one.status, "ok") != 0) {
            if (!(isnan(tr.score) && rc != 0)) {
                fprintf(stderr, "[%d] %s %s: failed but rc %d score %g\n", me, c->name,
                        specs[k], rc, tr.score);
                bad++;
            }
            continue;
        }
        double diff = fabs(tr.score - one.score), tol = 1e-10 * fabs(one.score);
        n_ok_compared++;
        if (diff / fabs(one.score) > max_rel)
            max_rel = diff / fabs(one.score);
        if (getenv("CKR_TEAM_VERBOSE") && r == 0)
            printf("    %-9s %-24s P=%d rel %.2e  %s\n", c->name, specs[k], P,
                   diff / fabs(one.score), tr.info);
        if (rc != 0 || !(diff <= tol) || (P == 1 && memcmp(&tr.score, &one.score, sizeof tr.score))) {
            fprintf(stderr, "[%d] %s %s team %d: %.17g vs single %.17g (rel %.3g) info '%s' / '%s'\n",
                    me, c->name, specs[k], P, tr.score, one.score, diff / fabs(one.score),
                    tr.info, one.info);
            bad++;
        }
    }
    return bad;
}

/* Every case on the world and on its halves; asserts no rank saw a failure. */
static void run_cases(const tcase *cases, size_t ncases, int min_ok)
{
    n_ok_compared = 0;
    n_skipped = 0;
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, me < nranks / 2 ? 0 : 1, me, &half);
    int bad = 0;
    for (size_t i = 0; i < ncases; i++) {
        tpair t;
        make_pair(&cases[i], 1000 + i, &t);
        bad += check_team(&cases[i], &t, MPI_COMM_WORLD);
        bad += check_team(&cases[i], &t, half);
        free_pair(&t);
    }
    MPI_Comm_free(&half);
    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    assert_int_equal(total, 0);
    double worst = 0.0;
    MPI_Allreduce(&max_rel, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (me == 0)
        printf("    %d ok scores compared on rank 0 (2 teams x cases x specs), largest relative "
               "difference %.3g\n", n_ok_compared, worst);
    assert_true(n_ok_compared >= min_ok - n_skipped);
}

static void test_scores_equal_single_rank(void **state)
{
    (void)state;
    const tcase cases[] = {
        /* N not divisible by P, N > D, features off-centre */
        { .name = "n203", .n = 203, .d = 12, .C = 4, .offset = 3.0, .block = 8 },
        /* fewer rows than ranks x block: some ranks hold none */
        { .name = "n9", .n = 9, .d = 6, .C = 3, .offset = -1.0, .block = 4 },
        { .name = "n5", .n = 5, .d = 3, .C = 2, .block = 16 },
        /* N < D: the single-rank path takes the kernel, the team the Gram */
        { .name = "n15d40", .n = 15, .d = 40, .C = 3, .offset = 0.5, .block = 4 },
        /* rank-deficient: 3 dead columns and a duplicated one */
        { .name = "dead", .n = 150, .d = 16, .C = 5, .dead = 3, .dup = 1, .offset = 2.0,
          .block = 7 },
        /* more blocks than rows per rank, many classes */
        { .name = "c10", .n = 301, .d = 20, .C = 10, .block = 3 },
    };
    /* every spec scores every case */
    run_cases(cases, sizeof cases / sizeof *cases, 2 * 6 * (int)NSPECS);
}

static void test_multilabel(void **state)
{
    (void)state;
    /* LogME / H-scores: per-label targets; TransRate / GBC refuse on every rank */
    const tcase cases[] = {
        { .name = "ml", .n = 97, .d = 9, .C = 4, .kind = CKR_MULTILABEL, .offset = 1.0,
          .block = 5 },
    };
    run_cases(cases, 1, 2 * 4); /* logme x2, hscore, hscore_shrink */
}

static void test_failures_agree(void **state)
{
    (void)state;
    const tcase cases[] = {
        { .name = "oneclass", .n = 40, .d = 5, .C = 3, .one_class = 1, .block = 4 },
        /* the NaN and the bad label sit in the last row: one rank sees them */
        { .name = "nan", .n = 41, .d = 5, .C = 3, .nan_last = 1, .block = 4 },
        { .name = "badlabel", .n = 41, .d = 5, .C = 3, .bad_label = 1, .block = 4 },
    };
    run_cases(cases, sizeof cases / sizeof *cases, 0);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_equal_single_rank),
        cmocka_unit_test(test_multilabel),
        cmocka_unit_test(test_failures_agree),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
