#!/bin/sh
# End-to-end: the Python binding (python/ckptrank, ctypes on build/libckptrank.so)
# gives the CLI's scores. A synthetic zoo (multiclass + multilabel tasks, val and
# test splits, logits, top layers, num_params) is scored by `ckptrank run --csv`
# with every method of `ckptrank methods`; the same pairs' arrays, read with h5py,
# go through ckptrank.score under the pair's names, seed and num_classes: every
# status must equal the CSV's and every ok score its %.17g text. Then
# ckptrank.methods() against `ckptrank methods`, the library lookup through
# CKPTRANK_LIB, and refusals (bad spec, bad pair) as statuses, not exceptions.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-e2e-python.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
if [ ! -e "$ROOT/$BUILD/libckptrank.so" ]; then
  [ "$BUILD" = build ] || { echo "skipped: the shared library is not built in $BUILD"; exit 0; }
  fail "$ROOT/$BUILD/libckptrank.so is not built (make)"
fi
cd "$T"

METHODS=$("$B" methods | sed -n 's/^\([a-z_][a-z_0-9]*\)$/\1/p' | tr '\n' ',' | sed 's/,$//')
[ -n "$METHODS" ] || fail "no methods listed"
# two parameterised specs too (the spec text seeds the item)
SPECS="$METHODS,logme:form=thuml,nleep:cov=diag,dummy:ms=1"
echo "methods: $SPECS"

"$B" synth -o z.h5 --checkpoints 3 --tasks 2 --n 150 --val 40 --test 30 --dim 12 \
  --multilabel --seed 5 >/dev/null
for seed in 0 7; do
  step "ckptrank run --seed $seed, every method, CSV"
  "$B" run z.h5 --methods "$SPECS" --seed $seed --csv "s$seed.csv" >/dev/null 2>run.err ||
    { cat run.err; fail "run --seed $seed failed"; }
done

step "ckptrank.score on the same arrays equals the CSV, status and %.17g score"
# from the build tree: python/ckptrank finds ../../$BUILD/libckptrank.so only for
# BUILD=build, so name the library explicitly
CKPTRANK_LIB="$ROOT/$BUILD" PYTHONPATH="$ROOT/python" $PY - "$SPECS" <<'PY'
import csv, sys
import h5py, numpy as np
import ckptrank

specs = sys.argv[1].split(",")
# the CLI splits "a:k=v,b" by the key= form; these specs have at most one key each
f = h5py.File("z.h5", "r")
bad = 0
seen = set()
groups = {}  # (seed, task, method) -> [(csv row, result)] of the normalised scores
for seed in (0, 7):
    rows = list(csv.DictReader(open("s%d.csv" % seed)))
    assert len(rows) == len(specs) * 6, (len(rows), len(specs))
    for row in rows:
        c, t, m = row["checkpoint"], row["task"], row["method"]
        g, tg = f["checkpoints"][c][t], f["tasks"][t]
        ml = tg.attrs["kind"] in (b"multilabel", "multilabel")
        r = ckptrank.score(
            g["train_features"][()], tg["train_labels"][()], method=m,
            logits=g["train_logits"][()], val_features=g["val_features"][()],
            val_labels=tg["val_labels"][()], seed=seed, val_logits=g["val_logits"][()],
            test_features=g["test_features"][()], test_labels=tg["test_labels"][()],
            top_weights=g["top_weights"][()], top_bias=g["top_bias"][()], multilabel=ml,
            num_classes=int(tg.attrs["num_classes"]),
            num_params=float(f["checkpoints"][c].attrs["num_params"]), checkpoint=c, task=t)
        if r.terms != row["terms"]:
            bad += 1
            print("DIFF seed=%d %s/%s %s: terms CLI %r, Python %r" % (seed, c, t, m, row["terms"], r.terms))
        if r.terms:  # ncti, etran: the score needs the task's checkpoints
            groups.setdefault((seed, t, m), []).append((row, r))
            continue
        got = "%.17g" % r.score if r.status == "ok" else ""
        if r.status != row["status"] or got != row["score"]:
            bad += 1
            print("DIFF seed=%d %s/%s %s: CLI %s %s, Python %s %s (%s)" % (
                seed, c, t, m, row["status"], row["score"], r.status, got, r.message))
        if r.status == "ok":
            seen.add(m)
            assert r.seconds >= 0 and r.gflops >= 0, r
for (seed, t, m), g in sorted(groups.items()):
    for (row, r) in zip([x[0] for x in g], ckptrank.normalize([x[1] for x in g])):
        got = "%.17g" % r.score if r.status == "ok" else ""
        if r.status != row["status"] or got != row["score"]:
            bad += 1
            print("DIFF seed=%d %s/%s %s (normalised): CLI %s %s, Python %s %s" % (
                seed, row["checkpoint"], t, m, row["status"], row["score"], r.status, got))
        elif r.status == "ok":
            seen.add(m)
assert groups, "no normalised method compared"
print("compared %d scores (%d normalised groups); ok for %d specs" % (
    2 * len(rows), len(groups), len(seen)))
missing = set(specs) - seen
assert not missing, "no ok score for %s" % sorted(missing)
sys.exit(1 if bad else 0)
PY

step "float32 and float64 features of the same values give the same score"
CKPTRANK_LIB="$ROOT/$BUILD/libckptrank.so" PYTHONPATH="$ROOT/python" $PY - <<'PY'
import numpy as np, ckptrank
rng = np.random.default_rng(3)
X = rng.normal(size=(120, 6)).astype(np.float32)
y = rng.integers(0, 3, 120)
for m in ("logme", "nleep", "hscore"):
    a, b = ckptrank.score(X, y, method=m), ckptrank.score(X.astype(np.float64), y.astype(np.int32), method=m)
    assert a.status == "ok" and a.score == b.score, (m, a, b)
    # Fortran-ordered and strided input is made C-contiguous
    c = ckptrank.score(np.asfortranarray(X), y[::1], method=m)
    assert c.score == a.score, (m, a, c)
PY

step "ckptrank.methods() lists what \`ckptrank methods\` lists"
"$B" methods > methods.txt
CKPTRANK_LIB="$ROOT/$BUILD" PYTHONPATH="$ROOT/python" $PY - <<'PY'
import re, ckptrank
cli, cur = {}, None
for line in open("methods.txt"):
    if re.match(r"^[a-z_0-9]+$", line.strip()) and not line.startswith(" "):
        cur = line.strip(); cli[cur] = []
    m = re.match(r"^    (\S+)\s+default (\S+)", line)
    if m and cur:
        cli[cur].append((m.group(1), m.group(2)))
py = ckptrank.methods()
assert [m["name"] for m in py] == list(cli), ([m["name"] for m in py], list(cli))
for m in py:
    assert [(p["key"], p["default"]) for p in m["params"]] == cli[m["name"]], m["name"]
    assert m["summary"]
nleep = next(m for m in py if m["name"] == "nleep")
assert any(p["key"] == "cov" and p["choices"] == ["full", "diag"] for p in nleep["params"]), nleep
print("%d methods, %d parameters" % (len(py), sum(len(m["params"]) for m in py)))
PY

step "refusals are statuses: a bad spec, a sweep, NaN features, labels that do not fit"
CKPTRANK_LIB="$ROOT/$BUILD" PYTHONPATH="$ROOT/python" $PY - <<'PY'
import numpy as np, ckptrank
rng = np.random.default_rng(1)
X = rng.normal(size=(50, 4)); y = rng.integers(0, 2, 50)
cases = [
    (dict(method="nope"), "bad-argument", "unknown method 'nope'"),
    (dict(method="finetune:lr=-1"), "bad-argument", "out of range"),
    (dict(method="logme:form=exact|thuml"), "bad-argument", ""),
    (dict(method="logme", features=np.where(np.arange(200).reshape(50, 4) == 7, np.nan, X)),
     "bad-data", "non-finite"),
    (dict(method="logme", labels=np.zeros(50, int)), "bad-data", "classes"),
    (dict(method="logme", labels=y[:40]), "bad-format", "rows"),
    (dict(method="logme", labels=-y), "bad-data", "class index"),
    (dict(method="leep"), "needs-logits", "train_logits"),
]
for kw, status, text in cases:
    args = dict(features=X, labels=y); args.update(kw)
    r = ckptrank.score(args.pop("features"), args.pop("labels"), **args)
    assert r.status == status and text in r.message, (kw.get("method"), r)
try:
    ckptrank.score(X, y, method="nope", check=True)
    raise AssertionError("check=True did not raise")
except ValueError:
    pass
print("refusals ok")
PY

if [ "$BUILD" = build ]; then
  step "without CKPTRANK_LIB, from the build tree: python/ckptrank finds build/libckptrank.so"
  env -u CKPTRANK_LIB PYTHONPATH="$ROOT/python" $PY -c 'import ckptrank; print(ckptrank.version())' ||
    fail "the package in the build tree did not find build/libckptrank.so"
fi

step "without CKPTRANK_LIB a missing library is a clear error"
mkdir -p pkg && cp -r "$ROOT/python/ckptrank" pkg/
out=$(env -u CKPTRANK_LIB PYTHONPATH=pkg $PY -c 'import ckptrank; ckptrank.methods()' 2>&1) &&
  fail "a package without a library next to it loaded one"
echo "$out" | grep -q "CKPTRANK_LIB" || fail "no hint to CKPTRANK_LIB: $out"
echo "e2e_python: ok"
