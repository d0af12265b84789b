/* testutil.h -- small helpers shared by the CMocka tests. */
#ifndef CKR_TESTUTIL_H
#define CKR_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian's python3 with numpy/scipy/sklearn/h5py (the reference). */
#define CKR_PY "/usr/bin/python3"

/* assert |a - b| <= tol * max(1, |b|) */
#define assert_close(a, b, tol)                                                     \
    do {                                                                            \
        double _a = (a), _b = (b), _t = (tol) * (fabs(_b) > 1 ? fabs(_b) : 1.0);    \
        if (!(fabs(_a - _b) <= _t)) {                                               \
            print_error("%s:%d: %.17g != %.17g (tol %.3g)\n", __FILE__, __LINE__,   \
                        _a, _b, _t);                                                \
            fail();                                                                 \
        }                                                                           \
    } while (0)

/* Make a fresh temporary directory; returns a static path. */
static inline const char *ckr_test_tmpdir(void)
{
    static char dir[256];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/ckrtest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return dir;
}

/* Run a shell command, return its exit status. */
static inline int ckr_test_sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

/* A cmocka group teardown: remove the directory of ckr_test_tmpdir(). */
static inline int ckr_test_remove_tmpdir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ckr_test_tmpdir());
    return ckr_test_sh(cmd);
}

#endif
