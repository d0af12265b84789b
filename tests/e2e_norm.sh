#!/bin/bash
# Scores normalised across a task's checkpoints (ncti, etran): a whole run,
# --shard runs merged, and a run stopped by a signal then --resume'd give
# byte-identical scores and raw terms in CSV; `report` of each results file
# recomputes the same; a shard alone is normalised over its own rows only.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
T=$(mktemp -d /tmp/ckr-norm.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
# checkpoint,task,method,score,status + terms (the last column) of the normalised rows
norm_rows() { /usr/bin/python3 -c "
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r['method'].startswith(('ncti', 'etran')):
        print(r['checkpoint'], r['task'], r['method'], r['score'], r['status'], r['terms'])" "$1" | sort; }
same_norm() { cmp <(norm_rows "$1") <(norm_rows "$2") || fail "$1 and $2 differ"; }

M='ncti,etran,etran:form=released,dummy:ms=120'
"$B" synth -o "$T/zoo.h5" --checkpoints 6 --tasks 2 --n 400 --dim 40 --seed 5 >/dev/null || fail "synth"

step "a whole run"
mpirun -n 2 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/whole.h5" --csv "$T/whole.csv" -q \
  --no-progress || fail "whole run"
[ "$(norm_rows "$T/whole.csv" | grep -c ' ok ')" -eq 36 ] || fail "expected 36 ok normalised rows"
# per task and method the normalised score spans its range: etran in [0, 1] with
# a 0 and a 1 only when one checkpoint leads both terms; min and max exist
/usr/bin/python3 - "$T/whole.csv" <<'PY' || fail "normalised scores out of range"
import csv, sys, collections
g = collections.defaultdict(list)
for r in csv.DictReader(open(sys.argv[1])):
    if r['method'].startswith(('ncti', 'etran')):
        g[(r['task'], r['method'])].append(float(r['score']))
for (task, m), s in g.items():
    lo, hi = (-1.0, 2.0) if m == 'ncti' else (0.0, 1.0)
    assert len(s) == 6 and all(lo - 1e-12 <= x <= hi + 1e-12 for x in s), (task, m, s)
PY

step "shards 0/2 and 1/2 merged"
for i in 0 1; do
  "$B" run "$T/zoo.h5" --methods "$M" --shard $i/2 -o "$T/shard$i.h5" --csv "$T/shard$i.csv" -q \
    --no-progress || fail "shard $i"
done
"$B" merge "$T/shard1.h5" "$T/shard0.h5" -o "$T/merged.h5" --csv "$T/merged.csv" -q || fail "merge"
same_norm "$T/whole.csv" "$T/merged.csv"

step "stopped by SIGUSR1 mid-run, then --resume"
mpirun -n 2 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/s.h5" --csv "$T/s.csv" -q --no-progress \
  2> "$T/sig.txt" &
pid=$!
for i in $(seq 1 400); do [ -f "$T/s.h5.journal" ] && break; sleep 0.05; done
sleep 0.6
kill -USR1 $pid
wait $pid; rc=$?
[ $rc -eq 75 ] || fail "interrupted run exited $rc, expected 75: $(cat "$T/sig.txt")"
grep -q "not-run" "$T/s.csv" || fail "the signal came too late (no not-run rows)"
mpirun -n 2 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/s.h5" --csv "$T/s.csv" -q --resume \
  2> "$T/res.txt" || fail "resume: $(cat "$T/res.txt")"
grep -q "from the journal" "$T/res.txt" || fail "nothing came from the journal"
same_norm "$T/whole.csv" "$T/s.csv"

step "report recomputes the same from the raw terms"
for f in whole merged s; do
  "$B" report "$T/$f.h5" --scores-csv "$T/r_$f.csv" -q || fail "report $f"
  same_norm "$T/whole.csv" "$T/r_$f.csv"
done

step "a shard alone is normalised over its own rows"
/usr/bin/python3 - "$T/shard0.csv" "$T/whole.csv" <<'PY' || fail "shard normalisation"
import csv, sys, collections
w = {(r['checkpoint'], r['task'], r['method']): r for r in csv.DictReader(open(sys.argv[2]))}
g = collections.defaultdict(list)
for r in csv.DictReader(open(sys.argv[1])):
    if r['method'].startswith('etran') and r['status'] == 'ok':
        assert r['terms'] == w[(r['checkpoint'], r['task'], r['method'])]['terms']
        wt = [p.split(':') for p in r['terms'].split()]
        assert [w for w, _ in wt] == ['0.15', '0.85'], r['terms']
        g[(r['task'], r['method'])].append([float(t) for _, t in wt] + [float(r['score'])])
for rows in g.values():
    lo = [min(x[k] for x in rows) for k in (0, 1)]
    hi = [max(x[k] for x in rows) for k in (0, 1)]
    for x in rows:
        want = sum(wk * ((x[k] - lo[k]) / (hi[k] - lo[k]) if hi[k] > lo[k] else 0.0)
                   for k, wk in ((0, 0.15), (1, 0.85)))
        assert abs(x[2] - want) <= 1e-12, (x, want)
PY
echo "e2e_norm: all passed"
