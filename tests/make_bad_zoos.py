#!/usr/bin/python3
"""Write a valid zoo (good.h5) and one broken variant per defect for tests/test_zoo.c.

Usage: make_bad_zoos.py OUTDIR

good.h5 is written the way h5py writes by default: variable-length UTF-8
string attributes, int64 labels, float64 features, uint8 multilabel labels
(plus fixed-length strings, int32 features and float32 values in places).
Its values follow closed formulas that test_zoo.c checks:

  /tasks/cls  num_classes=3 (no kind: multiclass)
      train_labels[i] = i % 3            (int64, N=20)
      val_labels[i]   = (i + 1) % 3      (int64, M=10)
      test_labels[i]  = (i + 2) % 3      (int32, T=8; schema 1.1)
  /tasks/ml   num_classes=4 kind="multilabel"
      train_labels[i,j] = (i + j) % 3 == 0   (uint8, [20, 4])
      test_labels[i,j]  = (i + j) % 2 == 0   (uint8, [8, 4])
  /checkpoints/a (arch="resnet-50" vlen, source="h5py test")
    /cls  train_features[i,j] = 0.5 i - 0.25 j + 1   float64 [20, 6]
          val_features[i,j]   = 0.1 i + j           float64 [10, 6]
          train_logits[i,k]   = 2 [i%4==k] - 1 + 0.01 i   float32 [20, 4]
          val_logits[i,k]     = [i%4==k] - 0.5           float32 [10, 4]
          top_weights[j,k]    = 0.01 (4 j + k)      float64 [6, 4]
          top_bias            = 0.1, 0.2, 0.3, 0.4
          test_features[i,j]  = 0.2 i + 0.5 j - 1   float32 [8, 6]
          test_logits[i,k]    = [i%4==k] + 0.25     float64 [8, 4]
          finetune_accuracy   = 0.75 (float64)
    /ml   train_features[i,j] = i - j   float32 [20, 6], finetune_accuracy 0.6
          test_features[i,j]  = i + j   int16 [8, 6]
  /checkpoints/b (arch=b"vgg" fixed-length)
    /cls  train_features[i,j] = i * 10 + j   int32 [20, 5], finetune_accuracy 0.7 (float32)
    (no test_features: the task's test labels are unused for this pair)
    (no /checkpoints/b/ml: not a work item)

Every other file is good.h5 with one defect (several.h5: seven of them),
except the valid variants bool_labels.h5 and no_test.h5 (good.h5 without
any test_* object, i.e. a schema 1.0 file).
"""
import os
import shutil
import sys

import h5py
import numpy as np

N, M, T = 20, 10, 8


def write_good(path):
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "ckptrank-zoo"
        f.attrs["format_version"] = np.int64(1)
        t = f.create_group("tasks")
        cls = t.create_group("cls")
        cls.attrs["num_classes"] = np.int64(3)
        cls["train_labels"] = (np.arange(N) % 3).astype(np.int64)
        cls["val_labels"] = ((np.arange(M) + 1) % 3).astype(np.int64)
        cls["test_labels"] = ((np.arange(T) + 2) % 3).astype(np.int32)
        ml = t.create_group("ml")
        ml.attrs["num_classes"] = 4
        ml.attrs["kind"] = "multilabel"
        i, j = np.meshgrid(np.arange(N), np.arange(4), indexing="ij")
        ml["train_labels"] = ((i + j) % 3 == 0).astype(np.uint8)
        i, j = np.meshgrid(np.arange(T), np.arange(4), indexing="ij")
        ml["test_labels"] = ((i + j) % 2 == 0).astype(np.uint8)

        c = f.create_group("checkpoints")
        a = c.create_group("a")
        a.attrs["arch"] = "resnet-50"
        a.attrs["source"] = "h5py test"
        p = a.create_group("cls")
        i, j = np.meshgrid(np.arange(N), np.arange(6), indexing="ij")
        p["train_features"] = 0.5 * i - 0.25 * j + 1.0
        i, j = np.meshgrid(np.arange(M), np.arange(6), indexing="ij")
        p["val_features"] = 0.1 * i + j
        i, k = np.meshgrid(np.arange(N), np.arange(4), indexing="ij")
        p["train_logits"] = (2.0 * (i % 4 == k) - 1 + 0.01 * i).astype(np.float32)
        i, k = np.meshgrid(np.arange(M), np.arange(4), indexing="ij")
        p["val_logits"] = (1.0 * (i % 4 == k) - 0.5).astype(np.float32)
        j, k = np.meshgrid(np.arange(6), np.arange(4), indexing="ij")
        p["top_weights"] = 0.01 * (4 * j + k)
        p["top_bias"] = np.array([0.1, 0.2, 0.3, 0.4])
        i, j = np.meshgrid(np.arange(T), np.arange(6), indexing="ij")
        p["test_features"] = (0.2 * i + 0.5 * j - 1.0).astype(np.float32)
        i, k = np.meshgrid(np.arange(T), np.arange(4), indexing="ij")
        p["test_logits"] = 1.0 * (i % 4 == k) + 0.25
        p.attrs["finetune_accuracy"] = 0.75
        p = a.create_group("ml")
        i, j = np.meshgrid(np.arange(N), np.arange(6), indexing="ij")
        p["train_features"] = (i - j).astype(np.float32)
        i, j = np.meshgrid(np.arange(T), np.arange(6), indexing="ij")
        p["test_features"] = (i + j).astype(np.int16)
        p.attrs["finetune_accuracy"] = 0.6
        b = c.create_group("b")
        b.attrs["arch"] = np.bytes_("vgg")
        p = b.create_group("cls")
        i, j = np.meshgrid(np.arange(N), np.arange(5), indexing="ij")
        p["train_features"] = (i * 10 + j).astype(np.int32)
        p.attrs["finetune_accuracy"] = np.float32(0.7)


def replace(group, name, data):
    del group[name]
    group[name] = data


def set_item(dset, idx, value):
    x = dset[()]
    x[idx] = value
    dset[...] = x


# Each mutation edits an open copy of good.h5.
MUTATIONS = {
    "wrong_format": lambda f: f.attrs.__setitem__("format", "something-else"),
    "no_format": lambda f: f.attrs.__delitem__("format"),
    "format_int": lambda f: f.attrs.__setitem__("format", 5),
    "version2": lambda f: f.attrs.__setitem__("format_version", 2),
    "no_tasks": lambda f: f.__delitem__("tasks"),
    "missing_train_features": lambda f: f["checkpoints/a/cls"].__delitem__("train_features"),
    "string_features": lambda f: replace(f["checkpoints/a/cls"], "train_features",
                                         np.full((N, 6), b"x", dtype="S4")),
    "features_1d": lambda f: replace(f["checkpoints/a/cls"], "train_features", np.zeros(N)),
    "rows_mismatch": lambda f: replace(f["checkpoints/a/cls"], "train_features",
                                       np.ones((N - 1, 6))),
    "val_rows": lambda f: replace(f["checkpoints/a/cls"], "val_features", np.ones((M - 1, 6))),
    "val_no_labels": lambda f: f["tasks/cls"].__delitem__("val_labels"),
    "val_dim": lambda f: replace(f["checkpoints/a/cls"], "val_features", np.ones((M, 5))),
    "logits_z": lambda f: replace(f["checkpoints/a/cls"], "val_logits", np.ones((M, 3))),
    "logits_rows": lambda f: replace(f["checkpoints/a/cls"], "train_logits",
                                     np.ones((N - 1, 4))),
    "label_range": lambda f: set_item(f["tasks/cls/train_labels"], 3, 3),
    "label_negative": lambda f: set_item(f["tasks/cls/val_labels"], 0, -1),
    "label_float": lambda f: replace(f["tasks/cls"], "train_labels",
                                     np.where(np.arange(N) == 5, 1.5, np.arange(N) % 3)),
    "ml_not01": lambda f: set_item(f["tasks/ml/train_labels"], (1, 2), 2),
    "ml_cols": lambda f: replace(f["tasks/ml"], "train_labels", np.zeros((N, 3), np.uint8)),
    "labels_2d": lambda f: replace(f["tasks/cls"], "train_labels",
                                   (np.arange(N) % 3).reshape(N, 1)),
    "nan_features": lambda f: set_item(f["checkpoints/a/cls/train_features"], (2, 3), np.nan),
    "inf_logits": lambda f: set_item(f["checkpoints/a/cls/val_logits"], (1, 1), np.inf),
    "top_rows": lambda f: replace(f["checkpoints/a/cls"], "top_weights", np.ones((5, 4))),
    "top_bias_len": lambda f: replace(f["checkpoints/a/cls"], "top_bias", np.ones(3)),
    "num_classes_1": lambda f: f["tasks/cls"].attrs.__setitem__("num_classes", 1),
    "one_class": lambda f: replace(f["tasks/cls"], "train_labels", np.ones(N, np.int64)),
    "no_num_classes": lambda f: f["tasks/cls"].attrs.__delitem__("num_classes"),
    "num_classes_str": lambda f: f["tasks/cls"].attrs.__setitem__("num_classes", "3"),
    "bad_kind": lambda f: f["tasks/ml"].attrs.__setitem__("kind", "multi-label"),
    "gt_nan": lambda f: f["checkpoints/a/cls"].attrs.__setitem__("finetune_accuracy", np.nan),
    "gt_string": lambda f: f["checkpoints/a/cls"].attrs.__setitem__("finetune_accuracy", "0.5"),
    "pair_dataset": lambda f: f["checkpoints/b"].create_dataset("ml", data=np.ones(3)),
    "not_a_task": lambda f: f["checkpoints/a"].create_group("bogus"),
    "long_name": lambda f: f["checkpoints"].create_group("x" * 300),
    "ckpt_dataset": lambda f: f["checkpoints"].create_dataset("c", data=np.ones(3)),
    "task_dataset": lambda f: f["tasks"].create_dataset("extra", data=np.ones(3)),
    # the held-out test split (schema 1.1)
    "test_rows": lambda f: replace(f["checkpoints/a/cls"], "test_features",
                                   np.ones((T - 1, 6))),
    "test_no_labels": lambda f: f["tasks/cls"].__delitem__("test_labels"),
    "test_dim": lambda f: replace(f["checkpoints/a/cls"], "test_features", np.ones((T, 5))),
    "test_features_1d": lambda f: replace(f["checkpoints/a/ml"], "test_features", np.ones(T)),
    "test_label_range": lambda f: set_item(f["tasks/cls/test_labels"], 2, 3),
    "test_label_float": lambda f: replace(f["tasks/cls"], "test_labels",
                                          np.where(np.arange(T) == 4, 0.5, np.arange(T) % 3)),
    "test_labels_2d": lambda f: replace(f["tasks/cls"], "test_labels",
                                        (np.arange(T) % 3).reshape(T, 1)),
    "test_labels_empty": lambda f: replace(f["tasks/cls"], "test_labels",
                                           np.zeros(0, np.int64)),
    "test_ml_not01": lambda f: set_item(f["tasks/ml/test_labels"], (3, 1), 7),
    "test_ml_cols": lambda f: replace(f["tasks/ml"], "test_labels", np.zeros((T, 5), np.uint8)),
    "test_nan": lambda f: set_item(f["checkpoints/a/cls/test_features"], (1, 4), np.nan),
    "test_logits_inf": lambda f: set_item(f["checkpoints/a/cls/test_logits"], (5, 2), -np.inf),
    "test_logits_z": lambda f: replace(f["checkpoints/a/cls"], "test_logits", np.ones((T, 3))),
    "test_logits_rows": lambda f: replace(f["checkpoints/a/cls"], "test_logits",
                                          np.ones((T + 1, 4))),
    "test_logits_no_features": lambda f: f["checkpoints/a/cls"].__delitem__("test_features"),
    "test_logits_no_train": lambda f: f["checkpoints/a/ml"].create_dataset(
        "test_logits", data=np.ones((T, 4))),
    # valid variants: h5py bool (an HDF5 enum) labels, a one-element array attribute
    "bool_labels": lambda f: (replace(f["tasks/ml"], "train_labels",
                                      f["tasks/ml/train_labels"][()].astype(bool)),
                              f["checkpoints/a/ml"].attrs.__setitem__("finetune_accuracy",
                                                                      np.array([0.5]))),
    # valid variant: a schema 1.0 file (no test split anywhere)
    "no_test": lambda f: [f[g].__delitem__(n) for g, n in [
        ("tasks/cls", "test_labels"), ("tasks/ml", "test_labels"),
        ("checkpoints/a/cls", "test_features"), ("checkpoints/a/cls", "test_logits"),
        ("checkpoints/a/ml", "test_features")]],
}

SEVERAL = ["version2", "nan_features", "label_range", "bad_kind", "not_a_task",
           "top_bias_len"]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    good = os.path.join(out, "good.h5")
    write_good(good)
    for name, mutate in MUTATIONS.items():
        path = os.path.join(out, name + ".h5")
        shutil.copy(good, path)
        with h5py.File(path, "r+") as f:
            mutate(f)
    # several independent problems in one file (7: the list plus a NaN ground truth on b/cls)
    path = os.path.join(out, "several.h5")
    shutil.copy(good, path)
    with h5py.File(path, "r+") as f:
        for name in SEVERAL:
            MUTATIONS[name](f)
        f["checkpoints/b/cls"].attrs["finetune_accuracy"] = np.inf
    with open(os.path.join(out, "not_hdf5.h5"), "w") as f:
        f.write("this is not an HDF5 file\n" * 20)
    open(os.path.join(out, "empty.h5"), "wb").close()
    with open(good, "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.h5"), "wb") as f:
        f.write(data[: len(data) // 2])


if __name__ == "__main__":
    main()
