/* pairtest.h -- helpers shared by the tests that score a hand-built ckr_pair
 * with a method spec (test_finetune.c, test_linear.c, test_mi.c):
 *
 *   run_spec      parse "name:k=v,..." and score pair with the rng seeded by
 *                 seed (heldout starts as NaN); no checks on the outcome
 *   spec_refused  the spec parser refuses a spec (CKR_EARG) with a message
 *                 containing a given part
 *   info_number   the number after key in a result's info string
 *
 * Static inline (a test need not use all of it).  Not for the score tests
 * of scoretest.h, which has its own run_spec on a data set. */
#ifndef CKR_PAIRTEST_H
#define CKR_PAIRTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "testutil.h"

static inline ckr_result run_spec(const char *text, const ckr_pair *pair, uint64_t seed)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), 0);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    ckr_result r;
    memset(&r, 0, sizeof r);
    r.heldout = NAN;
    spec.method->score(pair, &spec.params, &rng, &r);
    return r;
}

static inline void spec_refused(const char *text, const char *part)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), CKR_EARG);
    if (!strstr(err.msg, part))
        fail_msg("%s: message '%s' lacks '%s'", text, err.msg, part);
}

static inline double info_number(const char *info, const char *key)
{
    const char *p = strstr(info, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

#endif
