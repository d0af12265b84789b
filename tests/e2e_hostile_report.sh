#!/bin/bash
# End-to-end, issue 14 (report layer): hostile inputs and a full disk.
#  - full disk (a 200 KB tmpfs; root only, else "skipped"): run, merge and
#    report exit 1 with the reason, leave nothing under the final names and no
#    temporary files, keep the journal, and do not crash (was SIGSEGV in
#    H5F__close_cb during MPI_Finalize);
#  - results.h5 with /scores/score of shape (R, 2), one row short, or of
#    strings: report and merge refuse it naming the object (was a heap
#    overflow / an uninitialised read);
#  - evaluate: conflicting duplicate score rows refused naming both lines;
#    identical ones accepted;
#  - a failure message under a long UTF-8 path keeps its problem text and
#    stays valid UTF-8 (was cut at 255 bytes, mid-character);
#  - evaluate CSVs: BOM + CRLF, CR only, quoted commas / quotes / line breaks
#    (written by Python's csv module) give the same metrics as a plain file;
#    an unterminated quote, a 200 KB line and too few fields are refused
#    with the line and the cause;
#  - the task name "mean" is refused (it names the mean-over-tasks rows).
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
T=$(mktemp -d /tmp/ckr-hostile-report.XXXXXX)
SMALL=""
cleanup() { [ -n "$SMALL" ] && umount "$SMALL" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
# expect STATUS CMD...: run CMD (60 s at most), its stderr in $T/err
expect() {
  want=$1; shift
  timeout 60 "$@" >"$T/out" 2>"$T/err"; got=$?
  [ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "exit $got (expected $want): $*"; }
}
has() { grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "message lacks '$1'"; }; }

"$B" synth -o "$T/zoo.h5" >/dev/null || fail "synth"
"$B" run "$T/zoo.h5" --methods leep,nce -o "$T/r.h5" -q >/dev/null 2>&1 || fail "run"

step "full disk"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: the full-disk case mounts a tmpfs and needs root"
else
  SMALL="$T/small"; mkdir -p "$SMALL"
  mount -t tmpfs -o size=200k tmpfs "$SMALL" || fail "cannot mount a tmpfs"
  head -c 180000 /dev/zero > "$SMALL/fill"
  expect 1 "$B" run "$T/zoo.h5" --methods nleep,leep,logme,hscore,nce -o "$SMALL/o.h5" \
    --json "$SMALL/o.json" -q
  has "No space left on device"
  [ ! -e "$SMALL/o.h5" ] && [ ! -e "$SMALL/o.json" ] || fail "run left an output on a full disk"
  [ -s "$SMALL/o.h5.journal" ] || fail "the journal was not kept"
  ls "$SMALL" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$SMALL")"
  cat /dev/zero > "$SMALL/fill2" 2>/dev/null   # now nothing is free
  expect 1 "$B" merge "$T/r.h5" -o "$SMALL/m.h5"
  has "No space left on device"
  for o in "--json $SMALL/x.json" "--html $SMALL/x.html" "--csv $SMALL/x.csv"; do
    expect 1 "$B" report "$T/r.h5" $o
    has "No space left on device"
  done
  expect 1 "$B" run "$T/zoo.h5" --methods leep -o "$SMALL/p.h5" -q
  left=$(ls "$SMALL" | grep -v '^fill' | grep -v '\.journal$' || true)
  [ -z "$left" ] || fail "outputs left on a full disk: $left"
  umount "$SMALL" && SMALL=""
fi

step "results.h5 columns of the wrong shape or type"
$PY - "$T" <<'PYEOF' || fail "crafting results files"
import h5py, numpy as np, shutil, sys
T = sys.argv[1]
def mk(name, fn):
    shutil.copy(T + '/r.h5', T + '/' + name + '.h5')
    with h5py.File(T + '/' + name + '.h5', 'r+') as f:
        fn(f)
def replace(f, path, v):
    del f[path]
    f[path] = v
mk('wide', lambda f: replace(f, 'scores/score', np.stack([f['scores/score'][()]] * 2, 1)))
mk('short', lambda f: replace(f, 'scores/score', f['scores/score'][:-1]))
mk('strs', lambda f: replace(f, 'scores/score', np.array([b'x'] * len(f['scores/score']))))
mk('gtlong', lambda f: replace(f, 'ground_truth/accuracy',
                                np.append(f['ground_truth/accuracy'][()], 0.5)))
mk('meantask', lambda f: replace(f, 'scores/task', np.array([b'mean'] * len(f['scores/task']))))
PYEOF
for c in "wide /scores/score: is not a 1-D column" "short /scores/score: has a different number of rows" \
         "strs /scores/score: is not a numeric column" \
         "gtlong /ground_truth/accuracy: has a different number of rows"; do
  f=${c%% *}; msg=${c#* }
  expect 1 "$B" report "$T/$f.h5"; has "$msg"; has "$f.h5"
  expect 1 "$B" merge "$T/$f.h5" -o "$T/m-$f.h5"; has "$msg"
  [ ! -e "$T/m-$f.h5" ] || fail "merge wrote an output from a bad input"
done
expect 1 "$B" report "$T/meantask.h5"; has "task name 'mean'"

step "evaluate: duplicate score rows"
printf 'checkpoint,task,accuracy\na,t,0.9\nb,t,0.5\nc,t,0.7\n' > "$T/gt.csv"
printf 'checkpoint,task,method,score\na,t,m,3\nb,t,m,1\na,t,m,2\nc,t,m,2\n' > "$T/dup.csv"
expect 1 "$B" evaluate --scores "$T/dup.csv" --ground-truth "$T/gt.csv"
has "lines 2 and 4"; has "a / t / m"
printf 'checkpoint,task,method,score\na,t,m,3\nb,t,m,1\na,t,m,3\nc,t,m,2\n' > "$T/dupsame.csv"
expect 0 "$B" evaluate --scores "$T/dupsame.csv" --ground-truth "$T/gt.csv" --csv "$T/m-same.csv"
printf 'checkpoint,task,method,score\na,t,m,3\nb,t,m,1\nc,t,m,2\n' > "$T/plain.csv"
expect 0 "$B" evaluate --scores "$T/plain.csv" --ground-truth "$T/gt.csv" --csv "$T/m-plain.csv"
cmp -s "$T/m-same.csv" "$T/m-plain.csv" || fail "an identical duplicate changed the metrics"
printf 'checkpoint,task,accuracy\na,t,0.9\na,t,0.8\n' > "$T/gtdup.csv"
expect 1 "$B" evaluate --scores "$T/plain.csv" --ground-truth "$T/gtdup.csv"
has "lines 2 and 3"

step "a failure message under a long UTF-8 path"
L="$T/$($PY -c "print('é' * 50 + '/' + 'ü' * 30)")"   # long, but below Open MPI's path limit
mkdir -p "$L"; cp "$T/zoo.h5" "$L/zoo.h5"
$PY - "$L/zoo.h5" <<'PYEOF' || fail "crafting the NaN pair"
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'r+') as f:
    d = f['checkpoints/ckpt00/task0/train_features']; a = d[()]; a[2, 3] = np.nan; d[...] = a
PYEOF
expect 0 "$B" run "$L/zoo.h5" --methods leep,logme -o "$T/long.h5" --json "$T/long.json" -q
$PY - "$T/long.h5" "$T/long.json" <<'PYEOF' || fail "the stored message lost its problem or its UTF-8"
import h5py, json, sys
with h5py.File(sys.argv[1], 'r') as f:
    st = [s.decode() for s in f['scores/status'][()]]
    msgs = [m for m, s in zip(f['scores/message'][()], st) if s != 'ok']
assert msgs, 'no failed item'
for m in msgs:
    assert len(m) <= 255, len(m)
    t = m.decode('utf-8')          # raises on a cut character
    assert 'non-finite' in t and t.startswith('/'), t
for s in json.load(open(sys.argv[2]))['scores']:
    if s['status'] != 'ok':
        assert '\ufffd' not in s['message'] and 'non-finite' in s['message'], s['message']
PYEOF

step "evaluate: RFC 4180 CSVs"
"$B" run "$T/zoo.h5" --methods leep -o "$T/e.h5" --csv "$T/e.csv" -q >/dev/null 2>&1 || fail "run"
$PY - "$T" <<'PYEOF' || fail "writing the CSV variants"
import csv, h5py, sys
T = sys.argv[1]
rows = list(csv.reader(open(T + '/e.csv', newline='')))
with h5py.File(T + '/zoo.h5', 'r') as f:
    gt = [(c, t, f['checkpoints'][c][t].attrs['finetune_accuracy'])
          for c in f['checkpoints'] for t in f['checkpoints'][c]]
def write(name, rows, **kw):
    with open(T + '/' + name, 'w', newline='', encoding='utf-8-sig' if kw.pop('bom', 0) else 'utf-8') as f:
        csv.writer(f, **kw).writerows(rows)
write('gt.csv', [['checkpoint', 'task', 'accuracy']] + [[c, t, repr(float(a))] for c, t, a in gt])
write('lf.csv', rows, lineterminator='\n')
write('crlf.csv', rows, lineterminator='\r\n', bom=1)
write('cr.csv', rows, lineterminator='\r')
# odd names: a comma, quotes and a line break, the same in the scores and the ground truth
odd = lambda c: c.replace('ckpt0', 'ck,"pt"\n0')
write('odd.csv', [rows[0]] + [[odd(r[0])] + r[1:] for r in rows[1:]], lineterminator='\n',
      quoting=csv.QUOTE_MINIMAL)
write('gtodd.csv', [['checkpoint', 'task', 'accuracy']] + [[odd(c), t, repr(float(a))] for c, t, a in gt],
      lineterminator='\r\n')
PYEOF
expect 0 "$B" evaluate --scores "$T/lf.csv" --ground-truth "$T/gt.csv" --csv "$T/m-lf.csv"
[ "$(wc -l < "$T/m-lf.csv")" -eq 5 ] || fail "expected 3 task rows and a mean row"
for v in crlf cr; do
  expect 0 "$B" evaluate --scores "$T/$v.csv" --ground-truth "$T/gt.csv" --csv "$T/m-$v.csv"
  cmp -s "$T/m-lf.csv" "$T/m-$v.csv" || fail "$v.csv gives other metrics than lf.csv"
done
expect 0 "$B" evaluate --scores "$T/odd.csv" --ground-truth "$T/gtodd.csv" --csv "$T/m-odd.csv"
cmp -s "$T/m-lf.csv" "$T/m-odd.csv" || fail "quoted names give other metrics"
{ head -n 3 "$T/lf.csv"; printf '"unclosed,task0,leep,1\n'; tail -n +4 "$T/lf.csv"; } > "$T/unterm.csv"
expect 1 "$B" evaluate --scores "$T/unterm.csv" --ground-truth "$T/gt.csv"
has "unterminated quoted field"; has "opened on line 4"
{ head -n 1 "$T/lf.csv"; $PY -c "print('x' * 200000 + ',task0,leep,1')"; } > "$T/long.csv"
expect 1 "$B" evaluate --scores "$T/long.csv" --ground-truth "$T/gt.csv"
has "line 2: checkpoint is 200000 bytes long"
printf 'checkpoint,task,method,score\r\na,t,m,1\r\nb,t\r\n' > "$T/few.csv"
expect 1 "$B" evaluate --scores "$T/few.csv" --ground-truth "$T/gt.csv"
has "line 3: 2 fields, expected at least 3"

step "the task name 'mean'"
printf 'checkpoint,task,method,score\na,t,m,1\nb,mean,m,2\n' > "$T/mean.csv"
expect 1 "$B" evaluate --scores "$T/mean.csv" --ground-truth "$T/gt.csv"
has "line 3: task name 'mean' is reserved"
# a zoo with a task called `mean` is refused before any work, not at the end
cp "$T/zoo.h5" "$T/meanzoo.h5"
"$PY" - "$T/meanzoo.h5" <<'EOF2' || fail "renaming a task with h5py"
import sys, h5py
with h5py.File(sys.argv[1], 'r+') as f:
    f.move('tasks/task0', 'tasks/mean')
    for c in f['checkpoints']:
        if 'task0' in f['checkpoints'][c]:
            f['checkpoints'][c].move('task0', 'mean')
EOF2
expect 1 "$B" run "$T/meanzoo.h5" --methods leep -o "$T/mz.h5" --csv "$T/mz.csv" -q
has "/tasks/mean: the task name 'mean' is reserved"
[ -e "$T/mz.h5" ] || [ -e "$T/mz.csv" ] || [ -e "$T/mz.h5.journal" ] && fail "a refused zoo left outputs"
echo "all hostile report cases passed"
