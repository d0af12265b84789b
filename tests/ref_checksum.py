"""Reference for zoo/checksum.h: the content checksum of every pair of a zoo,
written from the stream definition in checksum.h (CRC-64/XZ of a header line,
then per part "NAME ROWS COLS\n" and the values as little-endian doubles).

usage: ref_checksum.py ZOO   -> one line per pair: "CKPT TASK HEX"
"""
import sys

import h5py
import numpy as np

POLY = 0xC96C5795D7870F42  # ECMA-182, bit-reversed (CRC-64/XZ)
MASK = (1 << 64) - 1
TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc64(c, data):
    c ^= MASK
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ MASK


assert crc64(0, b"123456789") == 0x995DC9BBDF1939FA  # the standard check value


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def pair_sum(f, ck, t):
    tg = f["tasks"][t]
    pg = f["checkpoints"][ck][t]
    kind = 1 if text(tg.attrs.get("kind", "multiclass")) == "multilabel" else 0
    classes = int(tg.attrs["num_classes"])
    c = crc64(0, ("ckptrank-pair-checksum-1 kind=%d classes=%d\n" % (kind, classes)).encode())

    def put(g, name, label=False):
        nonlocal c
        if name not in g:
            return
        a = np.asarray(g[name][...], dtype="<f8")
        if a.ndim == 1:
            a = a.reshape(-1, 1)
        if a.size == 0:
            return
        if label:
            a = a + 0.0  # -0.0 counts as 0.0
        c = crc64(c, ("%s %d %d\n" % (name, a.shape[0], a.shape[1])).encode())
        c = crc64(c, np.ascontiguousarray(a).tobytes())

    def has(g, name):
        return name in g and g[name].size > 0

    put(tg, "train_labels", True)
    put(pg, "train_features")
    put(pg, "train_logits")
    if has(pg, "val_features"):
        put(tg, "val_labels", True)
    put(pg, "val_features")
    put(pg, "val_logits")
    if has(pg, "test_features"):
        put(tg, "test_labels", True)
    put(pg, "test_features")
    put(pg, "top_weights")
    put(pg, "top_bias")
    cg = f["checkpoints"][ck]
    if "num_params" in cg.attrs:  # schema 1.2: as ckr_pair.num_params (NaN when invalid)
        a = np.asarray(cg.attrs["num_params"])
        v = float("nan")
        if a.size == 1 and a.dtype.kind in "iuf":
            x = float(a.reshape(-1)[0])
            v = x if np.isfinite(x) and x > 0 else v
        line = "num_params nan\n" if v != v else "num_params %.17g\n" % v
        c = crc64(c, line.encode())
    return c if c else 1


def main():
    with h5py.File(sys.argv[1], "r") as f:
        for ck in sorted(f["checkpoints"]):
            for t in sorted(f["checkpoints"][ck]):
                print("%s %s %016x" % (ck, t, pair_sum(f, ck, t)))


if __name__ == "__main__":
    main()
