"""ckptrank from Python: score one (checkpoint, task) pair held in numpy arrays.

    import numpy as np, ckptrank
    r = ckptrank.score(features, labels, method="logme")
    print(r.score, r.status, r.seconds, r.gflops)

A ctypes binding of libckptrank.so (include/ckptrank/score.h); no build step.
The library is found through the environment variable CKPTRANK_LIB (the file
or its directory), else next to the package (the build tree's build/, or
PREFIX/lib when installed by `make install`), else on the system library path.
"""
import ctypes
from dataclasses import dataclass

import numpy as np

from . import _lib

__all__ = ["score", "normalize", "methods", "Result", "version"]

_LIB = None


def _lib_handle():
    global _LIB
    if _LIB is None:
        _LIB = _lib.load()
    return _LIB


@dataclass
class Result:
    """One score: status "ok" or why not (then score is NaN)."""
    score: float
    status: str
    message: str
    seconds: float
    gflops: float
    info: str = ""
    heldout: float = float("nan")
    # ncti, etran: "w1:t1 w2:t2 ..." (the method's weights, this pair's raw
    # terms); score is their raw weighted sum until normalize() runs
    terms: str = ""


def _floats(a, name, keep):
    a = np.asarray(a)
    if a.dtype == np.float32:
        a = np.ascontiguousarray(a)
        code = _lib.F32
    else:
        a = np.ascontiguousarray(a, dtype=np.float64)
        code = _lib.F64
    if a.ndim == 1 and name in ("top_bias",):
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError("%s: expected a 2-D array, got shape %s" % (name, a.shape))
    keep.append(a)
    return _lib.Array(a.ctypes.data, code, a.shape[0], a.shape[1])


def _labels(a, name, multilabel, keep):
    a = np.asarray(a)
    if a.dtype == np.bool_ or a.dtype == np.uint8:
        a = np.ascontiguousarray(a, dtype=np.uint8)
        code = _lib.U8
    elif a.dtype.kind in "iu":
        a = np.ascontiguousarray(a, dtype=np.int64)
        code = _lib.I64
    else:  # float labels: checked to be whole numbers by the library
        a = np.ascontiguousarray(a, dtype=np.float64)
        code = _lib.F64
    want = 2 if multilabel else 1
    if a.ndim != want:
        raise ValueError("%s: expected a %d-D array (%s), got shape %s" % (
            name, want, "0/1 matrix [samples, classes]" if multilabel else "class indices",
            a.shape))
    keep.append(a)
    cols = a.shape[1] if a.ndim == 2 else 1
    return _lib.Array(a.ctypes.data, code, a.shape[0], cols)


def score(features, labels, method="nleep", logits=None, val_features=None, val_labels=None,
          seed=0, *, val_logits=None, test_features=None, test_labels=None, top_weights=None,
          top_bias=None, multilabel=None, num_classes=0, num_params=0.0, checkpoint="ckpt",
          task="task", check=False):
    """Score one pair with a method spec (as `ckptrank run --methods` takes one).

    features [N, D] float32/float64; labels [N] integer class indices, or an
    [N, C] 0/1 matrix (multilabel, the default for 2-D labels); logits [N, Z]
    source logits; val_features/val_labels (and val_logits) a validation split;
    seed the base seed. checkpoint and task name the pair for the seeds: with the
    names, seed and num_classes of a zoo pair the score equals `ckptrank run`'s.
    Returns a Result (score, status, message, seconds, gflops, info, heldout).
    A refused spec or pair gives status "bad-argument" / "bad-data" / "bad-format"
    with the reason in message (check=True raises ValueError instead).
    """
    keep = []
    p = _lib.Pair()
    if multilabel is None:
        multilabel = np.asarray(labels).ndim == 2
    p.multilabel = 1 if multilabel else 0
    p.num_classes = int(num_classes)
    p.num_params = float(num_params)
    p.checkpoint = str(checkpoint).encode()
    p.task = str(task).encode()
    p.train_features = _floats(features, "features", keep)
    p.train_labels = _labels(labels, "labels", multilabel, keep)
    for field, arr in (("train_logits", logits), ("val_features", val_features),
                       ("val_logits", val_logits), ("test_features", test_features),
                       ("top_weights", top_weights), ("top_bias", top_bias)):
        if arr is not None:
            setattr(p, field, _floats(arr, field, keep))
    for field, arr in (("val_labels", val_labels), ("test_labels", test_labels)):
        if arr is not None:
            setattr(p, field, _labels(arr, field, multilabel, keep))
    r = _lib.Result()
    rc = _lib_handle().ckptrank_score(ctypes.byref(p), str(method).encode(), int(seed),
                                      ctypes.byref(r))
    out = Result(score=r.score, status=r.status.decode(errors="replace"),
                 message=r.message.decode(errors="replace"), seconds=r.seconds,
                 gflops=r.gflops, info=r.info.decode(errors="replace"), heldout=r.heldout,
                 terms=r.terms.decode(errors="replace"))
    if rc != 0 and check:
        raise ValueError("%s: %s" % (out.status, out.message))
    return out


def normalize(results):
    """The published ncti / etran scores from the results of one method on
    every checkpoint of one task: a new list in which each ok result with
    terms has score = sum_k w_k (t_k - min_k) / (max_k - min_k) over the list
    (as `ckptrank run` computes per task). Other results are returned as they are."""
    results = list(results)
    arr = (_lib.Result * len(results))()
    for c, r in zip(arr, results):
        c.score, c.status, c.terms = r.score, r.status.encode(), r.terms.encode()
    if _lib_handle().ckptrank_normalize(arr, len(results)) != 0:
        raise MemoryError("ckptrank_normalize failed")
    out = []
    for c, r in zip(arr, results):
        status = c.status.decode(errors="replace")
        message = c.message.decode(errors="replace") if status != r.status else r.message
        out.append(Result(score=c.score, status=status, message=message, seconds=r.seconds,
                          gflops=r.gflops, info=r.info, heldout=r.heldout, terms=r.terms))
    return out


def methods():
    """Every method: a list of dicts {name, summary, params: [{key, default, help, choices}]}."""
    lib = _lib_handle()
    out = []
    for i in range(lib.ckptrank_method_count()):
        params = []
        for j in range(lib.ckptrank_method_param_count(i)):
            k, d, h, c = (ctypes.c_char_p() for _ in range(4))
            lib.ckptrank_method_param(i, j, ctypes.byref(k), ctypes.byref(d), ctypes.byref(h),
                                      ctypes.byref(c))
            params.append({"key": k.value.decode(), "default": d.value.decode(),
                           "help": h.value.decode(),
                           "choices": c.value.decode().split("|") if c.value else None})
        out.append({"name": lib.ckptrank_method_name(i).decode(),
                    "summary": lib.ckptrank_method_summary(i).decode(), "params": params})
    return out


def version():
    """The library's version string."""
    return _lib_handle().ckptrank_version().decode()
