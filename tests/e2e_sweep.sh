#!/bin/bash
# End-to-end: a fine-tune sweep (one item per grid point, best per pair
# marked), `ckptrank groundtruth` writing ground truth into a zoo, and every
# method of the registry on one zoo (finite score or a clear status).
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-sweep.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

"$B" synth -o "$T/zoo.h5" --checkpoints 5 --tasks 2 --n 300 --val 100 --test 200 --dim 16 --seed 4 >/dev/null \
  || fail "synth"
"$B" validate "$T/zoo.h5" >/dev/null || fail "synth zoo with a test split is not valid"

step "a sweep: one item per grid point on any number of ranks, plus the best per pair"
SW='finetune:lr=0.01|0.1,steps=40|80'
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$SW" -o "$T/sw.h5" --csv "$T/sw.csv" -q --no-progress || fail "sweep run"
"$B" run "$T/zoo.h5" --methods "$SW" --csv "$T/sw1.csv" -q --no-progress || fail "sweep run, 1 rank"
cmp <(cut -d, -f1-5 "$T/sw.csv") <(cut -d, -f1-5 "$T/sw1.csv") || fail "sweep differs between 1 and 3 ranks"
[ "$(grep -c ',"finetune:lr=0.1,steps=80",' "$T/sw.csv")" -eq 10 ] || fail "grid point rows"
[ "$(grep -c ",\"$SW\"," "$T/sw.csv")" -eq 10 ] || fail "expected one best-of-sweep row per pair"
$PY - "$T/sw.h5" <<'PY' || fail "best-of-sweep rows are wrong"
import sys, h5py, math, collections
s = h5py.File(sys.argv[1], "r")["scores"]
rows = list(zip(*(s[c][:] for c in ("checkpoint", "task", "method", "sweep", "score", "heldout", "best"))))
groups = collections.defaultdict(list); summary = {}
for ck, t, m, sw, sc, ho, best in rows:
    assert sw, "every row here belongs to the sweep"
    (summary.__setitem__((ck, t), (sc, ho, best)) if m == sw else groups[(ck, t)].append((sc, ho, best, m)))
assert len(summary) == 10 and len(groups) == 10
for k, g in groups.items():
    assert len(g) == 4, g
    top = max(x[0] for x in g)
    chosen = [x for x in g if x[2] == 1]
    assert len(chosen) == 1 and chosen[0][0] == top, (k, g)
    sc, ho, best = summary[k]
    assert best == 1 and sc == top and ho == chosen[0][1] and not math.isnan(ho), (k, summary[k])
print("sweep summaries ok")
PY

step "groundtruth writes the selected model's test accuracy; refuses to overwrite"
cp "$T/zoo.h5" "$T/gt.h5"
"$B" groundtruth "$T/gt.h5" --sweep "$SW" --no-progress > "$T/gt.txt" 2>&1 && fail "overwrote synth ground truth without --force"
grep -q "refusing to overwrite" "$T/gt.txt" || fail "message: $(cat "$T/gt.txt")"
mpirun -n 2 "$B" groundtruth "$T/gt.h5" --sweep "$SW" --force --no-progress -o "$T/gtres.h5" > "$T/gt.txt" 2>&1 \
  || fail "groundtruth --force: $(cat "$T/gt.txt")"
grep -q "wrote finetune_accuracy of 10 pairs" "$T/gt.txt" || fail "$(cat "$T/gt.txt")"
"$B" validate "$T/gt.h5" >/dev/null || fail "zoo invalid after groundtruth"
$PY - "$T/gt.h5" "$T/sw.h5" "$SW" <<'PY' || fail "written ground truth is wrong"
import sys, h5py
z = h5py.File(sys.argv[1], "r"); s = h5py.File(sys.argv[2], "r")["scores"]; sw = sys.argv[3]
want = {}
for ck, t, m, ho, info in zip(s["checkpoint"][:], s["task"][:], s["method"][:], s["heldout"][:], s["info"][:]):
    if m.decode() == sw:
        want[(ck.decode(), t.decode())] = (ho, info.decode().split(": ", 1)[1])
assert z.attrs["groundtruth_sweep"] in (sw, sw.encode())
for (ck, t), (ho, sel) in want.items():
    g = z["checkpoints"][ck][t]
    assert g.attrs["finetune_accuracy"] == ho, (ck, t)
    src = g.attrs["finetune_source"]; src = src.decode() if isinstance(src, bytes) else src
    chosen = g.attrs["finetune_selected"]; chosen = chosen.decode() if isinstance(chosen, bytes) else chosen
    assert src == "test" and chosen == sel, (src, chosen, sel)
print("ground truth ok")
PY
"$B" run "$T/gt.h5" --methods nleep,linear -q --no-progress --csv "$T/after.csv" || fail "run on the new ground truth"

step "every registered method on one zoo (multiclass, multilabel, logits): finite or a clear status"
"$B" synth -o "$T/all.h5" --checkpoints 4 --tasks 2 --n 200 --val 60 --dim 12 --multilabel --seed 8 >/dev/null
methods=$("$B" methods | grep -E '^[a-z_]+$' | tr '\n' ',' | sed 's/,$//')
echo "methods: $methods"
mpirun -n 2 "$B" run "$T/all.h5" --methods "$methods" --csv "$T/all.csv" -q --no-progress || fail "all methods"
awk -F, 'NR > 1 && $5 == "ok" && ($4 == "" || $4 == "nan" || $4 == "inf" || $4 == "-inf") { bad = 1 } END { exit bad }' \
  "$T/all.csv" || fail "an ok row without a finite score"
awk -F, 'NR > 1 && $5 != "ok" && $5 != "unsupported-multilabel" { print; bad = 1 } END { exit bad }' "$T/all.csv" \
  || fail "unexpected failures"
echo "sweep ok"
