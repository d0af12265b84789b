/* refsp.h -- tests/ref_sfda_parc.py from the tests of sfda and parc
 * (test_sfda.c, test_parc.c): the numpy reference of a data set, a C-vs-numpy
 * check at a relative tolerance, iris as a data set and real-like features
 * (ReLU activations with dead units). Include after scoretest.h. */
#ifndef CKR_REFSP_H
#define CKR_REFSP_H

/* numpy value of `method` ("sfda"/"parc") on ds with args "k=v ..."; NaN
 * and the status word in st (32 bytes) when the reference gives a status */
static inline double refsp_score(const char *method, const dataset *ds, const char *args,
                                 char *st)
{
    static int seq;
    char path[400], cmd[2048], out[420];
    snprintf(path, sizeof path, "%s/sp_%s%d.txt", ckr_test_tmpdir(), method, seq++);
    ds_write(ds, path);
    snprintf(out, sizeof out, "%s.out", path);
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_sfda_parc.py %s %s %s > %s", method, path,
             args ? args : "", out);
    assert_int_equal(ckr_test_sh(cmd), 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    remove(out);
    remove(path);
    st[0] = '\0';
    if (strncmp(line, "status:", 7) == 0) {
        snprintf(st, 32, "%.*s", (int)strcspn(line + 7, "\n"), line + 7);
        return NAN;
    }
    return strtod(line, NULL);
}

/* run_spec against the reference at relative tolerance rtol; returns the
 * C result */
static inline ckr_result refsp_check(const char *spec, const char *args, const dataset *ds,
                                     double rtol)
{
    char st[32], method[64];
    snprintf(method, sizeof method, "%.*s", (int)strcspn(spec, ":"), spec);
    double ref = refsp_score(method, ds, args, st);
    ckr_result r = run_spec(spec, ds, NULL);
    if (st[0]) {
        if (strcmp(r.status, st) != 0)
            fail_msg("%s: status %s (%s), numpy status %s", spec, r.status, r.message, st);
        return r;
    }
    if (strcmp(r.status, "ok") != 0)
        fail_msg("%s: status %s (%s), numpy %.17g", spec, r.status, r.message, ref);
    if (getenv("REFSP_VERBOSE"))
        fprintf(stderr, "%-24s C %.17g numpy %.17g rel %.2g  [%s]\n", spec, r.score, ref,
                fabs(r.score - ref) / fabs(ref), r.info);
    if (!(fabs(r.score - ref) <= rtol * fabs(ref)))
        fail_msg("%s: C %.17g numpy %.17g (rel %.3g > %.3g)", spec, r.score, ref,
                 fabs(r.score - ref) / fabs(ref), rtol);
    return r;
}

/* scikit-learn's iris (150 x 4, 3 classes) */
static inline dataset refsp_iris(void)
{
    char path[400], cmd[1024];
    snprintf(path, sizeof path, "%s/iris.txt", ckr_test_tmpdir());
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_sfda_parc.py iris %s", path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n, d, z;
    int C, kind;
    assert_int_equal(fscanf(f, "%zu %zu %d %d %zu", &n, &d, &C, &kind, &z), 5);
    dataset ds = ds_new(n, d, C, CKR_MULTICLASS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(fscanf(f, "%d", &ds.y[i]), 1);
        for (size_t j = 0; j < d; j++)
            assert_int_equal(fscanf(f, "%lf", &ds.F[i * d + j]), 1);
    }
    fclose(f);
    remove(path);
    return ds;
}

/* real-like features: ReLU(N(0,1) + 1.5 [j % C == y] - 0.5), every `dead`-th
 * column 0 everywhere (dead units) */
static inline dataset refsp_relu(size_t n, size_t d, int C, size_t dead, uint64_t seed)
{
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    dataset ds = ds_new(n, d, C, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double v = ds.F[i * d + j] - 0.5;
            ds.F[i * d + j] = (dead && j % dead == 0) || v < 0.0 ? 0.0 : v;
        }
    return ds;
}

#endif
