#!/usr/bin/python3
"""ref_scores_bench.py -- the numpy side of bench/bench_scores.c.

Usage: /usr/bin/python3 bench/ref_scores_bench.py RAWFILE N D C [--repeat R] [--literal]

RAWFILE: N*D float64 features (row-major), then N int32 labels in [0, C).
Times only the computation (not the load) of
  logme  : LogME, thuml `_fit_fixed_point` semantics, written the efficient
           numpy way: G = F.T @ F (numpy detects the A.T @ A pattern and calls
           dsyrk), np.linalg.eigh(G) (LAPACK dsyevd with vectors), class sums
           F.T @ Y with a one-hot Y (one dgemm), then the per-class
           fixed-point loop vectorised over the classes;
  hscore : H-score tr(pinv(cov_f) cov_g) the efficient numpy way: centred
           Gram (dsyrk), eigh, class means, C quadratic forms (pinv cut-off
           1e-15 relative, floored at max(N, D) * eps like ckptrank's).
With --literal also the public reference code's own formulation:
  logme_literal  : thuml truncated_svd (np.linalg.svd of F.T @ F, F @ V) and
                   the per-class loop of `_fit_fixed_point`;
  hscore_literal : TLlib h_score (np.cov of f and of the N x D class-mean
                   matrix g, np.linalg.pinv, trace of the product).
Prints one line per score: "<name> <seconds> <score repr>", the seconds being
the best of R runs (default 1).
Run it with OPENBLAS_NUM_THREADS=1 for the one-core comparison.
"""
import sys
import time

import numpy as np


def logme_fast(F, y, C):
    N, D = F.shape
    G = F.T @ F
    w, V = np.linalg.eigh(G)
    sig = np.abs(w)
    s = np.sqrt(sig)
    keep = s > 1e-10
    Y = np.zeros((N, C))
    Y[np.arange(N), y] = 1.0
    B = F.T @ Y                                   # D x C class sums
    X = (V[:, keep].T @ B) / s[keep, None]        # k x C
    sig = sig[keep][:, None]
    x2 = X ** 2
    r0 = Y.sum(0) - x2.sum(0)
    alpha = np.ones(C)
    beta = np.ones(C)
    active = np.ones(C, bool)
    res2 = np.zeros(C)
    m2 = np.zeros(C)
    for _ in range(11):
        t = alpha / beta
        gamma = (sig / (sig + t)).sum(0)
        m2n = (sig * x2 / ((t + sig) ** 2)).sum(0)
        res2n = (x2 / ((1 + sig / t) ** 2)).sum(0) + r0
        an = gamma / (m2n + 1e-5)
        bn = (N - gamma) / (res2n + 1e-5)
        # classes that already stopped keep their last values
        m2 = np.where(active, m2n, m2)
        res2 = np.where(active, res2n, res2)
        alpha_new = np.where(active, an, alpha)
        beta_new = np.where(active, bn, beta)
        done = np.abs(alpha_new / beta_new - t) / t <= 1e-3
        alpha, beta = alpha_new, beta_new
        active &= ~done
        if not active.any():
            break
    ev = (D / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta)
          - 0.5 * np.log(alpha[None, :] + beta[None, :] * sig).sum(0)
          - beta / 2.0 * res2 - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi))
    return float(np.mean(ev / N))


def hscore_fast(F, y, C):
    N, D = F.shape
    mu = F.mean(0)
    Xc = F - mu
    w, V = np.linalg.eigh(Xc.T @ Xc / (N - 1))
    n = np.bincount(y, minlength=C).astype(np.float64)
    S = np.zeros((C, D))
    np.add.at(S, y, Xc)
    present = n > 0
    Dm = S[present] / n[present, None]             # mu_c - mu
    P = Dm @ V
    cut = max(1e-15, max(N, D) * np.finfo(float).eps) * np.abs(w).max()
    k = np.abs(w) > cut
    q = (P[:, k] ** 2 / w[k]).sum(1)
    return float((n[present] / (N - 1) * q).sum())


def logme_literal(F, y, C):
    N, D = F.shape
    u_, s, vh = np.linalg.svd(F.T @ F)
    s = np.sqrt(s)
    us = F @ vh.T
    k = int(np.sum(s > 1e-10))
    s = s[:k]
    u = us[:, :k] / s.reshape(1, -1)
    sigma = (s ** 2).reshape(-1, 1)
    ev_all = []
    for c in range(int(y.max()) + 1):
        yc = (y == c).astype(np.float64).reshape(-1, 1)
        x = u.T @ yc
        x2 = x ** 2
        r0 = (yc ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(11):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + r0
            alpha = gamma / (m2 + 1e-5)
            beta = (N - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= 1e-3:
                break
        ev = (D / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta)
              - 0.5 * np.sum(np.log(alpha + beta * sigma)) - beta / 2.0 * res2
              - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi))
        ev_all.append(ev / N)
    return float(np.mean(ev_all))


def hscore_literal(F, y, C):
    covf = np.cov(F, rowvar=False)
    g = np.zeros_like(F)
    for c in range(int(y.max()) + 1):
        g[y == c] = np.mean(F[y == c, :], axis=0)
    covg = np.cov(g, rowvar=False)
    return float(np.trace(np.dot(np.linalg.pinv(covf, rcond=1e-15), covg)))


def main():
    path, N, D, C = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    literal = '--literal' in sys.argv[5:]
    repeat = 1
    if '--repeat' in sys.argv[5:]:
        repeat = max(1, int(sys.argv[sys.argv.index('--repeat') + 1]))
    with open(path, 'rb') as fh:
        F = np.fromfile(fh, dtype='<f8', count=N * D).reshape(N, D)
        y = np.fromfile(fh, dtype='<i4', count=N).astype(np.int64)
    todo = [('logme', logme_fast), ('hscore', hscore_fast)]
    if literal:
        todo += [('logme_literal', logme_literal), ('hscore_literal', hscore_literal)]
    for name, fn in todo:
        best = float('inf')
        for _ in range(repeat if not name.endswith('_literal') else 1):
            t0 = time.perf_counter()
            v = fn(F, y, C)
            best = min(best, time.perf_counter() - t0)
        print(name, repr(best), repr(v), flush=True)


if __name__ == '__main__':
    main()
