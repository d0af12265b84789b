#!/usr/bin/env python3
"""scikit-learn side of bench/bench_train.c: one training epoch on one core.

usage: ref_train_bench.py FILE N D C [--repeat R] [--hidden H] [--batch B]
FILE holds N x D float64 features (row-major) then N int32 labels.  Features
are standardised (StandardScaler, not timed), then timed (best of R):
  linear    SGDClassifier(loss="log_loss", max_iter=1, learning_rate="constant",
            eta0=0.01, alpha=0): one epoch of one-vs-rest per-sample SGD;
  finetune  MLPClassifier(hidden_layer_sizes=(H,), solver="sgd", batch_size=B,
            learning_rate_init=0.01, momentum=0.9, nesterovs_momentum=False,
            alpha=0, max_iter=1): one epoch of mini-batch SGD.
Prints "name seconds training_accuracy" per line.
"""
import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def timed(make, X, y, repeat):
    best, model = float("inf"), None
    for _ in range(repeat):
        model = make()
        t0 = time.perf_counter()
        model.fit(X, y)
        best = min(best, time.perf_counter() - t0)
    return best, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("n", type=int)
    ap.add_argument("d", type=int)
    ap.add_argument("c", type=int)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=512)
    a = ap.parse_args()
    raw = np.fromfile(a.path, dtype=np.float64, count=a.n * a.d)
    X = StandardScaler().fit_transform(raw.reshape(a.n, a.d))
    del raw
    y = np.fromfile(a.path, dtype=np.int32, count=a.n, offset=a.n * a.d * 8)
    warnings.simplefilter("ignore", ConvergenceWarning)

    def linear():
        return SGDClassifier(loss="log_loss", max_iter=1, tol=None, learning_rate="constant",
                             eta0=0.01, alpha=0.0, random_state=0)

    def finetune():
        return MLPClassifier(hidden_layer_sizes=(a.hidden,), activation="relu", solver="sgd",
                             batch_size=a.batch, learning_rate_init=0.01, momentum=0.9,
                             nesterovs_momentum=False, alpha=0.0, max_iter=1,
                             shuffle=True, random_state=0)

    for name, make in (("linear", linear), ("finetune", finetune)):
        sec, model = timed(make, X, y, a.repeat)
        print(name, repr(sec), repr(float(model.score(X, y))), flush=True)


if __name__ == "__main__":
    main()
