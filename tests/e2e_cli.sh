#!/bin/sh
# End-to-end: the commands of the README as a user runs them, on a synthetic zoo.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "every subcommand has --help"
for c in run report evaluate validate info synth methods merge groundtruth import; do
  "$B" $c --help > "$T/help.txt" || fail "$c --help exit $?"
  grep -q "usage: ckptrank $c" "$T/help.txt" || fail "$c --help has no usage line"
done
"$B" --help | grep -q "commands:" || fail "top-level help"
"$B" methods | grep -q "^nleep" || fail "methods lists nleep"

step "synth, info, validate"
"$B" synth -o "$T/zoo.h5" --checkpoints 6 --tasks 3 --n 300 --val 50 --dim 24 --seed 3 >/dev/null
"$B" info "$T/zoo.h5" > "$T/info.txt"
grep -q "3 tasks, 6 checkpoints, 18 pairs" "$T/info.txt" || { cat "$T/info.txt"; fail "info counts"; }
"$B" validate "$T/zoo.h5" | grep -q "valid" || fail "validate on a good zoo"

step "run on 1, 2 and 4 ranks: identical scores bit for bit"
"$B" run "$T/zoo.h5" --methods nleep,leep -o "$T/r0.h5" --csv "$T/s0.csv" -q --no-progress
for np in 1 2 4; do
  mpirun -n $np "$B" run "$T/zoo.h5" --methods nleep,leep -o "$T/r$np.h5" --csv "$T/s$np.csv" \
    --seed 0 -q 2> "$T/err$np.txt"
  cut -d, -f1-5 "$T/s$np.csv" > "$T/c$np.csv"
done
cut -d, -f1-5 "$T/s0.csv" > "$T/c0.csv"
head -1 "$T/s1.csv" | grep -qx "checkpoint,task,method,score,status,seconds,gflops,terms" || fail "scores header"
[ "$(wc -l < "$T/c1.csv")" -eq 37 ] || fail "expected 36 score rows"
cmp "$T/c0.csv" "$T/c1.csv" || fail "no mpirun vs 1 rank differ"
cmp "$T/c1.csv" "$T/c2.csv" || fail "1 vs 2 ranks differ"
cmp "$T/c1.csv" "$T/c4.csv" || fail "1 vs 4 ranks differ"
grep -q "items (100%)" "$T/err4.txt" || fail "no progress line on stderr"
# pair affinity: both methods of a pair run where it was read, one read per pair
for np in 1 2 4; do
  grep -q "36 computed), 36 ok, 0 failed, .* s, 18 pair reads" "$T/err$np.txt" \
    || fail "-n $np: expected 18 pair reads: $(cat "$T/err$np.txt")"
done
grep -q "ETA" "$T/err4.txt" || fail "progress has no ETA"
# every item ok and every gflops measured > 0
awk -F, 'NR>1 && ($5!="ok" || $7<=0) {bad=1} END {exit bad}' "$T/s1.csv" || fail "an item failed or has no FLOPs"
# a different seed changes NLEEP (k-means++ is seeded) but not LEEP
"$B" run "$T/zoo.h5" --methods nleep,leep --csv "$T/seed7.csv" --seed 7 -q --no-progress
grep ',leep,' "$T/seed7.csv" | cut -d, -f1-5 > "$T/l7"; grep ',leep,' "$T/s1.csv" | cut -d, -f1-5 > "$T/l1"
cmp "$T/l7" "$T/l1" || fail "LEEP depends on the seed"

step "report and evaluate agree"
"$B" report "$T/r2.h5" --csv "$T/m_report.csv" > "$T/report.txt"
head -1 "$T/m_report.csv" | grep -qx "task,method,n_checkpoints,recall@1,rel@1,recall@3,rel@3,pearson,kendall,weighted_kendall" \
  || fail "metrics header"
grep -q "^mean,nleep," "$T/m_report.csv" || fail "no mean row for nleep"
grep -q "pearson" "$T/report.txt" || fail "report prints no table"
$PY - "$T/zoo.h5" "$T/gt.csv" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
with open(sys.argv[2], "w") as out:
    out.write("checkpoint,task,accuracy\n")
    for c in f["checkpoints"]:
        for t in f["checkpoints"][c]:
            out.write("%s,%s,%r\n" % (c, t, float(f["checkpoints"][c][t].attrs["finetune_accuracy"])))
PY
"$B" evaluate --scores "$T/s1.csv" --ground-truth "$T/gt.csv" --csv "$T/m_eval.csv" -q
cmp "$T/m_report.csv" "$T/m_eval.csv" || fail "evaluate and report disagree"
"$B" report "$T/r1.h5" --k 1,2,5 --csv "$T/m_k.csv" -q
head -1 "$T/m_k.csv" | grep -q "recall@5,rel@5,pearson" || fail "--k 1,2,5 columns"
# NLEEP must rank the synthetic checkpoints well (the zoo is built so a good score does)
awk -F, '$1=="mean" && $2=="nleep" { if ($9 < 0.5) exit 1 }' "$T/m_report.csv" || fail "NLEEP mean Kendall < 0.5 on synth"

step "bad input: one bad pair does not kill the run"
cp "$T/zoo.h5" "$T/bad.h5"
$PY - "$T/bad.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
c = sorted(f["checkpoints"])[0]; t = sorted(f["tasks"])[0]
d = f["checkpoints"][c][t]["train_features"]; x = d[...]; x[3, 2] = np.nan; d[...] = x
PY
mpirun -n 2 "$B" run "$T/bad.h5" --methods nleep,leep --csv "$T/sbad.csv" -o "$T/rbad.h5" -q --no-progress \
  || fail "a bad pair made the run exit non-zero"
[ "$(grep -c ',bad-data,' "$T/sbad.csv")" -eq 2 ] || fail "expected the bad pair's 2 items as bad-data"
[ "$(grep -c ',ok,' "$T/sbad.csv")" -eq 34 ] || fail "expected the other 34 items ok"
"$B" validate "$T/bad.h5" > "$T/val.txt" && fail "validate accepted NaN features"
grep -q "train_features" "$T/val.txt" || fail "validate does not name the object"
$PY -c "import h5py; h5py.File('$T/rbad.h5','r')['scores/message'][0]" || fail "results unreadable"

step "unreadable input and usage errors"
echo "not hdf5" > "$T/junk.h5"
set +e
"$B" run "$T/junk.h5" -q 2> "$T/e1.txt"; rc=$?
[ $rc -eq 1 ] || fail "junk zoo: exit $rc, expected 1"
grep -q "junk.h5" "$T/e1.txt" || fail "error does not name the file"
"$B" run "$T/zoo.h5" --methods nleep:bogus=1 -q 2> "$T/e2.txt"; rc=$?
[ $rc -eq 2 ] || fail "unknown parameter: exit $rc, expected 2"
grep -q "unknown parameter 'bogus'" "$T/e2.txt" || fail "unknown parameter message"
"$B" run "$T/zoo.h5" --nope 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
"$B" synth -o "$T/nolog.h5" --no-logits --checkpoints 2 --tasks 1 >/dev/null
"$B" run "$T/nolog.h5" --methods leep --csv "$T/nolog.csv" -q --no-progress; rc=$?
[ $rc -eq 3 ] || fail "every item failed: exit $rc, expected 3"
grep -q ",needs-logits," "$T/nolog.csv" || fail "needs-logits status"
set -e

step "one voice under mpirun -n 2: rank 0 prints, every rank exits with one status"
set +e
# prints the number of lines of stderr file $1 that contain $2
count() { grep -cF -- "$2" "$1"; }
mpirun -n 2 "$B" run "$T/zoo.h5" --nope > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 2 ] || fail "mpirun usage error: exit $rc, expected 2"
[ "$(count "$T/v.err" "ckptrank run: unknown option '--nope' (see --help)")" -eq 1 ] \
  || { cat "$T/v.err"; fail "usage error not printed exactly once"; }
mpirun -n 2 "$B" groundtruth "$T/zoo.h5" > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 2 ] || fail "mpirun groundtruth without --sweep: exit $rc, expected 2"
[ "$(count "$T/v.err" "ckptrank groundtruth: expected ZOO and --sweep SPEC")" -eq 1 ] \
  || { cat "$T/v.err"; fail "groundtruth usage error not printed exactly once"; }
mpirun -n 2 "$B" report "$T/r1.h5" --k 1,1 -q > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 2 ] || fail "mpirun report --k 1,1: exit $rc, expected 2"
[ "$(count "$T/v.err" "ckptrank report: --k: invalid value '1,1'")" -eq 1 ] \
  || { cat "$T/v.err"; fail "report usage error not printed exactly once"; }
mpirun -n 2 "$B" run --help > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 0 ] || fail "mpirun run --help: exit $rc"
[ "$(count "$T/v.out" "usage: ckptrank run")" -eq 1 ] || fail "--help not printed exactly once"
mpirun -n 2 "$B" validate "$T/bad.h5" > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 1 ] || fail "mpirun validate of a bad zoo: exit $rc, expected 1"
[ "$(count "$T/v.out" "bad.h5: 1 problem")" -eq 1 ] || { cat "$T/v.out"; fail "validate summary not printed once"; }
mpirun -n 2 "$B" validate "$T/zoo.h5" > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 0 ] || fail "mpirun validate of a good zoo: exit $rc, expected 0"
mpirun -n 2 "$B" info "$T/zoo.h5" > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 0 ] || fail "mpirun info: exit $rc"
[ "$(count "$T/v.out" "3 tasks, 6 checkpoints, 18 pairs")" -eq 1 ] || fail "info not printed exactly once"
[ "$(count "$T/v.out" "checkpoints:")" -eq 1 ] || fail "info sections not printed exactly once"
mpirun -n 2 "$B" info "$T/junk.h5" > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 1 ] || fail "mpirun info of a junk file: exit $rc, expected 1"
[ "$(count "$T/v.err" "ckptrank info: ")" -eq 1 ] || fail "info error not printed exactly once"
mpirun -n 2 "$B" nosuchcommand > "$T/v.out" 2> "$T/v.err"; rc=$?
[ $rc -eq 2 ] || fail "mpirun unknown command: exit $rc, expected 2"
[ "$(count "$T/v.err" "unknown command 'nosuchcommand'")" -eq 1 ] || fail "unknown command not printed once"
set -e

step "a bad method spec is refused before any work: exit 2, one message, no output files"
# $1 command name, $2 spec, $3 text the message must contain; the outputs go to
# the empty directory $T/out, the zoo is a copy in $T/gz (groundtruth writes into it)
refused() {
  rm -rf "$T/out" "$T/gz"; mkdir -p "$T/out" "$T/gz"; cp "$T/zoo.h5" "$T/gz/zoo.h5"
  case $1 in
  run) mpirun -n 2 "$B" run "$T/gz/zoo.h5" --methods "nleep,$2" -o "$T/out/r.h5" --csv "$T/out/s.csv" \
         --metrics-csv "$T/out/m.csv" --json "$T/out/r.json" --no-progress > "$T/b.out" 2> "$T/b.err" ;;
  groundtruth) mpirun -n 2 "$B" groundtruth "$T/gz/zoo.h5" --sweep "$2" --force -o "$T/out/r.h5" \
         --csv "$T/out/s.csv" --no-progress > "$T/b.out" 2> "$T/b.err" ;;
  esac
  rc=$?
  [ $rc -eq 2 ] || { cat "$T/b.err"; fail "$1 $2: exit $rc, expected 2"; }
  [ "$(grep -c "^ckptrank $1: " "$T/b.err")" -eq 1 ] || { cat "$T/b.err"; fail "$1 $2: not one message"; }
  grep "^ckptrank $1: " "$T/b.err" | grep -qF -- "$3" || { cat "$T/b.err"; fail "$1 $2: message lacks '$3'"; }
  [ -z "$(ls -A "$T/out")" ] || { ls -A "$T/out"; fail "$1 $2: output files created"; }
  [ "$(ls -A "$T/gz")" = zoo.h5 ] || { ls -A "$T/gz"; fail "$1 $2: files created next to the zoo"; }
  cmp -s "$T/zoo.h5" "$T/gz/zoo.h5" || fail "$1 $2: the zoo was changed"
}
# a results file whose score rows carry method spec $2 (as an older ckptrank wrote them)
results_with_method() {
  cp "$T/r1.h5" "$1"
  $PY - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r+")
m = [sys.argv[2].encode() if x == b"leep" else x for x in f["scores/method"][...]]
del f["scores/method"]
f["scores/method"] = np.array(m, dtype="S%d" % max(len(x) for x in m))
f.attrs["methods"] = "nleep," + sys.argv[2]
PY
}
# $1 spec in the input's rows, $2 text the message must contain
merge_refused() {
  rm -rf "$T/out"; mkdir -p "$T/out"
  results_with_method "$T/in.h5" "$1"
  mpirun -n 2 "$B" merge "$T/r2.h5" "$T/in.h5" -o "$T/out/all.h5" --csv "$T/out/s.csv" \
    --metrics-csv "$T/out/m.csv" --json "$T/out/all.json" > "$T/b.out" 2> "$T/b.err"; rc=$?
  [ $rc -eq 2 ] || { cat "$T/b.err"; fail "merge of rows '$1': exit $rc, expected 2"; }
  [ "$(grep -c "^ckptrank merge: " "$T/b.err")" -eq 1 ] || { cat "$T/b.err"; fail "merge '$1': not one message"; }
  grep "^ckptrank merge: " "$T/b.err" | grep -qF -- "$2" || { cat "$T/b.err"; fail "merge '$1': message lacks '$2'"; }
  grep "^ckptrank merge: " "$T/b.err" | grep -qF -- "in.h5" || fail "merge '$1': message does not name the file"
  [ -z "$(ls -A "$T/out")" ] || { ls -A "$T/out"; fail "merge '$1': output files created"; }
}
set +e
refused run nleep:bogus=1 "unknown parameter 'bogus'"
refused run nosuch "unknown method 'nosuch'"
refused run "linear:epochs=x" "epochs=x"
refused groundtruth "finetune:lr=0.01|0.1,bogus=1" "unknown parameter 'bogus'"
refused groundtruth "nosuch:lr=0.01|0.1" "unknown method 'nosuch'"
merge_refused nleep:bogus=1 "unknown parameter 'bogus'"
merge_refused nosuch "unknown method 'nosuch'"
# a good merge still works after the checks
results_with_method "$T/in.h5" "leep"
"$B" merge "$T/r2.h5" "$T/in.h5" -o "$T/all.h5" -q 2> "$T/b.err" || { cat "$T/b.err"; fail "merge of good inputs"; }

# ---- out-of-range values are refused by the spec parser before any work
for spec in finetune:lr=-1 nleep:ratio=0 linear:epochs=-1; do
  key=${spec#*:}
  refused run "$spec" "${key%%=*}"
  refused groundtruth "$spec" "${key%%=*}"
  merge_refused "$spec" "${key%%=*}"
done
refused groundtruth "finetune:lr=0.01|-1,steps=50" "lr"
set -e
echo "e2e ok"
