#!/usr/bin/python3
"""Write the zoos of tests/test_size.c (schema 1.2: the checkpoint attribute
num_params) with h5py.

Usage: make_size_zoos.py OUTDIR

ok.h5 (format_minor = 2), one task `t` (num_classes 2, train_labels i % 2,
N = 10) and four checkpoints, each with /t/train_features[i, j] = i + j + 1
(float64 [10, 3]):
  a  num_params = 25557032   (int64: ResNet-50's parameter count)
  b  num_params = 1048576.0  (float64: 2^20)
  c  num_params = 1          (uint8)
  d  no num_params
minor2_without.h5: the same with no num_params anywhere (a valid 1.2 file).
Broken variants of ok.h5, checkpoint a's num_params replaced by:
  zero.h5 0, negative.h5 -5, nan.h5 NaN, inf.h5 +Inf, string.h5 "25M",
  vector.h5 [1, 2].
"""
import os
import sys

import h5py
import numpy as np

N, D = 10, 3


def write(path, params):
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "ckptrank-zoo"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["format_minor"] = np.int64(2)
        t = f.create_group("tasks").create_group("t")
        t.attrs["num_classes"] = np.int64(2)
        t["train_labels"] = (np.arange(N) % 2).astype(np.int64)
        c = f.create_group("checkpoints")
        i, j = np.meshgrid(np.arange(N), np.arange(D), indexing="ij")
        for name in "abcd":
            g = c.create_group(name)
            if params.get(name) is not None:
                g.attrs["num_params"] = params[name]
            g.create_group("t")["train_features"] = (i + j + 1.0)


def main(out):
    os.makedirs(out, exist_ok=True)
    good = {"a": np.int64(25557032), "b": np.float64(1048576.0), "c": np.uint8(1)}
    write(os.path.join(out, "ok.h5"), good)
    write(os.path.join(out, "minor2_without.h5"), {})
    bad = {"zero": np.int64(0), "negative": np.int32(-5), "nan": np.float64("nan"),
           "inf": np.float64("inf"), "string": "25M", "vector": np.array([1, 2])}
    for name, v in bad.items():
        write(os.path.join(out, name + ".h5"), dict(good, a=v))


if __name__ == "__main__":
    main(sys.argv[1])
