#!/usr/bin/python3
"""Write hostile zoos for tests/e2e_hostile_cli.sh (issue 14, items 10, 11, 16).

Usage: make_hostile_zoos.py OUTDIR

  huge_labels.h5   a valid-looking zoo whose /tasks/t/train_labels declares
                   10**12 int64 values (chunks of 10**6) and stores none, and
                   whose /checkpoints/c/t/train_features declares 10**12 x 8
                   float32 values, contiguous and never written: a file of a
                   few KB. validate must name both objects and finish in
                   seconds.
  many_classes.h5  /tasks/t declares num_classes = 1000000; its 40 train and
                   12 val labels use only the classes 0, 7, 500000, 999999.
  few_classes.h5   the same data with the four classes renamed 0, 1, 2, 3 and
                   num_classes = 4: every method that works on the classes
                   present must give it bit for bit the scores of many_classes.h5.
  odd_values.h5    num_classes stored as uint64 2**64 - 1 on /tasks/big, and
                   /tasks/lab (num_classes 3) with train label 2147483647 at
                   row 5: validate must print 18446744073709551615 and
                   2147483647 (not INT64_MAX, not 2.14748e+09).
"""
import os
import sys

import h5py
import numpy as np


def root(f):
    f.attrs["format"] = "ckptrank-zoo"
    f.attrs["format_version"] = np.int64(1)


def huge_labels(path):
    with h5py.File(path, "w") as f:
        root(f)
        t = f.create_group("tasks/t")
        t.attrs["num_classes"] = np.int64(3)
        t.create_dataset("train_labels", shape=(10**12,), dtype=np.int64, chunks=(10**6,))
        p = f.create_group("checkpoints/c/t")
        p.create_dataset("train_features", shape=(10**12, 8), dtype=np.float32)


def class_data():
    rng = np.random.default_rng(7)
    classes = np.array([0, 7, 500000, 999999])
    ytr = np.arange(40) % 4
    yva = np.arange(12) % 4
    centers = rng.normal(size=(4, 8)) * 0.6
    xtr = centers[ytr] + rng.normal(size=(40, 8))
    xva = centers[yva] + rng.normal(size=(12, 8))
    logits_tr = rng.normal(size=(40, 5))
    logits_va = rng.normal(size=(12, 5))
    return classes, ytr, yva, xtr, xva, logits_tr, logits_va


def class_zoo(path, compact):
    classes, ytr, yva, xtr, xva, ltr, lva = class_data()
    with h5py.File(path, "w") as f:
        root(f)
        t = f.create_group("tasks/t")
        t.attrs["num_classes"] = np.int64(4 if compact else 1000000)
        t["train_labels"] = (ytr if compact else classes[ytr]).astype(np.int64)
        t["val_labels"] = (yva if compact else classes[yva]).astype(np.int64)
        p = f.create_group("checkpoints/c/t")
        p["train_features"] = xtr
        p["val_features"] = xva
        p["train_logits"] = ltr
        p["val_logits"] = lva


def odd_values(path):
    with h5py.File(path, "w") as f:
        root(f)
        big = f.create_group("tasks/big")
        big.attrs["num_classes"] = np.uint64(2**64 - 1)
        big["train_labels"] = np.zeros(4, np.int64)
        lab = f.create_group("tasks/lab")
        lab.attrs["num_classes"] = np.int64(3)
        y = np.arange(10, dtype=np.int64) % 3
        y[5] = 2147483647
        lab["train_labels"] = y
        f.create_group("checkpoints")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    huge_labels(os.path.join(out, "huge_labels.h5"))
    class_zoo(os.path.join(out, "many_classes.h5"), False)
    class_zoo(os.path.join(out, "few_classes.h5"), True)
    odd_values(os.path.join(out, "odd_values.h5"))


if __name__ == "__main__":
    main()
