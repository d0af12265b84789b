"""Loading libckptrank.so and the ctypes mirror of include/ckptrank/score.h."""
import ctypes
import ctypes.util
import os

F64, F32, I32, I64, U8 = 0, 1, 2, 3, 4


class Array(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rows", ctypes.c_size_t), ("cols", ctypes.c_size_t)]


class Pair(ctypes.Structure):
    _fields_ = [(name, Array) for name in (
        "train_features", "train_labels", "val_features", "val_labels",
        "train_logits", "val_logits", "test_features", "test_labels",
        "top_weights", "top_bias")] + [
        ("multilabel", ctypes.c_int), ("num_classes", ctypes.c_int),
        ("num_params", ctypes.c_double),
        ("checkpoint", ctypes.c_char_p), ("task", ctypes.c_char_p)]


class Result(ctypes.Structure):
    _fields_ = [("score", ctypes.c_double), ("status", ctypes.c_char * 32),
                ("message", ctypes.c_char * 1024), ("info", ctypes.c_char * 256),
                ("heldout", ctypes.c_double), ("seconds", ctypes.c_double),
                ("gflops", ctypes.c_double), ("terms", ctypes.c_char * 224)]


def _candidates():
    env = os.environ.get("CKPTRANK_LIB")
    if env:  # a file, or a directory holding libckptrank.so
        yield os.path.join(env, "libckptrank.so") if os.path.isdir(env) else env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # the build tree: python/ckptrank/ -> build/
    yield os.path.join(here, "..", "..", "build", "libckptrank.so")
    # installed: PREFIX/lib/python3/dist-packages/ckptrank -> PREFIX/lib
    yield os.path.join(here, "..", "..", "..", "libckptrank.so")
    found = ctypes.util.find_library("ckptrank")
    if found:
        yield found


def load():
    """The library, found through CKPTRANK_LIB, next to the package or on the system."""
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        # RTLD_GLOBAL: Open MPI's plugins, loaded later, resolve libmpi's symbols
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        _declare(lib)
        return lib
    raise OSError("libckptrank.so not found (set CKPTRANK_LIB to the file or its directory; "
                  "tried: %s)" % ", ".join(os.path.normpath(t) for t in tried))


def _declare(lib):
    cs, sz, cc = ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)
    lib.ckptrank_score.argtypes = [ctypes.POINTER(Pair), ctypes.c_char_p, ctypes.c_uint64,
                                   ctypes.POINTER(Result)]
    lib.ckptrank_score.restype = ctypes.c_int
    lib.ckptrank_method_count.argtypes = []
    lib.ckptrank_method_count.restype = cs
    for f in (lib.ckptrank_method_name, lib.ckptrank_method_summary):
        f.argtypes = [cs]
        f.restype = sz
    lib.ckptrank_method_param_count.argtypes = [cs]
    lib.ckptrank_method_param_count.restype = cs
    lib.ckptrank_method_param.argtypes = [cs, cs, cc, cc, cc, cc]
    lib.ckptrank_method_param.restype = ctypes.c_int
    lib.ckptrank_version.argtypes = []
    lib.ckptrank_version.restype = sz
    lib.ckptrank_normalize.argtypes = [ctypes.POINTER(Result), cs]
    lib.ckptrank_normalize.restype = ctypes.c_int
    lib.ckptrank_init.argtypes = []
    lib.ckptrank_init.restype = ctypes.c_int
