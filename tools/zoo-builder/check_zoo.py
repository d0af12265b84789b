#!/usr/bin/python3
"""Check a zoo written by write_zoo.py and print its checkpoints x tasks table.

usage: check_zoo.py ZOO.h5 [--probe]

Checks: root attributes, every task's labels (int, contiguous 0..C-1, every class in
every split), every pair's shapes (rows = the task's label counts, same D across
splits, same Z), finiteness, and num_params (schema 1.2) where present: an integer
scalar > 0, with format_minor >= 2 (the table's `params` column; `-` when absent).  Exits 1 on any problem.  --probe also fits a
logistic-regression probe (train -> test) per pair as a sanity check of the features.
"""
import argparse
import sys

import h5py
import numpy as np

SPLITS = ("train", "val", "test")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zoo")
    ap.add_argument("--probe", action="store_true")
    a = ap.parse_args()
    errs = []
    with h5py.File(a.zoo, "r") as h:
        fmt = h.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != "ckptrank-zoo" or int(h.attrs.get("format_version", -1)) != 1:
            errs.append("/: bad format/format_version")
        tasks = sorted(h["tasks"])
        n = {}
        labels = {}
        for t in tasks:
            g = h["tasks"][t]
            C = int(g.attrs["num_classes"])
            n[t] = {}
            for s in SPLITS:
                y = g[f"{s}_labels"][()]
                labels[(t, s)] = y
                n[t][s] = len(y)
                if y.dtype.kind not in "iu" or y.ndim != 1:
                    errs.append(f"/tasks/{t}/{s}_labels: not an integer vector")
                if sorted(np.unique(y).tolist()) != list(range(C)):
                    errs.append(f"/tasks/{t}/{s}_labels: classes are not exactly 0..{C - 1}")
        ckpts = sorted(h["checkpoints"])
        table = []
        for c in ckpts:
            g = h["checkpoints"][c]
            for k in ("arch", "source"):
                if k not in g.attrs:
                    errs.append(f"/checkpoints/{c}: no @{k}")
            params = "-"
            if "num_params" in g.attrs:
                v = np.asarray(g.attrs["num_params"])
                if v.ndim != 0 or v.dtype.kind not in "iu" or int(v) <= 0:
                    errs.append(f"/checkpoints/{c}: @num_params {v!r} is not an integer > 0")
                else:
                    params = str(int(v))
                if int(h.attrs.get("format_minor", 0)) < 2:
                    errs.append(f"/checkpoints/{c}: @num_params in a file of format_minor < 2")
            row = [params]
            for t in tasks:
                if t not in g:
                    errs.append(f"/checkpoints/{c}/{t}: missing")
                    row.append("-")
                    continue
                p = g[t]
                D = p["train_features"].shape[1]
                Z = p["train_logits"].shape[1] if "train_logits" in p else 0
                for s in SPLITS:
                    x = p[f"{s}_features"][()]
                    if x.dtype != np.float32 or x.shape != (n[t][s], D):
                        errs.append(f"/checkpoints/{c}/{t}/{s}_features: {x.dtype} {x.shape}, expected float32 ({n[t][s]}, {D})")
                    if not np.all(np.isfinite(x)):
                        errs.append(f"/checkpoints/{c}/{t}/{s}_features: non-finite values")
                    if np.all(x == x[0:1]):
                        errs.append(f"/checkpoints/{c}/{t}/{s}_features: all rows identical")
                    if Z:
                        L = p[f"{s}_logits"][()]
                        if L.shape != (n[t][s], Z) or not np.all(np.isfinite(L)):
                            errs.append(f"/checkpoints/{c}/{t}/{s}_logits: bad shape {L.shape} or non-finite")
                cell = f"{D}" + (f"/{Z}" if Z else "")
                if a.probe:
                    from sklearn.linear_model import LogisticRegression
                    from sklearn.pipeline import make_pipeline
                    from sklearn.preprocessing import StandardScaler
                    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
                    clf.fit(p["train_features"][()], labels[(t, "train")])
                    acc = clf.score(p["test_features"][()], labels[(t, "test")])
                    cell += f" {acc:.2f}"
                row.append(cell)
            table.append((c, row))
    w = max(len(c) for c in ckpts) if ckpts else 10
    print("tasks: " + ", ".join(f"{t} (C={int(h5py.File(a.zoo, 'r')['tasks'][t].attrs['num_classes'])}, "
                                f"{n[t]['train']}/{n[t]['val']}/{n[t]['test']})" for t in tasks))
    print("cells: D/Z (feature dim / source classes)" + (" and train->test probe accuracy" if a.probe else ""))
    print(" " * w + " | " + " | ".join(f"{t:>14}" for t in ["params"] + tasks))
    for c, row in table:
        print(f"{c:<{w}} | " + " | ".join(f"{x:>14}" for x in row))
    for e in errs:
        print("check_zoo: " + e, file=sys.stderr)
    if errs:
        sys.exit(1)
    print(f"check_zoo: ok ({len(ckpts)} checkpoints x {len(tasks)} tasks)")


if __name__ == "__main__":
    main()
