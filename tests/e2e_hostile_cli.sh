#!/bin/bash
# End-to-end, issue 14 (command line, zoo layer, trained methods): hostile
# command lines and zoos must be refused before any work, never clobber an
# input, never crash, and say what is wrong.
#   item 1  full disk: synth leaves nothing, groundtruth leaves the zoo as it was
#           (a small tmpfs; needs root, skipped otherwise, saying so)
#   item 3  an output that is the input (also through a symlink / hard link)
#   item 4  two outputs on one path
#   item 8  groundtruth accepts only accuracy-producing methods
#   item 9  interrupted groundtruth: exit 75, stable names, --resume gives the
#           same finetune_accuracy as an uninterrupted sweep
#   item 10 validate on a tiny file declaring 10^12 values: seconds, named objects
#   item 11 num_classes = 1000000 with 40 samples: the trained methods give the
#           scores of the same data declared with its 4 classes
#   item 16 --shard, -o '', uint64 attributes and labels in messages, strerror
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/ckr-hostile.XXXXXX)
MNT=""
cleanup() {
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
# expect STATUS NAME CMD...: run CMD (stderr to $T/err), check its exit status
expect() {
  local want=$1 name=$2; shift 2
  "$@" > "$T/out" 2> "$T/err"
  local got=$?
  [ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "$name: exit $got, expected $want"; }
}
# has TEXT: the last command said TEXT (stderr, or stdout for validate)
has() { cat "$T/err" "$T/out" | grep -qF -- "$1" || { cat "$T/err" >&2; fail "message lacks '$1'"; }; }
# the zoo is byte for byte as it was
same_zoo() { cmp -s "$1" "$2" || fail "$3: the zoo changed"; }
no_files() { # DIR PATTERN...: none of the globs match
  local d=$1; shift
  for p in "$@"; do
    for f in "$d"/$p; do [ -e "$f" ] && fail "left behind: $f"; done
  done
  return 0
}
cd "$T" || exit 1

$B synth -o z.h5 --checkpoints 3 --tasks 2 --n 200 --val 40 --test 40 --dim 12 --seed 5 > /dev/null ||
  fail "synth"
cp z.h5 z.orig
ln -s z.h5 zlink.h5
ln z.h5 zhard.h5

step "item 3: an output that is the input is refused before any work (exit 2)"
for args in "-o z.h5" "--csv z.h5" "--json z.h5" "--metrics-csv z.h5" "-o zlink.h5" "--csv zhard.h5"; do
  expect 2 "run z.h5 $args" $B run z.h5 --methods leep $args -q --no-progress
  has "is the input"
  same_zoo z.h5 z.orig "run $args"
done
expect 2 "run via symlink" $B run zlink.h5 --methods leep -o z.h5 -q --no-progress
has "refusing to overwrite"
expect 2 "groundtruth -o zoo" $B groundtruth z.h5 --sweep linear -o z.h5 --force --no-progress
has "-o z.h5 is the input"
same_zoo z.h5 z.orig "groundtruth -o z.h5"
expect 2 "groundtruth --csv zoo" $B groundtruth z.h5 --sweep linear --csv zlink.h5 --force
same_zoo z.h5 z.orig "groundtruth --csv"
$B run z.h5 --methods leep -o r.h5 --csv s.csv -q --no-progress || fail "a run for the report tests"
expect 2 "report --html over its input" $B report r.h5 --html r.h5
has "is the input r.h5"
expect 2 "merge -o over an input" $B merge r.h5 -o r.h5
expect 2 "evaluate --csv over --scores" $B evaluate --scores s.csv --ground-truth s.csv --csv s.csv
no_files . "*.journal" "*.tmp.*"

step "item 4: two outputs on one path are refused (exit 2), nothing written"
expect 2 "-o out.h5 --csv out.h5" $B run z.h5 --methods leep -o out.h5 --csv out.h5 -q
has "are the same file"
expect 2 "-o out.h5 --csv ./out.h5" $B run z.h5 --methods leep -o out.h5 --csv ./out.h5 -q
expect 2 "--csv a.csv --metrics-csv ../dir/a.csv" \
  $B run z.h5 --methods leep --csv a.csv --metrics-csv "../$(basename "$T")/a.csv" -q
touch exists.csv; ln -s exists.csv elink.csv
expect 2 "--csv exists.csv --json elink.csv" $B run z.h5 --methods leep --csv exists.csv --json elink.csv -q
expect 2 "report --csv x --json x" $B report r.h5 --csv x.out --json x.out
no_files . "out.h5" "a.csv" "x.out" "*.journal"
[ -s exists.csv ] && fail "exists.csv was written"

step "item 8: groundtruth refuses methods that do not measure an accuracy (exit 2)"
for m in leep nleep dummy logme 'dummy:ms=1'; do
  expect 2 "groundtruth --sweep $m" $B groundtruth z.h5 --sweep "$m" --force --no-progress
  has "does not measure an accuracy"
done
same_zoo z.h5 z.orig "groundtruth --sweep leep"
no_files . "*.groundtruth*"

step "item 16: --shard must be I/N exactly; -o '' is refused and leaves no journal"
for s in 1/2/3 1/2abc 2/2 -1/2 ' 1/2' 1/ /2 1//2 1/0; do
  expect 2 "--shard '$s'" $B run z.h5 --methods leep --shard "$s" --csv sh.csv -q --no-progress
  has "--shard"
done
expect 0 "--shard 1/2" $B run z.h5 --methods leep --shard 1/2 --csv sh.csv -q --no-progress
[ "$(wc -l < sh.csv)" -eq 4 ] || fail "shard 1/2 of 6 items: expected 3 rows"
expect 2 "-o ''" $B run z.h5 --methods leep -o '' -q --no-progress
has "-o: empty file name"
expect 2 "--csv ''" $B run z.h5 --methods leep --csv '' -q --no-progress
no_files . ".journal" "*.journal" ".tmp.*"
expect 1 "synth into a missing directory" $B synth -o no/such/dir/z.h5
has "No such file or directory"
# outputs written through a temporary name keep the permissions of the file
# they replace (synth's zoo, run's CSV and HDF5)
for f in pm.h5 pm.csv pmr.h5; do : > $f; chmod 640 $f; done
expect 0 "synth over a 0640 file" $B synth -o pm.h5 --checkpoints 2 --tasks 1
expect 0 "run over 0640 outputs" $B run pm.h5 --methods leep --csv pm.csv -o pmr.h5 -q --no-progress
for f in pm.h5 pm.csv pmr.h5; do
  [ "$(stat -c %a $f)" = 640 ] || fail "$f: mode $(stat -c %a $f) after replacing a 0640 file"
done

step "item 16: exact numbers in validate's messages (uint64, labels)"
$PY "$HERE/make_hostile_zoos.py" hz || fail "make_hostile_zoos.py"
expect 1 "validate odd_values.h5" $B validate hz/odd_values.h5
has "/tasks/big: num_classes is 18446744073709551615, more than the limit"
has "/tasks/lab/train_labels: has 1 invalid label, expected integers in [0, 3) (first: 2147483647 at row 5)"

step "item 10: a tiny file declaring 10^12 values is refused in seconds"
expect 1 "validate huge_labels.h5" timeout 60 $B validate hz/huge_labels.h5
has "/tasks/t/train_labels: declares 1000000000000 values"
has "/checkpoints/c/t/train_features: declares 8000000000000 values"
has "stores only 0 bytes"
timeout 60 $B run hz/huge_labels.h5 --methods leep,linear --csv huge.csv -q --no-progress > /dev/null 2>&1
rc=$?
[ $rc -eq 124 ] && fail "run on huge_labels.h5 did not finish in 60 s"
[ $rc -ge 128 ] && fail "run on huge_labels.h5 crashed ($rc)"
if [ -s huge.csv ]; then
  grep -q ",ok," huge.csv && fail "an item on huge_labels.h5 was ok"
fi

step "item 11: num_classes = 1000000 with 40 samples: the scores of the 4 classes present"
M='linear,linear:epochs=2,finetune:steps=40,mi:alpha=0.5,mi:pca=0.8'
for z in many few; do
  expect 0 "run ${z}_classes.h5" timeout 120 $B run hz/${z}_classes.h5 --methods "$M" --csv $z.csv -q --no-progress
  cut -d, -f1-5 $z.csv > $z.cut
done
[ "$(grep -c ',ok$' many.cut)" -eq 5 ] || { cat many.csv; fail "expected 5 ok items"; }
cmp many.cut few.cut || { paste -d'\n' many.cut few.cut; fail "scores differ from the 4-class twin"; }

step "item 9: an interrupted groundtruth exits 75 and --resume completes it identically"
$B synth -o g.h5 --checkpoints 3 --tasks 2 --n 300 --val 60 --test 60 --seed 9 > /dev/null
$PY - g.h5 <<'PYEOF' || fail "strip ground truth"
import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    for c in f["checkpoints"].values():
        for p in c.values():
            del p.attrs["finetune_accuracy"]
PYEOF
cp g.h5 g_full.h5; cp g.h5 g.orig
S='finetune:lr=0.01|0.1,steps=400|800'
expect 0 "uninterrupted groundtruth" $B groundtruth g_full.h5 --sweep "$S" --no-progress
J=g.h5.groundtruth.h5.journal
$B groundtruth g.h5 --sweep "$S" --no-progress > /dev/null 2> gt_int.err &
pid=$!
# signal once the journal holds a finished item
j0=""
for i in $(seq 1 600); do
  if [ -f "$J" ]; then
    sz=$(stat -c %s "$J")
    [ -z "$j0" ] && j0=$sz
    [ "$sz" -gt "$j0" ] && break
  fi
  sleep 0.05
done
kill -USR1 $pid
wait $pid
rc=$?
cp gt_int.err "$T/err"; : > "$T/out"
[ $rc -eq 75 ] || { cat gt_int.err; fail "interrupted groundtruth: exit $rc, expected 75"; }
has "--resume"
same_zoo g.h5 g.orig "interrupted groundtruth"
[ -f "$J" ] || fail "no journal $J after the interruption"
ls | grep -E 'groundtruth\.[0-9]+' && fail "a pid-named file was left"
expect 0 "groundtruth --resume" $B groundtruth g.h5 --sweep "$S" --no-progress --resume
$PY - g.h5 g_full.h5 <<'PYEOF' || fail "resumed and uninterrupted ground truth differ"
import sys, h5py
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
n = 0
for c in a["checkpoints"]:
    for t in a["checkpoints"][c]:
        x, y = a["checkpoints"][c][t].attrs, b["checkpoints"][c][t].attrs
        for k in ("finetune_accuracy", "finetune_selected", "finetune_source"):
            assert x[k] == y[k], (c, t, k, x[k], y[k])
        n += 1
assert n == 6, n
PYEOF
no_files . "$J" "g.h5.groundtruth.h5" "*.tmp.*"

step "item 1: full disk (small tmpfs)"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP full-disk cases: not root (a tmpfs mount needs root)"
  exit 0
fi
mkdir -p small
if ! mount -t tmpfs -o size=400k tmpfs small 2>/dev/null; then
  echo "SKIP full-disk cases: cannot mount a tmpfs here"
  exit 0
fi
MNT="$T/small"
avail() { df -B1 --output=avail small | tail -1; }
head -c $(( $(avail) - 8192 )) /dev/zero > small/fill
expect 1 "synth on a full disk" $B synth -o small/z.h5
has "No space left on device"
no_files small "z.h5" "z.h5.tmp.*"
rm -f small/fill

# groundtruth: a zoo on the tmpfs, free space from too little for the copy to
# enough for the copy but not the reserve to plenty: never a crash, and the
# zoo changes only on success
$B synth -o gs.h5 --checkpoints 2 --tasks 1 --n 40 --val 10 --dim 4 --no-logits > /dev/null
$PY - gs.h5 <<'PYEOF' || fail "strip ground truth"
import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    for c in f["checkpoints"].values():
        for p in c.values():
            del p.attrs["finetune_accuracy"]
PYEOF
pages=$(( ($(stat -c %s gs.h5) + 4095) / 4096 ))
n_fail=0; n_ok=0
for slack in 0 4096 16384 32768 61440 65536 69632 73728 77824 98304 131072; do
  rm -f small/*
  cp gs.h5 small/z.h5
  fill=$(( $(avail) - pages * 4096 - slack ))
  [ $fill -gt 0 ] && head -c $fill /dev/zero > small/fill
  $B groundtruth small/z.h5 --sweep linear:epochs=1 -o gt_res.h5 --no-progress > /dev/null 2> "$T/err"
  rc=$?
  case $rc in
    0) n_ok=$((n_ok + 1))
       cmp -s gs.h5 small/z.h5 && fail "groundtruth exit 0 but the zoo is unchanged" ;;
    1) n_fail=$((n_fail + 1))
       has "the zoo is unchanged"
       has "No space left on device"
       same_zoo gs.h5 small/z.h5 "groundtruth on a full disk (slack $slack)" ;;
    *) cat "$T/err" >&2; fail "groundtruth on a full disk (slack $slack): exit $rc" ;;
  esac
  no_files small "z.h5.tmp.*"
done
[ $n_fail -gt 0 ] && [ $n_ok -gt 0 ] || fail "full-disk sweep: $n_fail failures, $n_ok successes"
echo "full disk: $n_fail refused cleanly, $n_ok written"
echo "all hostile command-line cases passed"
