#!/usr/bin/env python3
"""Reference values for tests/test_linear.c and tests/test_finetune.c
(scikit-learn 1.2, numpy).

usage:
  ref_train.py logreg FILE L2   multinomial LogisticRegression, converged, on
                                StandardScaler(train) features, C = 1/(L2*n):
                                prints "val_acc objective test_acc"
                                (objective = mean cross-entropy + L2/2 ||W||^2)
  ref_train.py ovr FILE L2      multilabel: one binary LogisticRegression per
                                label (same C); prints "val_mAP test_mAP"
                                (macro average_precision_score)
  ref_train.py onestep FILE     one tiny SGD step of the zero-headed network of
                                test_finetune.c, top layer given: prints the
                                val accuracy of argmax(A_val (A^T (Y - 1/C)) / n
                                + freq - 1/C), A = relu(X W + b) on RAW features

FILE (text): a header line "kind n_train n_val n_test D C [H]", then the
rows of train, val and test; a row is "label x_1 .. x_D" (kind 0) or
"t_1 .. t_C x_1 .. x_D" (kind 1).  For onestep, D more lines follow with
the D x H top weights and one line with the H top biases.
"""
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.preprocessing import StandardScaler


def read(path):
    with open(path) as f:
        head = f.readline().split()
        kind, n, m, t, d, c = (int(v) for v in head[:6])
        h = int(head[6]) if len(head) > 6 else 0
        lines = [[float(v) for v in line.split()] for line in f if line.strip()]
    lab = 1 if kind == 0 else c
    parts = []
    for start, cnt in ((0, n), (n, m), (n + m, t)):
        blk = np.array(lines[start:start + cnt], dtype=float).reshape(cnt, lab + d)
        y = blk[:, 0].astype(int) if kind == 0 else blk[:, :c].astype(int)
        parts.append((blk[:, lab:], y))
    extra = lines[n + m + t:]
    top = None
    if h:
        top = (np.array(extra[:d], dtype=float), np.array(extra[d], dtype=float))
    return kind, c, parts, top


def objective(clf, X, y, l2):
    z = clf.decision_function(X)
    z = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    ce = np.mean(lse - z[np.arange(len(y)), y])
    return ce + 0.5 * l2 * np.sum(clf.coef_ ** 2)


def logreg(path, l2):
    _, _, ((X, y), (Xv, yv), (Xt, yt)), _ = read(path)
    sc = StandardScaler().fit(X)
    clf = LogisticRegression(C=1.0 / (l2 * len(y)), tol=1e-12, max_iter=100000,
                             multi_class="multinomial")
    clf.fit(sc.transform(X), y)
    acc_v = np.mean(clf.predict(sc.transform(Xv)) == yv)
    acc_t = np.mean(clf.predict(sc.transform(Xt)) == yt) if len(yt) else float("nan")
    print(repr(acc_v), repr(objective(clf, sc.transform(X), y, l2)), repr(acc_t))


def ovr(path, l2):
    _, c, ((X, Y), (Xv, Yv), (Xt, Yt)), _ = read(path)
    sc = StandardScaler().fit(X)
    Sv = np.zeros(Yv.shape)
    St = np.zeros(Yt.shape)
    for j in range(c):
        clf = LogisticRegression(C=1.0 / (l2 * len(X)), tol=1e-12, max_iter=100000)
        clf.fit(sc.transform(X), Y[:, j])
        Sv[:, j] = clf.decision_function(sc.transform(Xv))
        if len(Yt):
            St[:, j] = clf.decision_function(sc.transform(Xt))
    map_v = average_precision_score(Yv, Sv, average="macro")
    map_t = average_precision_score(Yt, St, average="macro") if len(Yt) else float("nan")
    print(repr(map_v), repr(map_t))


def onestep(path):
    _, c, ((X, y), (Xv, yv), _), (W, b) = read(path)
    A = np.maximum(X @ W + b, 0.0)
    Av = np.maximum(Xv @ W + b, 0.0)
    Y = np.eye(c)[y]
    G = A.T @ (Y - 1.0 / c) / len(y)
    freq = Y.mean(axis=0)
    z = Av @ G + (freq - 1.0 / c)
    print(repr(np.mean(np.argmax(z, axis=1) == yv)))


def main():
    cmd = sys.argv[1]
    if cmd == "logreg":
        logreg(sys.argv[2], float(sys.argv[3]))
    elif cmd == "ovr":
        ovr(sys.argv[2], float(sys.argv[3]))
    elif cmd == "onestep":
        onestep(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
