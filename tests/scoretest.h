/* scoretest.h -- the helpers shared by the score-method tests
 * (test_gbc.c, test_hscore.c, test_logme.c, test_nce.c, test_transrate.c):
 *
 *   dataset            features F (n x d), optional logits L (n x z), labels
 *                      y (multiclass) or Y (n x C, multilabel)
 *   ds_new / ds_free   allocate (zeroed, no logits) / release one
 *   ds_random          class-dependent Gaussian features
 *   ds_write           the text form tests/ref_scores.py reads
 *   ref_score          the numpy reference value (or NaN and its status)
 *   run_spec           score a data set with a method spec "name:k=v,..."
 *   check_vs_numpy     run_spec against ref_score with the same parameters
 *   toyF, toyy, toy    METHODS.md's toy data set (6 x 2, two classes), scaled
 *
 * Everything is static (inline, so a test need not use all of it and gets no
 * unused-function warning); each test program has its own copy.  The
 * header includes <cmocka.h> with its prerequisites itself. */
#ifndef CKR_SCORETEST_H
#define CKR_SCORETEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "util/flops.h"
#include "testutil.h"

/* ---- a data set, its text form for ref_scores.py, the two scorers ------ */

typedef struct dataset {
    size_t n, d, z;
    int C, kind;
    double *F, *L;
    int *y;
    uint8_t *Y;
} dataset;

static inline dataset ds_new(size_t n, size_t d, int C, int kind)
{
    dataset ds = { n, d, 0, C, kind, calloc(n * d, sizeof(double)), NULL,
                   calloc(n, sizeof(int)), calloc(n * (size_t)C, 1) };
    return ds;
}

static inline void ds_free(dataset *ds)
{
    free(ds->F);
    free(ds->L);
    free(ds->y);
    free(ds->Y);
}

/* class-dependent Gaussian features: f = scale * (N(0,1) + 1.5 * [j % C == y]) */
static inline void ds_random(dataset *ds, ckr_rng *rng, double scale)
{
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->kind == CKR_MULTILABEL) {
            for (int c = 0; c < ds->C; c++)
                ds->Y[i * (size_t)ds->C + (size_t)c] = ckr_rng_uniform(rng) < 0.3;
            ds->y[i] = (int)ckr_rng_below(rng, (uint64_t)ds->C);
        } else {
            ds->y[i] = (int)ckr_rng_below(rng, (uint64_t)ds->C);
        }
        for (size_t j = 0; j < ds->d; j++) {
            int hot = ds->kind == CKR_MULTILABEL ? ds->Y[i * (size_t)ds->C + j % (size_t)ds->C]
                                                 : (int)(j % (size_t)ds->C) == ds->y[i];
            ds->F[i * ds->d + j] = scale * (ckr_rng_normal(rng) + 1.5 * hot);
        }
    }
}

static inline void ds_write(const dataset *ds, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%zu %zu %d %d %zu\n", ds->n, ds->d, ds->C, ds->kind, ds->z);
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->kind == CKR_MULTILABEL)
            for (int c = 0; c < ds->C; c++)
                fprintf(f, "%d ", ds->Y[i * (size_t)ds->C + (size_t)c]);
        else
            fprintf(f, "%d ", ds->y[i]);
        for (size_t j = 0; j < ds->d; j++)
            fprintf(f, " %.17g", ds->F[i * ds->d + j]);
        for (size_t j = 0; j < ds->z; j++)
            fprintf(f, " %.17g", ds->L[i * ds->z + j]);
        fprintf(f, "\n");
    }
    fclose(f);
}

/* numpy reference; returns the value, or NaN with the status word in st */
static inline double ref_score(const char *method, const dataset *ds, const char *args,
                               char *st)
{
    static int seq;
    char path[400], cmd[2048], line[420];
    snprintf(path, sizeof path, "%s/%s%d.txt", ckr_test_tmpdir(), method, seq++);
    ds_write(ds, path);
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_scores.py %s %s %s > %s.out", method, path,
             args ? args : "", path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    snprintf(line, sizeof line, "%s.out", path);
    FILE *f = fopen(line, "r");
    assert_non_null(f);
    char out[256];
    assert_non_null(fgets(out, sizeof out, f));
    fclose(f);
    remove(line);
    remove(path);
    memcpy(line, out, sizeof out);
    if (st)
        st[0] = '\0';
    if (strncmp(line, "status:", 7) == 0) {
        if (st)
            snprintf(st, 32, "%.*s", (int)strcspn(line + 7, "\n"), line + 7);
        return NAN;
    }
    return strtod(line, NULL);
}

static inline ckr_result run_spec(const char *spec, const dataset *ds, double *flops)
{
    ckr_spec s;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(spec, &s, &err) != 0)
        fail_msg("spec %s: %s", spec, err.msg);
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.kind = (ckr_task_kind)ds->kind;
    pair.num_classes = ds->C;
    pair.train.n = ds->n;
    pair.train.y = ds->kind == CKR_MULTILABEL ? NULL : ds->y;
    pair.train.Y = ds->kind == CKR_MULTILABEL ? ds->Y : NULL;
    pair.train_features = (ckr_matrix){ ds->n, ds->d, ds->F };
    pair.train_logits = (ckr_matrix){ ds->n, ds->z, ds->L };
    ckr_rng rng;
    ckr_rng_seed(&rng, 7);
    ckr_result r;
    memset(&r, 0, sizeof r);
    ckr_flops_reset();
    int rc = s.method->score(&pair, &s.params, &rng, &r);
    if (flops)
        *flops = ckr_flops_get();
    /* the return code and the status agree */
    if ((rc == 0) != (strcmp(r.status, "ok") == 0))
        fail_msg("%s: rc %d but status %s", spec, rc, r.status);
    if (rc == 0 && !isfinite(r.score))
        fail_msg("%s: ok with a non-finite score", spec);
    return r;
}

/* C against numpy with the same parameters (spec "name:k=v,..." <-> args "k=v ...") */
static inline void check_vs_numpy(const char *spec, const char *args, const dataset *ds,
                                  double tol)
{
    char st[32], method[64];
    snprintf(method, sizeof method, "%.*s", (int)strcspn(spec, ":"), spec);
    double ref = ref_score(method, ds, args, st);
    ckr_result r = run_spec(spec, ds, NULL);
    if (isnan(ref) && st[0]) {
        assert_string_equal(r.status, st);
        return;
    }
    if (!isfinite(ref)) { /* the reference breaks down (log 0): we must say so */
        assert_string_equal(r.status, "numerical-error");
        return;
    }
    if (strcmp(r.status, "ok") != 0)
        fail_msg("%s: status %s (%s), numpy %.17g", spec, r.status, r.message, ref);
    assert_close(r.score, ref, tol);
}

/* ---- METHODS.md's toy data set ------------------------------------------ */

static const double toyF[] = { 1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5 };
static const int toyy[] = { 0, 0, 0, 1, 1, 1 };

/* the toy data set with every feature multiplied by scale */
static inline dataset toy(double scale)
{
    dataset ds = ds_new(6, 2, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < 6; i++) {
        ds.y[i] = toyy[i];
        for (size_t j = 0; j < 2; j++)
            ds.F[i * 2 + j] = scale * toyF[i * 2 + j];
    }
    return ds;
}

#endif
