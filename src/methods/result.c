/* result.c -- filling a ckr_result: ok with a score, or failed with a status. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "methods/method.h"
#include "util/msg.h"

int ckr_result_fail(ckr_result *res, int code, const char *word, const char *fmt, ...)
{
    va_list ap;
    res->score = NAN;
    res->n_terms = 0;
    snprintf(res->status, sizeof res->status, "%s", word ? word : ckr_err_word(code));
    va_start(ap, fmt);
    ckr_msg_vfitf(res->message, sizeof res->message, fmt, ap); /* problem kept, UTF-8 whole */
    va_end(ap);
    return code ? code : CKR_ENUM;
}

int ckr_result_ok(ckr_result *res, double score)
{
    if (!isfinite(score))
        return ckr_result_fail(res, CKR_ENUM, "numerical-error",
                               "score is not finite (%g)", score);
    res->score = score;
    snprintf(res->status, sizeof res->status, "ok");
    res->message[0] = '\0';
    return 0;
}

void ckr_result_settle(ckr_result *res, int rc, int abandoned, const char *why)
{
    if (abandoned)
        ckr_result_fail(res, CKR_EINTR, "not-run", "%s", why ? why : "stopped");
    else if (rc == 0 && strcmp(res->status, "ok") != 0)
        ckr_result_ok(res, res->score); /* a method that forgot to set ok */
    if (rc != 0 && (!res->status[0] || strcmp(res->status, "ok") == 0))
        ckr_result_fail(res, rc, NULL, "method failed without a message");
}

int ckr_result_terms(ckr_result *res, const double *t, const double *w, int n)
{
    double sum = 0.0;
    res->n_terms = 0;
    if (n < 1 || n > CKR_MAX_TERMS)
        return ckr_result_fail(res, CKR_EARG, NULL, "%d terms (1..%d)", n, CKR_MAX_TERMS);
    for (int k = 0; k < n; k++) {
        if (!isfinite(t[k]))
            return ckr_result_fail(res, CKR_ENUM, "numerical-error", "term %d is not finite (%g)",
                                   k + 1, t[k]);
        sum += w[k] * t[k];
    }
    int rc = ckr_result_ok(res, sum);
    if (rc)
        return rc;
    for (int k = 0; k < n; k++)
        res->terms[k] = t[k];
    res->n_terms = n;
    return 0;
}
