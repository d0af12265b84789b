#!/usr/bin/python3
"""ref_ncti_etran.py -- the raw terms of NCTI and ETran for tests/test_ncti.c
and tests/test_etran.c, computed independently of ckptrank:

  ncti:  BUserName/NCTI's NCTI_Score run as written on scikit-learn
         (PCA + LinearDiscriminantAnalysis), with the changes ckptrank makes
         on purpose (src/methods/ncti.c): exact PCA (svd_solver='full'), to
         min(dims, N, D) components; classes relabelled to those present.
         Prints "seli ncc vc".
  etran: a numpy re-implementation of mgholamikn/ETran's Energy_Score(X,
         0.5, 'bot') and LDA_Score: form=released as released (numpy.linalg.
         eigh of inv(S_w) S_b; no sample in the energy tail when N < 200 ->
         status:bad-data), form=intended with scipy.linalg.eigh(S_b, S_w) and
         at least one energy sample. Prints "energy lda".

usage: ref_ncti_etran.py ncti|etran DATAFILE [key=value ...]
DATAFILE: tests/scoretest.h ds_write's text form (multiclass).
A data set the reference cannot score (fewer than 2 classes, zero
within-class scatter, N <= C for the svd solver) prints "status:bad-data".
"""
import sys
import warnings

import numpy as np
import scipy.linalg
from scipy.special import logsumexp
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

warnings.filterwarnings("ignore")


class Status(Exception):
    pass


def read(path):
    with open(path) as f:
        n, d, C, kind, z = (int(t) for t in f.readline().split())
        rows = [list(map(float, line.split())) for line in f if line.strip()]
    a = np.array(rows, dtype=np.float64).reshape(n, -1)
    assert kind == 0
    return a[:, 1:1 + d], a[:, 0].astype(np.int64)


def ncti(X, y, dims=64):
    _, y = np.unique(y, return_inverse=True)
    C = int(y.max()) + 1
    if C < 2:
        raise Status("bad-data")
    k = min(dims, X.shape[0], X.shape[1])
    pca = PCA(n_components=k, svd_solver="full")
    X = pca.fit_transform(X, y)
    var = pca.explained_variance_
    keep = var > 1e-12 * var[0]  # ckptrank: rounding-noise components left out
    X, var = X[:, keep], var[keep]
    temp = max(np.exp(-var[:32].sum()), 1e-10)
    if temp == 1e-10:
        if X.shape[0] <= C:
            raise Status("bad-data")
        clf = LinearDiscriminantAnalysis(solver="svd")
    else:
        clf = LinearDiscriminantAnalysis(solver="eigen", shrinkage=float(temp))
    low_feat = clf.fit_transform(X, y)
    low_feat = low_feat - np.mean(low_feat, axis=0, keepdims=True)
    seli = np.linalg.norm(low_feat, ord="nuc")
    low_pred = clf.predict_proba(X)
    ncc = np.sum(low_pred[np.arange(X.shape[0]), y]) / X.shape[0]
    vc = 0.0
    for c in range(C):
        vc += np.linalg.norm(low_pred[(y == c).flatten()], ord="nuc")
    return [seli, ncc, np.log(vc)]


def iterative_A(A, max_iterations=3):
    x = A.sum(axis=1)
    for _ in range(max_iterations):
        temp = np.dot(A, x)
        y = temp / np.linalg.norm(temp, 2)
        temp = np.dot(A, y)
        x = temp / np.linalg.norm(temp, 2)
    return np.dot(np.dot(x.T, A), y)


def cov(X, shrinkage=-1):
    emp = np.cov(np.asarray(X).T, bias=1)
    emp = np.atleast_2d(emp)
    if shrinkage < 0:
        return emp
    D = emp.shape[0]
    out = (1.0 - shrinkage) * emp
    out.flat[::D + 1] += shrinkage * np.trace(emp) / D
    return out


def etran(X, y, form="intended"):
    classes, y = np.unique(y, return_inverse=True)
    C = len(classes)
    N = len(y)
    if C < 2:
        raise Status("bad-data")
    k = int(0.5 * 10) * N // 1000
    if k == 0 and form == "released":
        raise Status("bad-data")
    k = max(k, 1)
    e = logsumexp(X, axis=-1)
    energy = e[np.argsort(e)[0:k]].mean()
    priors = np.bincount(y) / float(N)
    means = np.zeros((C, X.shape[1]))
    np.add.at(means, y, X)
    means /= np.bincount(y)[:, None]
    Sw = np.zeros((X.shape[1], X.shape[1]))
    for c in range(C):
        Sw += priors[c] * cov(X[y == c, :])
    if not np.trace(Sw) > 0:
        raise Status("bad-data")
    lam = iterative_A(Sw, 3)
    s = max(np.exp(-5 * lam), 1e-10)
    s = min(s, 1.0)
    St = cov(X, shrinkage=s)
    D = Sw.shape[0]
    shrunk_Sw = (1.0 - s) * Sw
    shrunk_Sw.flat[::D + 1] += s * np.trace(Sw) / D
    Sb = St - shrunk_Sw
    if form == "released":
        evals, evecs = np.linalg.eigh(np.linalg.inv(shrunk_Sw) @ Sb)
    else:
        evals, evecs = scipy.linalg.eigh(Sb, shrunk_Sw)
    evecs = evecs[:, np.argsort(evals)[::-1]]
    coef = np.dot(means, evecs).dot(evecs.T)
    intercept = -0.5 * np.diag(np.dot(means, coef.T)) + np.log(priors)
    logits = X @ coef.T + intercept
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    lda = np.sum(p[np.arange(N), y]) / N
    return [energy, lda]


def main():
    method, path = sys.argv[1], sys.argv[2]
    kv = dict(a.split("=", 1) for a in sys.argv[3:])
    X, y = read(path)
    try:
        if method == "ncti":
            t = ncti(X, y, int(kv.get("dims", 64)))
        else:
            t = etran(X, y, kv.get("form", "intended"))
    except Status as s:
        print("status:%s" % s)
        return
    if not all(np.isfinite(t)):
        print("status:numerical-error")
        return
    print(" ".join("%.17g" % v for v in t))


if __name__ == "__main__":
    main()
