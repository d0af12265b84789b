#!/bin/bash
# End-to-end fault tolerance without Slurm: kill -9 mid-run then --resume,
# a signal then --resume, a torn journal tail, a journal of another run,
# shards merged back, and merges that must be refused.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
T=$(mktemp -d /tmp/ckr-resume.XXXXXX)
trap 'pkill -9 -f "$T/" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
same_scores() { cmp <(cut -d, -f1-5 "$1") <(cut -d, -f1-5 "$2") || fail "$1 and $2 differ"; }
# dummy:ms=200 (a test method that waits, then returns a seeded score) makes the
# run long enough to be killed or signalled mid-way on any CPU
M='nleep,leep,dummy:ms=200'
# signal a run once it is under way: its journal exists (handlers are in place)
signal_when_started() { # pid journal
  for i in $(seq 1 400); do [ -f "$2" ] && break; sleep 0.05; done
  sleep 0.7
  kill -USR1 "$1"
}

"$B" synth -o "$T/zoo.h5" --checkpoints 8 --tasks 3 --n 1500 --dim 48 --seed 9 >/dev/null
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" --csv "$T/ref.csv" -q --no-progress || fail "reference run"
total=$(( $(wc -l < "$T/ref.csv") - 1 ))

step "kill -9 of the whole mpirun mid-run, then --resume: only unfinished items recomputed"
CKPTRANK_TRACE=1 setsid mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/k.h5" --csv "$T/k.csv" \
  -q --no-progress 2> "$T/trace.txt" &
pid=$!
for i in $(seq 1 600); do
  [ "$(grep -c 'ckptrank-trace: done' "$T/trace.txt")" -ge 20 ] && break
  sleep 0.05
done
kill -9 -- -$pid 2>/dev/null; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
pkill -9 -f "run $T/zoo.h5" 2>/dev/null; sleep 0.5
announced=$(grep -c 'ckptrank-trace: done' "$T/trace.txt")
[ "$announced" -ge 20 ] || fail "the run did not get going ($announced items)"
[ "$announced" -lt "$total" ] || fail "the run finished before the kill; make the zoo bigger"
[ -f "$T/k.h5" ] && fail "a killed run left a results file"
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/k.h5" --csv "$T/k.csv" -q --resume 2> "$T/resume.txt" \
  || fail "resume failed: $(cat "$T/resume.txt")"
line=$(grep "from the journal" "$T/resume.txt")
resumed=$(echo "$line" | sed -E 's/.*\(([0-9]+) from the journal, ([0-9]+) computed\).*/\1/')
computed=$(echo "$line" | sed -E 's/.*\(([0-9]+) from the journal, ([0-9]+) computed\).*/\2/')
echo "killed after $announced announced items; resumed $resumed, recomputed $computed of $total"
[ "$resumed" -ge "$announced" ] || fail "items finished before the kill were recomputed"
[ $((resumed + computed)) -eq "$total" ] || fail "resumed + computed != total"
[ "$computed" -le $((total - announced)) ] || fail "recomputed more than the unfinished items"
same_scores "$T/ref.csv" "$T/k.csv"

step "SIGUSR1: stop, partial outputs, exit 75; --resume finishes identically"
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/s.h5" --csv "$T/s.csv" -q --no-progress 2> "$T/sig.txt" &
pid=$!
signal_when_started $pid "$T/s.h5.journal"
wait $pid; rc=$?
[ $rc -eq 75 ] || fail "interrupted run exited $rc, expected 75: $(cat "$T/sig.txt")"
grep -q "not-run" "$T/s.csv" || fail "partial CSV has no not-run rows (signal too late?)"
/usr/bin/python3 -c "import h5py; f=h5py.File('$T/s.h5','r'); assert b'not-run' in list(f['scores/status'][:])" \
  || fail "partial results.h5"
not_run=$(sed -nE 's/.*: ([0-9]+) of [0-9]+ items not run.*/\1/p' "$T/sig.txt")
[ -n "$not_run" ] || fail "no not-run count in: $(cat "$T/sig.txt")"
[ -f "$T/s.h5.journal" ] || fail "an interrupted run left no journal"
# a torn last record (a crash mid-write) is dropped; everything before it is kept
printf 'CERJ\x40\x00\x00\x00garbage' >> "$T/s.h5.journal"
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/s.h5" --csv "$T/s.csv" -q --resume 2> "$T/res2.txt" \
  || fail "resume after signal: $(cat "$T/res2.txt")"
grep -q "torn last record was dropped" "$T/res2.txt" || fail "torn record not reported"
grep -q "($((total - not_run)) from the journal, $not_run computed)" "$T/res2.txt" \
  || fail "expected $((total - not_run)) resumed: $(cat "$T/res2.txt")"
same_scores "$T/ref.csv" "$T/s.csv"
/usr/bin/python3 -c "import h5py; f=h5py.File('$T/s.h5','r'); assert b'not-run' not in list(f['scores/status'][:])" \
  || fail "resumed results.h5 still has not-run rows"
[ -f "$T/s.h5.journal" ] && fail "a completed run left its journal behind"

step "a journal from another run is refused"
mpirun -n 3 "$B" run "$T/zoo.h5" --methods "$M" -o "$T/o.h5" -q --no-progress 2>/dev/null &
pid=$!; signal_when_started $pid "$T/o.h5.journal"; wait $pid
[ -f "$T/o.h5.journal" ] || fail "no journal to refuse"
"$B" run "$T/zoo.h5" --methods "$M" -o "$T/o.h5" --seed 3 --resume -q 2> "$T/other.txt"; rc=$?
[ $rc -eq 2 ] || fail "journal of another seed: exit $rc"
grep -q "seed differs" "$T/other.txt" || fail "message: $(cat "$T/other.txt")"
"$B" run "$T/zoo.h5" --methods leep -o "$T/o.h5" --resume -q 2> "$T/other.txt"; rc=$?
[ $rc -eq 2 ] && grep -q "method list differs" "$T/other.txt" || fail "journal of other methods: $(cat "$T/other.txt")"

step "shards merged back equal the whole run"
for i in 0 1 2; do
  "$B" run "$T/zoo.h5" --methods "$M" --shard $i/3 -o "$T/shard$i.h5" -q --no-progress || fail "shard $i"
done
"$B" merge "$T/shard2.h5" "$T/shard0.h5" "$T/shard1.h5" -o "$T/merged.h5" --csv "$T/merged.csv" -q \
  || fail "merge"
same_scores "$T/ref.csv" "$T/merged.csv"
"$B" report "$T/merged.h5" --csv "$T/m1.csv" -q
"$B" run "$T/zoo.h5" --methods "$M" -o "$T/whole.h5" -q --no-progress
"$B" report "$T/whole.h5" --csv "$T/m2.csv" -q
cmp "$T/m1.csv" "$T/m2.csv" || fail "metrics of the merge differ from the whole run"
"$B" merge "$T/shard0.h5" "$T/shard0.h5" -o "$T/twice.h5" -q || fail "merging identical overlaps"

step "merging rows that disagree is refused"
"$B" run "$T/zoo.h5" --methods "$M" --seed 4 -o "$T/seed4.h5" -q --no-progress
"$B" merge "$T/whole.h5" "$T/seed4.h5" -o "$T/bad.h5" -q 2> "$T/bad.txt"; rc=$?
[ $rc -eq 1 ] || fail "disagreeing merge exited $rc"
grep -q "disagree" "$T/bad.txt" || fail "message: $(cat "$T/bad.txt")"
[ -f "$T/bad.h5" ] && fail "a refused merge wrote output"
step "a stop signal during start-up (before the run's handlers exist) stops the run, not the process"
# (to the ckptrank process itself: mpirun's own start-up is not ours to guard)
for how in "0.05" "0.3"; do
  rm -f "$T/early.h5" "$T/early.csv" "$T/early.h5.journal"
  d=${how##* }
  "$B" run "$T/zoo.h5" --methods "$M" -o "$T/early.h5" --csv "$T/early.csv" -q --no-progress \
    --grace 30 2> "$T/early.err" &
  pid=$!
  # main() holds the stop signals back from its first line; before that
  # (the dynamic loader, a sanitizer's own start) no program can catch a
  # signal, so wait until SIGUSR1 (bit 10) is blocked or caught, then wait d
  for _ in $(seq 500); do
    m=$(awk '/^Sig(Blk|Cgt):/ { print $2 }' /proc/$pid/status 2>/dev/null | tr '\n' ' ')
    for x in $m; do [ $(( 0x$x & 0x200 )) -ne 0 ] && break 2; done
    sleep 0.01
  done
  sleep "$d"
  kill -USR1 $pid
  wait $pid; rc=$?
  [ $rc -eq 75 ] || { cat "$T/early.err"; fail "signal after ${d}s ($how): exit $rc, expected 75"; }
  "$B" run "$T/zoo.h5" --methods "$M" -o "$T/early.h5" --csv "$T/early.csv" -q --no-progress --resume \
    || fail "resume after an early signal ($how)"
  same_scores "$T/ref.csv" "$T/early.csv"
done

echo "resume ok"
