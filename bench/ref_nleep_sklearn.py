#!/usr/bin/python3
"""scikit-learn side of bench/bench_nleep.c: NLEEP with sklearn on the same
data, timing only the computation (not Python start-up or file reading).

Inputs: --X (raw float64 n x D), --y (raw int32 n), --labels (raw int32 n: the
k-means labels ckptrank used, so both sides run the identical EM trajectory).

Prints key-value lines:
  d, t_pca            PCA(n_components=pca, svd_solver='full').fit_transform
  t_kmeans            KMeans(K, n_init=1, random_state=0).fit (GaussianMixture's init)
  t_em, iters, score  GaussianMixture from --labels: init M-step + EM + predict_proba, LEEP
  t_total             t_pca + t_kmeans + t_em  (= the work of PCA + GaussianMixture.fit)
  cpu_total           the same in process CPU time (robust to a busy machine)
  t_plain, plain_iters, plain_score   (with --plain) an ordinary
                      GaussianMixture(random_state=0).fit + predict_proba + LEEP
  t_estep, t_mstep    one E-step and one M-step of the fitted model
Run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for one core.
"""
import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture


def leep(theta, y, num_classes):
    joint = np.zeros((num_classes, theta.shape[1]))
    np.add.at(joint, y, theta)
    pz = joint.sum(axis=0)
    cond = np.divide(joint, pz, out=np.zeros_like(joint), where=pz > 0)
    eep = np.maximum((cond[y] * theta).sum(axis=1), np.finfo(float).tiny)
    return float(np.mean(np.log(eep)))


class LabelInitGMM(GaussianMixture):
    def __init__(self, labels=None, **kw):
        super().__init__(**kw)
        self.labels = labels

    def _initialize_parameters(self, X, random_state):
        resp = np.zeros((X.shape[0], self.n_components))
        resp[np.arange(X.shape[0]), self.labels] = 1
        self._initialize(X, resp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--X", required=True)
    ap.add_argument("--y", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--D", type=int, required=True)
    ap.add_argument("--C", type=int, required=True)
    ap.add_argument("--ratio", type=int, default=5)
    ap.add_argument("--pca", type=float, default=0.8)
    ap.add_argument("--cov", default="full")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--plain", action="store_true")
    a = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", FutureWarning)

    X = np.fromfile(a.X, dtype="<f8").reshape(a.n, a.D)
    y = np.fromfile(a.y, dtype="<i4")
    labels = np.fromfile(a.labels, dtype="<i4")
    K = min(a.ratio * a.C, a.n)
    kw = dict(n_components=K, covariance_type=a.cov, tol=1e-3, reg_covar=1e-6,
              max_iter=a.iters)

    c0 = time.process_time()
    t0 = time.perf_counter()
    P = PCA(n_components=a.pca, svd_solver="full").fit_transform(X)
    t1 = time.perf_counter()
    KMeans(n_clusters=K, n_init=1, random_state=0).fit(P)
    t2 = time.perf_counter()
    g = LabelInitGMM(labels=labels, **kw).fit(P)
    score = leep(g.predict_proba(P), y, a.C)
    t3 = time.perf_counter()
    c3 = time.process_time()
    print("d", P.shape[1])
    print("t_pca %.6f" % (t1 - t0))
    print("t_kmeans %.6f" % (t2 - t1))
    print("t_em %.6f" % (t3 - t2))
    print("iters", g.n_iter_)
    print("score %.12f" % score)
    print("t_total %.6f" % (t3 - t0))
    print("cpu_total %.6f" % (c3 - c0))
    t4 = time.perf_counter()
    _, log_resp = g._e_step(P)
    t5 = time.perf_counter()
    g._m_step(P, log_resp)
    t6 = time.perf_counter()
    print("t_estep %.6f" % (t5 - t4))
    print("t_mstep %.6f" % (t6 - t5))
    if a.plain:
        t7 = time.perf_counter()
        g = GaussianMixture(random_state=0, **kw).fit(P)
        s2 = leep(g.predict_proba(P), y, a.C)
        t8 = time.perf_counter()
        print("t_plain %.6f" % (t8 - t7 + (t1 - t0)))
        print("plain_iters", g.n_iter_)
        print("plain_score %.12f" % s2)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
