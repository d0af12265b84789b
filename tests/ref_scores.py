#!/usr/bin/python3
"""ref_scores.py -- numpy / scikit-learn reference for ckptrank's closed-form
scores (logme, hscore, hscore_shrink, nce, transrate, gbc), used by the
CMocka tests tests/test_{logme,hscore,nce,transrate,gbc}.c.

Usage:  /usr/bin/python3 tests/ref_scores.py METHOD DATAFILE [key=value ...]
Prints the score with repr() (17 significant digits), or "status:<word>"
when the method would refuse the data (e.g. status:bad-data).

DATAFILE (text, written by the tests with %.17g so values round-trip):
  line 1:  N D C kind Z          (kind 0 = multiclass, 1 = multilabel;
                                  Z = number of logit columns, 0 if none)
  N lines: labels, then D features, then Z logits; labels are one integer
           (multiclass) or C 0/1 integers (multilabel).

Semantics (float64 throughout; the same definitions as the C code, written
independently and in the form of the public reference code):
  Targets: multiclass = the classes present (sorted label values; absent
    classes are dropped, METHODS.md convention 2); multilabel = the label
    columns with at least one positive.
  logme [form=exact exact_logdet=1 iters=11 tol=1e-3]: thuml/LogME `_fit_fixed_point`,
    uncentred features; N > D: eigh(F^T F), sigma = |eigenvalue|, keep
    sqrt(sigma) > 1e-10, u = F v / sqrt(sigma) (thuml's truncated_svd);
    N <= D: thin SVD of F (all N kept); one 0/1 target column per target;
    alpha = beta = 1, <= iters passes, 1e-5 guards, stop when
    |t'-t|/t <= tol; evidence of the last pass / N; mean over targets.
    form=exact (the default) adds -(D-k)/2 log alpha: the exact evidence over
    all D eigenvalues; form=thuml (or exact_logdet=0) is thuml's code as is.
  hscore [rcond=1e-15]: TLlib h_score: np.cov of f and of g_i = mean of the
    class of i (ddof 1), trace(pinv(cov_f, rcond') @ cov_g) with
    rcond' = max(rcond, max(N, D) * eps) (numpy matrix_rank's tolerance;
    below it the eigenvalues are rounding noise). Multilabel: mean over
    labels with 0 < n_pos < N of the binary H-score of that label column.
  hscore_shrink [rcond=1e-15]: TLlib regularized_h_score: centre f,
    sklearn LedoitWolf(assume_centered=False) -> shrinkage a and covariance
    Sigma_a, trace(pinv(Sigma_a, rcond') @ ((1 - a) cov_g)); multilabel as
    hscore.
  nce: z = argmax of the logits (lowest index on ties); instances = samples
    (multiclass) or (sample, positive label) pairs (multilabel);
    sum_{c,z} P(c,z) log(P(c,z) / P(z)) over non-empty cells; bad-data if
    fewer than 2 classes occur among the instances.
  transrate [variant=canonical eps2=1e-4]: canonical = centre (global mean),
    L2-normalise rows (zero rows stay zero), R = 0.5 slogdet(I + Z^T Z /
    (n eps2)) on the D x D matrix, TrR = R(Z) - sum_c (n_c/N) R(Z_c) with Z_c
    the rows of class c (not re-centred); variant=tllib: no normalisation,
    weights 1/C. Multilabel: status:unsupported-multilabel.
  gbc [pca=64 cov=spherical logdet=exact floor=1e-4]: sklearn
    PCA(n_components=min(pca, D, N), svd_solver='full').fit_transform (pca=0:
    raw features), per-class mean and np.var (ddof 0) floored at `floor`,
    spherical = mean of the floored variances; Bhattacharyya distance of
    google stable_transfer gbc.py with the spherical log-determinant times d
    (logdet=exact) or once (logdet=google); GBC = -sum over ordered pairs of
    exp(-D_B). Multilabel: status:unsupported-multilabel.
Fewer than 2 classes present (multiclass) -> status:bad-data.
"""
import sys

import numpy as np

np.seterr(all='ignore')  # non-finite results are reported, not warned about

EPS = np.finfo(np.float64).eps


def load(path):
    with open(path) as fh:
        n, d, c, kind, z = (int(v) for v in fh.readline().split())
        a = np.loadtxt(fh, ndmin=2)
    nl = c if kind == 1 else 1
    lab = a[:, :nl].astype(np.int64)
    F = a[:, nl:nl + d].astype(np.float64)
    L = a[:, nl + d:nl + d + z] if z else None
    assert F.shape == (n, d)
    return F, (lab if kind == 1 else lab[:, 0]), kind, c, L


def targets(y, kind):
    """0/1 target columns (N x T) over the present classes / labels."""
    if kind == 1:
        Y = (y != 0).astype(np.float64)
        return Y[:, Y.sum(0) > 0]
    return np.stack([(y == c).astype(np.float64) for c in np.unique(y)], axis=1)


class Refuse(Exception):
    pass


def logme(F, y, kind, form='exact', exact_logdet=1, iters=11, tol=1e-3):
    N, D = F.shape
    Y = targets(y, kind)
    if Y.shape[1] < (1 if kind == 1 else 2):
        raise Refuse('bad-data')
    if N > D:
        w, V = np.linalg.eigh(F.T @ F)
        sig = np.abs(w)
        s = np.sqrt(sig)
        keep = s > 1e-10
        s, sig = s[keep], sig[keep]
        U = (F @ V[:, keep]) / s
    else:
        U, s, _ = np.linalg.svd(F, full_matrices=False)
        sig = s ** 2
    k = sig.size
    out = []
    for col in range(Y.shape[1]):
        yc = Y[:, col]
        x = U.T @ yc
        x2 = x ** 2
        r0 = (yc ** 2).sum() - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(int(iters)):
            t = alpha / beta
            gamma = (sig / (sig + t)).sum()
            m2 = (sig * x2 / ((t + sig) ** 2)).sum()
            res2 = (x2 / ((1 + sig / t) ** 2)).sum() + r0
            alpha = gamma / (m2 + 1e-5)
            beta = (N - gamma) / (res2 + 1e-5)
            if abs(alpha / beta - t) / t <= float(tol):
                break
        logdet = np.log(alpha + beta * sig).sum()
        if form == 'exact' and int(exact_logdet):
            logdet += (D - k) * np.log(alpha)
        ev = (D / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta) - 0.5 * logdet
              - beta / 2.0 * res2 - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi))
        out.append(ev / N)
    return float(np.mean(out))


def _hscore_multiclass(f, y, covf_pinv, factor=1.0):
    g = np.zeros_like(f)
    for c in np.unique(y):
        g[y == c] = f[y == c].mean(0)
    covg = np.atleast_2d(np.cov(g, rowvar=False))
    return float(np.trace(covf_pinv @ (factor * covg)))


def hscore(F, y, kind, rcond=1e-15, shrink=False):
    N, D = F.shape
    if N < 2:
        raise Refuse('bad-data')
    rc = max(float(rcond), max(N, D) * EPS)
    if shrink:
        from sklearn.covariance import LedoitWolf
        f = F - F.mean(0, keepdims=True)
        lw = LedoitWolf(assume_centered=False).fit(f)
        a = float(lw.shrinkage_)
        P = np.linalg.pinv(np.atleast_2d(lw.covariance_), rcond=rc)
        factor = 1.0 - a
    else:
        f = F
        P = np.linalg.pinv(np.atleast_2d(np.cov(F, rowvar=False)), rcond=rc)
        factor = 1.0
    if kind == 1:
        Yb = (y != 0)
        vals = [_hscore_multiclass(f, Yb[:, c].astype(int), P, factor)
                for c in range(Yb.shape[1]) if 0 < Yb[:, c].sum() < N]
        if not vals:
            raise Refuse('bad-data')
        return float(np.mean(vals))
    if np.unique(y).size < 2:
        raise Refuse('bad-data')
    return _hscore_multiclass(f, y, P, factor)


def nce(F, y, kind, L):
    if L is None:
        raise Refuse('needs-logits')
    z = np.argmax(L, axis=1)
    if kind == 1:
        ii, cc = np.nonzero(y)
        zz = z[ii]
    else:
        cc, zz = y, z
    if np.unique(cc).size < 2:
        raise Refuse('bad-data')
    n = cc.size
    J = {}
    for c, zv in zip(cc.tolist(), zz.tolist()):
        J[(c, zv)] = J.get((c, zv), 0) + 1
    nz = np.bincount(zz, minlength=L.shape[1])
    return float(sum(v / n * np.log(v / nz[zv]) for (c, zv), v in J.items()))


def _coding_rate(Z, eps2):
    n, d = Z.shape
    sign, ld = np.linalg.slogdet(np.eye(d) + Z.T @ Z / (n * eps2))
    assert sign > 0
    return 0.5 * ld


def transrate(F, y, kind, variant='canonical', eps2=1e-4):
    if kind == 1:
        raise Refuse('unsupported-multilabel')
    classes = np.unique(y)
    if classes.size < 2:
        raise Refuse('bad-data')
    eps2 = float(eps2)
    Z = F - F.mean(0, keepdims=True)
    if variant == 'canonical':
        nrm = np.linalg.norm(Z, axis=1, keepdims=True)
        Z = np.divide(Z, nrm, out=np.zeros_like(Z), where=nrm > 0)
    N = Z.shape[0]
    rz = _coding_rate(Z, eps2)
    if variant == 'canonical':
        rzy = sum((y == c).sum() / N * _coding_rate(Z[y == c], eps2) for c in classes)
    else:
        rzy = sum(_coding_rate(Z[y == c], eps2) for c in classes) / classes.size
    return float(rz - rzy)


def gbc(F, y, kind, pca=64, cov='spherical', logdet='exact', floor=1e-4):
    if kind == 1:
        raise Refuse('unsupported-multilabel')
    classes = np.unique(y)
    if classes.size < 2:
        raise Refuse('bad-data')
    N, D = F.shape
    pca, floor = int(pca), float(floor)
    if pca > 0:
        from sklearn.decomposition import PCA
        X = PCA(n_components=min(pca, D, N), svd_solver='full').fit_transform(F)
    else:
        X = F
    d = X.shape[1]
    stats = {}
    for c in classes:
        Xc = X[y == c]
        stats[c] = (Xc.mean(0), np.maximum(Xc.var(0), floor))
    total = 0.0
    for c1 in classes:
        for c2 in classes:
            if c1 == c2:
                continue
            m1, v1 = stats[c1]
            m2, v2 = stats[c2]
            if cov == 'spherical':
                v1, v2 = v1.mean(), v2.mean()
                f = d if logdet == 'exact' else 1
                avg = (v1 + v2) / 2
                first = np.sum((m1 - m2) ** 2 / avg) / 8
                second = f * (np.log(avg) - 0.5 * np.log(v1) - 0.5 * np.log(v2))
            else:
                avg = (v1 + v2) / 2
                first = np.sum((m1 - m2) ** 2 / avg) / 8
                second = np.sum(np.log(avg)) - 0.5 * np.sum(np.log(v1)) - 0.5 * np.sum(np.log(v2))
            total += np.exp(-(first + 0.5 * second))
    return float(-total)


def main(argv):
    method, path = argv[1], argv[2]
    kw = dict(a.split('=', 1) for a in argv[3:])
    F, y, kind, C, L = load(path)
    try:
        if method == 'logme':
            v = logme(F, y, kind, **kw)
        elif method == 'hscore':
            v = hscore(F, y, kind, **kw)
        elif method == 'hscore_shrink':
            v = hscore(F, y, kind, shrink=True, **kw)
        elif method == 'nce':
            v = nce(F, y, kind, L)
        elif method == 'transrate':
            v = transrate(F, y, kind, **kw)
        elif method == 'gbc':
            v = gbc(F, y, kind, **kw)
        else:
            raise SystemExit('unknown method ' + method)
    except Refuse as r:
        print('status:' + str(r))
        return
    print(repr(v))


if __name__ == '__main__':
    main(sys.argv)
