#!/usr/bin/python3
"""ref_sfda_parc.py -- independent numpy/scipy/scikit-learn re-implementations
of SFDA_Score (TencentARC/SFDA metrics.py) and PARC (dbolya/parc methods.py)
for tests/test_sfda.c and tests/test_parc.c, with the changes ckptrank makes
on purpose (src/methods/sfda.c, parc.c):

  sfda: classes relabelled to those present; a zero within-class scatter is
        status bad-data; a zero power-iteration vector gives lambda 0;
        shrinkage clamped to <= 1.
  parc: exact PCA (scikit-learn svd_solver='full', whose svd_flip makes the
        largest-magnitude entry of each score column positive) instead of the
        randomized one; components with variance <= 1e-12 x the largest are
        left out; RDM entries rounded to multiples of 2^-40 before ranking;
        multilabel rows with a constant label row are left out.

usage: ref_sfda_parc.py sfda|parc DATAFILE [key=value ...]
       ref_sfda_parc.py iris OUTFILE      (writes load_iris() in DATAFILE form)
DATAFILE (tests/scoretest.h ds_write): "n d C kind z", then per row the label
(multiclass) or the C 0/1 labels (multilabel), the d features, z logits.
Prints the score (%.17g) or "status:WORD".
"""
import sys

import numpy as np
import scipy.linalg
import scipy.stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler


def read(path):
    with open(path) as f:
        n, d, C, kind, z = (int(t) for t in f.readline().split())
        rows = [list(map(float, line.split())) for line in f if line.strip()]
    a = np.array(rows, dtype=np.float64).reshape(n, -1)
    if kind == 1:
        Y = a[:, :C].astype(np.int64)
        return a[:, C:C + d], None, Y, C
    return a[:, 1:1 + d], a[:, 0].astype(np.int64), None, C


class Status(Exception):
    pass


# ---------------------------------------------------------------- SFDA


def power_top(A, iters):
    x = A.sum(axis=1)
    y = x
    for _ in range(iters):
        t = A @ x
        nt = np.linalg.norm(t)
        if not nt > 0:
            return 0.0
        y = t / nt
        t = A @ y
        nt = np.linalg.norm(t)
        if not nt > 0:
            return 0.0
        x = t / nt
    return float(x @ A @ y)


def shrunk(cov, s):
    D = cov.shape[0]
    out = (1.0 - s) * cov
    out.flat[::D + 1] += s * np.trace(cov) / D
    return out


def lda_fit_proba(X, yi, C, shrinkage, iters):
    N, D = X.shape
    priors = np.bincount(yi, minlength=C) / float(N)
    means = np.zeros((C, D))
    np.add.at(means, yi, X)
    means /= np.bincount(yi, minlength=C)[:, None]
    Sw = np.zeros((D, D))
    for c in range(C):
        Xg = X[yi == c]
        Sw += priors[c] * np.atleast_2d(np.cov(Xg.T, bias=1)) if len(Xg) > 1 else 0.0
    if not np.trace(Sw) > 0:
        raise Status("bad-data")
    if shrinkage is None:
        lam = power_top(Sw, iters)
        shrinkage = min(max(np.exp(-5 * lam), 1e-10), 1.0)
    St = shrunk(np.atleast_2d(np.cov(X.T, bias=1)), shrinkage)
    Sws = shrunk(Sw, shrinkage)
    Sb = St - Sws
    evals, evecs = scipy.linalg.eigh(Sb, Sws)
    evecs = evecs[:, np.argsort(evals)[::-1]]
    coef = means @ evecs @ evecs.T
    intercept = -0.5 * np.diag(means @ coef.T) + np.log(priors)
    sc = X @ coef.T + intercept
    sc -= sc.max(axis=1, keepdims=True)
    p = np.exp(sc)
    return p / p.sum(axis=1, keepdims=True), shrinkage, means


def sfda(F, y, args):
    classes, yi = np.unique(y, return_inverse=True)
    C = len(classes)
    if C < 2:
        raise Status("bad-data")
    s = float(args.get("shrinkage", -1))
    iters = int(args.get("power_iters", 3))
    X = F.copy()
    prob, s, means = lda_fit_proba(X, yi, C, None if s < 0 else s, iters)
    prob = np.exp(prob) / np.exp(prob).sum(axis=1, keepdims=True)
    outer = (means.sum(axis=0)[None, :] - means) / (C - 1)
    for c in range(C):
        idx = np.where(yi == c)[0]
        q = prob[idx, c].reshape(-1, 1)
        X[idx] = q * X[idx] + (1 - q) * outer[c]
    prob, _, _ = lda_fit_proba(X, yi, C, s, iters)
    return prob[np.arange(len(yi)), yi].sum() / len(yi)


# ---------------------------------------------------------------- PARC


def snap(r):
    return np.round(r * 2.0**40) / 2.0**40


def parc(F, y, Y, args):
    dims = int(args.get("dims", 32))
    if Y is not None:
        k = Y.sum(axis=1)
        keep = (k > 0) & (k < Y.shape[1])
        F, labels = F[keep], Y[keep].astype(np.float64)
    else:
        classes, yi = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise Status("bad-data")
        labels = np.eye(len(classes))[yi]
    n, D = F.shape
    d = min(dims, n, D)
    if n < 3 or d < 2:
        raise Status("bad-data")
    Z = PCA(n_components=d, svd_solver="full").fit_transform(F)
    v = Z.var(axis=0)
    Z = Z[:, v > 1e-12 * v.max()]
    if Z.shape[1] < 2:
        raise Status("bad-data")
    Z = StandardScaler().fit_transform(Z)
    iu = np.triu_indices(n, 1)
    r1 = snap(1 - np.corrcoef(Z))[iu]
    r2 = snap(1 - np.corrcoef(labels))[iu]
    if np.all(r2 == r2[0]) or np.all(r1 == r1[0]):
        raise Status("bad-data")
    return scipy.stats.spearmanr(r1, r2)[0] * 100


def main():
    if sys.argv[1] == "iris":
        from sklearn.datasets import load_iris
        X, y = load_iris(return_X_y=True)
        with open(sys.argv[2], "w") as f:
            f.write("%d %d 3 0 0\n" % X.shape)
            for xi, yi in zip(X, y):
                f.write("%d " % yi + " ".join("%.17g" % v for v in xi) + "\n")
        return
    F, y, Y, C = read(sys.argv[2])
    args = dict(a.split("=", 1) for a in sys.argv[3:])
    try:
        if sys.argv[1] == "sfda":
            if Y is not None:
                raise Status("unsupported-multilabel")
            v = sfda(F, y, args)
        else:
            v = parc(F, y, Y, args)
    except Status as e:
        print("status:%s" % e)
        return
    print("%.17g" % v)


if __name__ == "__main__":
    main()
