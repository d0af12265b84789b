#!/bin/sh
# End-to-end: "which checkpoint?" -- the ranking per task on stdout of `run`
# and `report` (consensus first, --top), the --ranking-csv file and the
# JSON's ranking and agreement, all checked against scipy from the scores CSV
# (tests/report_check.py ranking); with and without ground truth; the same
# bytes on 1 and 2 ranks; --ranking-csv refused over the zoo or another output.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK="$PY $HERE/report_check.py"
T=$(mktemp -d /tmp/ckr-ranking.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
M=nleep,logme,hscore_shrink,leep

step "run on a synthetic zoo with ground truth, --top 2"
"$B" synth -o "$T/zoo.h5" --checkpoints 7 --tasks 2 --n 300 --val 60 --dim 12 --seed 3 >/dev/null
"$B" run "$T/zoo.h5" --methods $M --no-progress --top 2 -o "$T/r.h5" --csv "$T/s.csv" \
  --ranking-csv "$T/rk.csv" --json "$T/r.json" > "$T/out.txt" 2>/dev/null || fail "run exit $?"
head -3 "$T/out.txt"
$CHECK ranking "$T/s.csv" "$T/rk.csv" "$T/r.json" "$T/out.txt" 2 || fail "run ranking"
grep -q '^mean   *consensus ' "$T/out.txt" || fail "no consensus row in the metrics table"
$PY - "$T/r.json" <<'PY' || fail "the consensus metrics row is not minus the mean rank's"
import json, sys
import scipy.stats as st
d = json.load(open(sys.argv[1]))
gt = {(g["checkpoint"], g["task"]): g["accuracy"] for g in d["ground_truth"]}
for t in sorted({r["task"] for r in d["ranking"]}):
    rows = [r for r in d["ranking"] if r["task"] == t and r["method"] == "consensus"]
    s = [-r["score"] for r in rows]
    g = [gt[(r["checkpoint"], t)] for r in rows]
    m = [x for x in d["metrics"] if x["task"] == t and x["method"] == "consensus"][0]
    assert abs(m["kendall"] - st.kendalltau(s, g)[0]) < 1e-12, (m, st.kendalltau(s, g))
    assert m["n_checkpoints"] == len(rows)
print("consensus metrics: kendall of minus the mean rank against the ground truth")
PY

step "report of the results: the same ranking, default --top 5"
"$B" report "$T/r.h5" --ranking-csv "$T/rk2.csv" --json "$T/r2.json" > "$T/out2.txt" || fail "report exit $?"
cmp "$T/rk.csv" "$T/rk2.csv" || fail "report --ranking-csv differs from run's"
$CHECK ranking "$T/s.csv" "$T/rk2.csv" "$T/r2.json" "$T/out2.txt" 5 || fail "report ranking"

step "2 ranks: the same ranking CSV"
mpirun -n 2 "$B" run "$T/zoo.h5" --methods $M --no-progress -q --ranking-csv "$T/rk_2.csv" \
  2>/dev/null || fail "mpirun run exit $?"
cmp "$T/rk.csv" "$T/rk_2.csv" || fail "1 and 2 ranks give different rankings"

step "no ground truth: the ranking is the answer"
cp "$T/zoo.h5" "$T/nogt.h5"
$PY - "$T/nogt.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r+")
def drop(name, obj):
    if isinstance(obj, h5py.Group) and "finetune_accuracy" in obj.attrs:
        del obj.attrs["finetune_accuracy"]
f.visititems(drop)
PY
"$B" run "$T/nogt.h5" --methods $M --no-progress --top 3 --csv "$T/sn.csv" \
  --ranking-csv "$T/rkn.csv" --json "$T/rn.json" -o "$T/rn.h5" > "$T/outn.txt" 2>/dev/null \
  || fail "run without ground truth exit $?"
grep -q 'no ranking-quality table' "$T/outn.txt" || fail "the zoo still has ground truth"
$CHECK ranking "$T/sn.csv" "$T/rkn.csv" "$T/rn.json" "$T/outn.txt" 3 || fail "ranking without ground truth"
"$B" report "$T/rn.h5" --html "$T/rn.html" -q || fail "report --html exit $?"
xmllint --noout "$T/rn.html" || fail "xmllint rejects the page"
grep -q 'id="agreement"' "$T/rn.html" || fail "no agreement section"

step "--ranking-csv is refused over the zoo or another output, and --top 0"
cp "$T/zoo.h5" "$T/keep.h5"
st=0; "$B" run "$T/zoo.h5" --methods nleep -q --no-progress --ranking-csv "$T/zoo.h5" 2>"$T/err" || st=$?
[ "$st" -ne 0 ] || fail "--ranking-csv over the zoo accepted"
cmp "$T/zoo.h5" "$T/keep.h5" || fail "the zoo changed"
st=0; "$B" report "$T/r.h5" -q --ranking-csv "$T/x.csv" --csv "$T/x.csv" 2>"$T/err" || st=$?
[ "$st" -ne 0 ] || fail "--ranking-csv over --csv accepted"
st=0; "$B" report "$T/r.h5" -q --top 0 2>"$T/err" || st=$?
[ "$st" -eq 2 ] || fail "--top 0: exit $st, expected 2"
echo "ok"
