#!/bin/bash
# End-to-end journal safety: --resume after a pair's data changed in place
# (that pair is computed again, the others resumed, scores equal a fresh run),
# two runs on one output (the second refused naming the first's pid, the
# first unharmed), a kill -9'd run's lock released, no temporary journal name
# left behind, and `validate` reporting a task named 'mean'.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-journal.XXXXXX)
trap 'pkill -9 -f "$T/" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
scores() { cut -d, -f1-5 "$1"; }
wait_for() { # file: wait until it exists
  for i in $(seq 1 400); do [ -f "$1" ] && return 0; sleep 0.05; done
  fail "$1 never appeared"
}
M='leep,hscore,dummy:ms=150'
NSPECS=3

"$B" synth -o "$T/zoo.h5" --checkpoints 6 --tasks 3 --n 400 --dim 24 --seed 5 >/dev/null || fail synth
"$B" run "$T/zoo.h5" --methods "$M" --csv "$T/before.csv" -q --no-progress || fail "reference run"
total=$(( $(wc -l < "$T/before.csv") - 1 ))

step "kill -9 mid-run, one pair's features changed in place, --resume: that pair is computed again"
CKPTRANK_TRACE=1 setsid mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/k.h5" --csv "$T/k.csv" \
  -q --no-progress 2> "$T/trace.txt" &
pid=$!
for i in $(seq 1 600); do
  [ "$(grep -c 'ckptrank-trace: done' "$T/trace.txt")" -ge 12 ] && break
  sleep 0.05
done
kill -9 -- -$pid 2>/dev/null; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
pkill -9 -f "run $T/zoo.h5" 2>/dev/null; sleep 0.3
announced=$(grep -c 'ckptrank-trace: done' "$T/trace.txt")
[ "$announced" -ge 12 ] || fail "the run did not get going ($announced items)"
[ "$announced" -lt "$total" ] || fail "the run finished before the kill"
# the pair of the first item done (items are pair-major: pair = index / specs;
# pairs are checkpoint-major over the sorted names)
first=$(grep -m1 'ckptrank-trace: done' "$T/trace.txt" | awk '{print $3}')
pair=$((first / NSPECS)); ck=$(printf 'ckpt%02d' $((pair / 3))); tk="task$((pair % 3))"
in_pair=$(grep 'ckptrank-trace: done' "$T/trace.txt" | awk -v p=$pair -v s=$NSPECS 'int($3 / s) == p' | wc -l)
echo "killed after $announced items; changing $ck/$tk ($in_pair of its items announced)"
$PY -c "
import h5py, numpy as np
with h5py.File('$T/zoo.h5', 'r+') as f:
    d = f['checkpoints/$ck/$tk/train_features']
    shape = d.shape
    d[...] = d[...][::-1] * 1.5 + 0.25   # same shape, other content
    assert d.shape == shape
" || fail "changing the features"
"$B" run "$T/zoo.h5" --methods "$M" --csv "$T/fresh.csv" -q --no-progress || fail "fresh run"
# the change matters: the pair's hscore moved
[ "$(grep "^$ck,$tk,hscore," "$T/before.csv")" != "$(grep "^$ck,$tk,hscore," "$T/fresh.csv")" ] \
  || fail "changing $ck/$tk did not change its hscore"
mpirun -n 2 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/k.h5" --csv "$T/k.csv" -q --resume 2> "$T/resume.txt" \
  || fail "resume: $(cat "$T/resume.txt")"
cat "$T/resume.txt"
[ "$(grep -c 'changed since the journal' "$T/resume.txt")" -eq 1 ] || fail "want one changed pair"
n=$(sed -nE "s/.*pair $ck\/$tk changed since the journal: its ([0-9]+) items? (is|are) computed again.*/\1/p" \
  "$T/resume.txt")
[ -n "$n" ] || fail "no message for $ck/$tk"
[ "$n" -ge "$in_pair" ] && [ "$n" -le $NSPECS ] || fail "$n items of $ck/$tk recomputed, $in_pair announced"
line=$(grep "from the journal" "$T/resume.txt")
resumed=$(echo "$line" | sed -E 's/.*\(([0-9]+) from the journal, ([0-9]+) computed\).*/\1/')
computed=$(echo "$line" | sed -E 's/.*\(([0-9]+) from the journal, ([0-9]+) computed\).*/\2/')
echo "resumed $resumed, recomputed $computed of $total (of them $n of the changed pair)"
[ $((resumed + computed)) -eq "$total" ] || fail "resumed + computed != total"
[ $((resumed + n)) -ge "$announced" ] || fail "unchanged items finished before the kill were recomputed"
[ "$resumed" -gt 0 ] || fail "nothing resumed"
cmp <(scores "$T/fresh.csv") <(scores "$T/k.csv") || fail "resumed scores differ from a fresh run's"
[ -f "$T/k.h5.journal" ] && fail "a completed run left its journal"

step "resume of an unchanged zoo: everything resumed, nothing reported changed"
"$B" run "$T/zoo.h5" --methods "$M" -o "$T/u.h5" --csv "$T/u.csv" -q --no-progress &
pid=$!; wait_for "$T/u.h5.journal"; sleep 1; kill -9 $pid; wait $pid 2>/dev/null
[ -f "$T/u.h5.journal" ] || fail "killed run left no journal"
"$B" run "$T/zoo.h5" --methods "$M" -o "$T/u.h5" --csv "$T/u.csv" -q --resume 2> "$T/u.txt" \
  || fail "resume after kill -9 (the dead run's lock must be gone): $(cat "$T/u.txt")"
grep -q "changed since the journal" "$T/u.txt" && fail "an unchanged pair was reported changed"
grep -qE "\(([1-9][0-9]*) from the journal" "$T/u.txt" || fail "nothing resumed: $(cat "$T/u.txt")"
cmp <(scores "$T/fresh.csv") <(scores "$T/u.csv") || fail "scores after resume"

step "two runs on one output: the second is refused before any work, naming the first"
# the first run holds its journal for 18 x 0.8 s, long enough for the three
# refused runs below even on a loaded machine
"$B" run "$T/zoo.h5" --methods 'dummy:ms=800' -o "$T/c.h5" --csv "$T/c.csv" -q --no-progress &
a=$!
# the same run without a journal, alongside: what the first run must write
"$B" run "$T/zoo.h5" --methods 'dummy:ms=800' --csv "$T/cref.csv" --journal '' -q --no-progress &
r=$!
wait_for "$T/c.h5.journal"
"$B" run "$T/zoo.h5" --methods 'dummy:ms=800' -o "$T/c.h5" --csv "$T/b.csv" -q --no-progress 2> "$T/b.txt"
rc=$?
[ $rc -eq 1 ] || fail "second run exited $rc, expected 1: $(cat "$T/b.txt")"
grep -qF "$T/c.h5.journal is in use by process $a (another ckptrank run writing the same outputs)" "$T/b.txt" \
  || fail "message: $(cat "$T/b.txt")"
[ -f "$T/b.csv" ] && fail "the refused run wrote an output"
"$B" run "$T/zoo.h5" --methods 'dummy:ms=800' -o "$T/c.h5" -q --resume 2> "$T/b.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "is in use by process $a" "$T/b.txt" || fail "--resume on a held journal: $rc $(cat "$T/b.txt")"
# the same journal named with --journal, the outputs elsewhere: refused too
mpirun -n 2 "$B" run "$T/zoo.h5" --methods 'dummy:ms=800' --csv "$T/d.csv" --journal "$T/c.h5.journal" -q \
  2> "$T/b.txt"; rc=$?
[ $rc -eq 1 ] && grep -q "is in use by process $a" "$T/b.txt" || fail "--journal on a held journal: $rc $(cat "$T/b.txt")"
[ -f "$T/c.h5.journal" ] || fail "a refused run removed the journal it does not hold"
wait $a || fail "the first run failed after the second was refused"
[ -f "$T/c.h5.journal" ] && fail "the first run left its journal"
wait $r || fail "the reference run"
cmp <(scores "$T/c.csv") <(scores "$T/cref.csv") || fail "the first run's outputs were disturbed"
[ -f "$T/c.h5" ] || fail "the first run wrote no results"

step "no temporary journal name is left behind"
ls "$T" | grep -q '\.journal\.tmp\.' && fail "temporary journal left: $(ls "$T")"

step "validate reports a task named 'mean'"
cp "$T/zoo.h5" "$T/mean.h5"
$PY -c "
import h5py
with h5py.File('$T/mean.h5', 'r+') as f:
    f.move('tasks/task1', 'tasks/mean')
    for c in f['checkpoints']:
        f.move('checkpoints/%s/task1' % c, 'checkpoints/%s/mean' % c)
" || fail "renaming a task"
"$B" validate "$T/mean.h5" > "$T/v.txt" 2>&1; rc=$?
[ $rc -eq 1 ] || fail "validate exited $rc: $(cat "$T/v.txt")"
grep -qF "$T/mean.h5: /tasks/mean: the task name 'mean' is reserved" "$T/v.txt" || fail "message: $(cat "$T/v.txt")"
"$B" validate "$T/zoo.h5" >/dev/null 2>&1 || fail "the unchanged zoo is not valid"

echo "journal ok"
