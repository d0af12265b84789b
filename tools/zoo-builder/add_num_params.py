#!/usr/bin/python3
"""Write the checkpoint attribute num_params (zoo schema 1.2) into an existing zoo.

usage: add_num_params.py ZOO.h5 COUNTS.json [--check]

COUNTS.json is what count_params.js writes (each entry's parameter count, summed
from its model's weight manifest).  Every checkpoint of the zoo must have a count.
The same values as `write_zoo.py --num-params COUNTS.json` writes in a fresh build,
as the same type (uint64 scalar), and the root attribute format_minor is raised to 2.
This updates data/realzoo.h5 without re-extracting its features (20 min).

The zoo is updated in a copy under a temporary name that is renamed into place, so a
failure leaves it as it was; a checkpoint whose num_params already equals its count
is left alone, and a zoo with nothing to change is not rewritten at all (running it
twice changes nothing the second time).  The file stays libver='earliest' and gains
no timestamps: two runs on the same input give byte-identical files.

--check: change nothing; exit 1 (listing them) if any checkpoint lacks num_params
or has another value than COUNTS.json.
"""
import argparse
import os
import shutil
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from write_zoo import load_num_params, set_attr_int, set_num_params  # noqa: E402


def differences(h, counts):
    """[(checkpoint, stored or None, count)] for every checkpoint not already right."""
    out = []
    for c in sorted(h["checkpoints"]):
        v = h["checkpoints"][c].attrs.get("num_params")
        ok = v is not None and np.ndim(v) == 0 and np.asarray(v).dtype == np.dtype("<u8") and int(v) == counts[c]
        if not ok:
            out.append((c, v, counts[c]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zoo")
    ap.add_argument("counts")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    a = ap.parse_args()
    with h5py.File(a.zoo, "r") as h:
        counts = load_num_params(a.counts, sorted(h["checkpoints"]))
        todo = differences(h, counts)
        minor = int(h.attrs.get("format_minor", 0))
    if a.check:
        for c, v, n in todo:
            print(f"add_num_params: /checkpoints/{c}: num_params {v!r}, expected {n} (uint64)", file=sys.stderr)
        if todo:
            sys.exit(1)
        print(f"add_num_params: {a.zoo}: all {len(counts)} checkpoints carry their num_params")
        return
    if not todo and minor >= 2:
        print(f"add_num_params: {a.zoo}: nothing to change")
        return
    tmp = a.zoo + ".tmp"
    shutil.copyfile(a.zoo, tmp)
    try:
        with h5py.File(tmp, "r+", libver="earliest") as h:
            if minor < 2:
                set_attr_int(h, "format_minor", 2)
            for c, v, n in todo:
                g = h["checkpoints"][c]
                if "num_params" in g.attrs:
                    del g.attrs["num_params"]
                set_num_params(g, n)
                print(f"add_num_params: /checkpoints/{c}: num_params = {n}" +
                      (f" (was {v!r})" if v is not None else ""))
        os.replace(tmp, a.zoo)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    print(f"add_num_params: wrote {a.zoo} ({len(todo)} checkpoints)")


if __name__ == "__main__":
    main()
