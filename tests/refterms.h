/* refterms.h -- tests/ref_ncti_etran.py from test_ncti.c and test_etran.c:
 * the reference's raw terms of a data set, compared with the C terms
 * (ckr_result.terms) at a relative tolerance. Include after scoretest.h. */
#ifndef CKR_REFTERMS_H
#define CKR_REFTERMS_H

/* The reference terms of `method` on ds with args "k=v ..." into t (returns
 * how many), or 0 with the status word in st (32 bytes). */
static inline int refterms(const char *method, const dataset *ds, const char *args, double *t,
                           char *st)
{
    static int seq;
    char path[400], cmd[2048], out[420], line[512];
    snprintf(path, sizeof path, "%s/rt_%s%d.txt", ckr_test_tmpdir(), method, seq++);
    ds_write(ds, path);
    snprintf(out, sizeof out, "%s.out", path);
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_ncti_etran.py %s %s %s > %s", method, path,
             args ? args : "", out);
    assert_int_equal(ckr_test_sh(cmd), 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    remove(out);
    remove(path);
    st[0] = '\0';
    if (strncmp(line, "status:", 7) == 0) {
        snprintf(st, 32, "%.*s", (int)strcspn(line + 7, "\n"), line + 7);
        return 0;
    }
    int n = 0;
    char *p = line, *end;
    while (n < CKR_MAX_TERMS) {
        double v = strtod(p, &end);
        if (end == p)
            break;
        t[n++] = v;
        p = end;
    }
    return n;
}

/* run_spec against the reference terms at relative tolerance rtol (of each
 * term; absolute below 1e-300); returns the C result */
static inline ckr_result refterms_check(const char *spec, const char *args, const dataset *ds,
                                        double rtol)
{
    char st[32], method[64];
    double t[CKR_MAX_TERMS];
    snprintf(method, sizeof method, "%.*s", (int)strcspn(spec, ":"), spec);
    int n = refterms(method, ds, args, t, st);
    ckr_result r = run_spec(spec, ds, NULL);
    if (st[0]) {
        if (strcmp(r.status, st) != 0)
            fail_msg("%s: status %s (%s), reference status %s", spec, r.status, r.message, st);
        return r;
    }
    if (strcmp(r.status, "ok") != 0)
        fail_msg("%s: status %s (%s), reference %.17g ...", spec, r.status, r.message, t[0]);
    if (r.n_terms != n)
        fail_msg("%s: %d terms, reference %d", spec, r.n_terms, n);
    for (int k = 0; k < n; k++) {
        double err = fabs(r.terms[k] - t[k]), scale = fabs(t[k]) > 1e-300 ? fabs(t[k]) : 1.0;
        if (getenv("REFSP_VERBOSE"))
            fprintf(stderr, "%-24s term %d C %.17g ref %.17g rel %.2g  [%s]\n", spec, k + 1,
                    r.terms[k], t[k], err / scale, r.info);
        if (!(err <= rtol * scale))
            fail_msg("%s: term %d C %.17g reference %.17g (rel %.3g > %.3g) [%s]", spec, k + 1,
                     r.terms[k], t[k], err / scale, rtol, r.info);
    }
    return r;
}

#endif
