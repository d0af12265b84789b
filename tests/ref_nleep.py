#!/usr/bin/python3
"""Reference NLEEP with scikit-learn (1.2), for tests/test_nleep.c and
tests/test_pca_gmm.c.  Run with Debian's /usr/bin/python3.

Inputs are raw little-endian row-major files: --X (float64, n x D),
--y (int32, n; multiclass) or --Y (uint8, n x C; multilabel).

Modes:
  nleep  PCA(n_components=pca, svd_solver='full') [skipped when pca == 0],
         then for every seed GaussianMixture(K, covariance_type, tol, reg_covar,
         max_iter, random_state=seed).fit + predict_proba, then LEEP; prints
         "score <seed> <value>", "min", "max", "mean", "d", "iters <seed> <n>".
         With --labels FILE (int32, n) the mixture is initialised from those
         k-means labels instead (one-hot responsibilities -> sklearn's own
         _initialize), which removes the seed: prints "fixed <value>".
  pca    writes the PCA scores (float64 n x d) to --out and prints "d <d>".
"""
import argparse
import sys
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture


def leep(theta, instances_i, instances_c, num_classes):
    """LEEP over instances (sample i, class c) of an n x z probability matrix."""
    z = theta.shape[1]
    joint = np.zeros((num_classes, z))
    np.add.at(joint, instances_c, theta[instances_i])
    pz = joint.sum(axis=0)
    cond = np.divide(joint, pz, out=np.zeros_like(joint), where=pz > 0)
    eep = (cond[instances_c] * theta[instances_i]).sum(axis=1)
    eep = np.maximum(eep, np.finfo(float).tiny)
    return float(np.mean(np.log(eep)))


class LabelInitGMM(GaussianMixture):
    """GaussianMixture whose k-means step is replaced by given labels."""

    def __init__(self, labels=None, **kw):
        super().__init__(**kw)
        self.labels = labels

    def _initialize_parameters(self, X, random_state):
        resp = np.zeros((X.shape[0], self.n_components))
        resp[np.arange(X.shape[0]), self.labels] = 1
        self._initialize(X, resp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="nleep", choices=["nleep", "pca"])
    ap.add_argument("--X", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--D", type=int, required=True)
    ap.add_argument("--y")
    ap.add_argument("--Y")
    ap.add_argument("--C", type=int, default=0)
    ap.add_argument("--pca", type=float, default=0.8)
    ap.add_argument("--ratio", type=int, default=5)
    ap.add_argument("--cov", default="full")
    ap.add_argument("--reg", type=float, default=1e-6)
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--labels")
    ap.add_argument("--out")
    a = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    X = np.fromfile(a.X, dtype="<f8").reshape(a.n, a.D)
    if a.pca > 0:
        n_comp = int(a.pca) if a.pca >= 1 else a.pca
        P = PCA(n_components=n_comp, svd_solver="full").fit_transform(X)
    else:
        P = X
    print("d", P.shape[1])
    if a.mode == "pca":
        np.ascontiguousarray(P, dtype="<f8").tofile(a.out)
        return 0

    C = a.C
    if a.Y:
        Y = np.fromfile(a.Y, dtype=np.uint8).reshape(a.n, C)
        inst_i, inst_c = np.nonzero(Y)
    else:
        y = np.fromfile(a.y, dtype="<i4")
        inst_i, inst_c = np.arange(a.n), y
    K = min(a.ratio * C, a.n)
    kw = dict(n_components=K, covariance_type=a.cov, tol=a.tol, reg_covar=a.reg,
              max_iter=a.iters)
    if a.labels:
        labels = np.fromfile(a.labels, dtype="<i4")
        g = LabelInitGMM(labels=labels, **kw).fit(P)
        print("fixed %.17g" % leep(g.predict_proba(P), inst_i, inst_c, C))
        print("fixed_iters", g.n_iter_)
        print("fixed_lb %.17g" % g.lower_bound_)
        return 0
    scores = []
    for s in [int(v) for v in a.seeds.split(",")]:
        g = GaussianMixture(random_state=s, **kw).fit(P)
        sc = leep(g.predict_proba(P), inst_i, inst_c, C)
        scores.append(sc)
        print("score %d %.17g" % (s, sc))
        print("iters %d %d" % (s, g.n_iter_))
    print("min %.17g" % min(scores))
    print("max %.17g" % max(scores))
    print("mean %.17g" % (sum(scores) / len(scores)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
