#include "train/ibound.h"

#include <math.h>
#include <string.h>

#include "util/flops.h"

size_t ckr_ibound_work_size(size_t K)
{
    return 4 * K * K + 4 * K;
}

typedef struct work {
    double *E;     /* K x K: exp(S[i][l] - mx[i]) */
    double *Z;     /* K x K: sum_{l != j} E[i][l], j != arg[i] (these are >= 1) */
    double *A;     /* K x K: a[i][j] */
    double *W;     /* K x K: d a[i][j] / d m[i][j] */
    double *mx;    /* K: row maxima */
    double *arg;   /* K: index of the row maximum */
    double *mx2;   /* K: row maximum without arg[i] */
    double *Zr;    /* K: sum_{l != arg} exp(S[i][l] - mx2[i]) (>= 1) */
} work;

static work split_work(double *w, size_t K)
{
    double *r = w + 4 * K * K;
    work s = { w, w + K * K, w + 2 * K * K, w + 3 * K * K, r, r + K, r + 2 * K, r + 3 * K };
    return s;
}

/* log(exp(p) + exp(q)) and the weight exp(p - result) of p. */
static double log_add(double p, double q, double *wp)
{
    if (p == -INFINITY && q == -INFINITY) {
        *wp = 0.0;
        return -INFINITY;
    }
    if (p >= q) {
        double e = exp(q - p);
        *wp = 1.0 / (1.0 + e);
        return p + log1p(e);
    }
    double e = exp(p - q);
    *wp = e / (1.0 + e);
    return q + log1p(e);
}

/* Row i: maximum, shifted exponentials, leave-one-out log-sums, a and w.
 * The sum that leaves out the row maximum is shifted by the second largest
 * score, so it never underflows to 0 however dominant the maximum is. */
static void row_terms(const work *s, size_t K, size_t i, const double *Srow, double bi,
                      double la, double l1a)
{
    double *E = s->E + i * K, *Z = s->Z + i * K, *A = s->A + i * K, *W = s->W + i * K;
    size_t am = 0;
    for (size_t l = 1; l < K; l++)
        if (Srow[l] > Srow[am])
            am = l;
    double mx = Srow[am], mx2 = -INFINITY, T = 0.0, Zr = 0.0, lk = log((double)(K - 1));
    for (size_t l = 0; l < K; l++)
        if (l != am && Srow[l] > mx2)
            mx2 = Srow[l];
    for (size_t l = 0; l < K; l++) {
        E[l] = exp(Srow[l] - mx);
        T += E[l];
        if (l != am)
            Zr += exp(Srow[l] - mx2);
    }
    for (size_t j = 0; j < K; j++) {
        Z[j] = j == am ? 0.0 : T - E[j];
        double m = (j == am ? log(Zr) + mx2 : log(Z[j]) + mx) - lk;
        A[j] = log_add(la + m, l1a + bi, &W[j]);
    }
    s->mx[i] = mx;
    s->arg[i] = (double)am;
    s->mx2[i] = mx2;
    s->Zr[i] = Zr;
}

/* Gradient through m[i][.] (the leave-one-out sums) of row i, given
 * Gm[j] = dI/dm[i][j]; adds into dSrow:
 *   dS[i][l] += sum_{j != l} Gm[j] exp(S[i][l]) / sum_{l' != j} exp(S[i][l']). */
static void loo_backward(const work *s, size_t K, size_t i, const double *Srow,
                         const double *Gm, double *dSrow)
{
    const double *E = s->E + i * K, *Z = s->Z + i * K;
    size_t am = (size_t)s->arg[i];
    double tot = 0.0; /* sum_{j != am} Gm[j] / Z[j] */
    for (size_t j = 0; j < K; j++)
        if (j != am)
            tot += Gm[j] / Z[j];
    for (size_t l = 0; l < K; l++) {
        if (l == am) {
            dSrow[l] += tot;
            continue;
        }
        dSrow[l] += E[l] * (tot - Gm[l] / Z[l]) +
                    exp(Srow[l] - s->mx2[i]) / s->Zr[i] * Gm[am];
    }
}

double ckr_ibound(size_t K, const double *S, const double *b, double alpha, double *dS,
                  double *db, double *work_buf)
{
    if (K < 2)
        return NAN;
    work s = split_work(work_buf, K);
    double la = log(alpha), l1a = log1p(-alpha), N2 = (double)K * (double)(K - 1);
    double lN2 = log(N2);
    for (size_t i = 0; i < K; i++)
        row_terms(&s, K, i, S + i * K, b[i], la, l1a);
    /* marginal term in log space */
    double xmax = -INFINITY;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++)
            if (j != i && S[i * K + j] - s.A[i * K + i] > xmax)
                xmax = S[i * K + j] - s.A[i * K + i];
    double sum = 0.0, joint = 0.0;
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++) {
            if (j == i)
                continue;
            sum += exp(S[i * K + j] - s.A[i * K + i] - xmax);
            joint += S[i * K + i] - s.A[i * K + j];
        }
    double marg = exp(xmax + log(sum) - lN2);
    double value = 1.0 + joint / N2 - marg;
    ckr_flops_add(30.0 * (double)K * (double)K);
    if (!dS || !db)
        return value;

    /* dI/da: -1/N2 off the diagonal (joint), R_i on it (marginal) */
    memset(dS, 0, K * K * sizeof(double));
    for (size_t i = 0; i < K; i++) {
        double *dSr = dS + i * K, R = 0.0;
        for (size_t j = 0; j < K; j++) {
            if (j == i)
                continue;
            double p = exp(S[i * K + j] - s.A[i * K + i] - lN2);
            dSr[j] -= p;
            R += p;
        }
        dSr[i] += 1.0 / (double)K;
        /* Gm = Ga * w and db = sum Ga * (1 - w); Gm overwrites row i of a,
         * which later rows do not read (they use only their own diagonal) */
        double *Gm = s.A + i * K;
        double dbi = 0.0;
        for (size_t j = 0; j < K; j++) {
            double ga = j == i ? R : -1.0 / N2, w = s.W[i * K + j];
            Gm[j] = ga * w;
            dbi += ga * (1.0 - w);
        }
        db[i] = dbi;
        loo_backward(&s, K, i, S + i * K, Gm, dSr);
    }
    ckr_flops_add(12.0 * (double)K * (double)K);
    return value;
}
