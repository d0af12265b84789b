#!/bin/sh
# End-to-end: `ckptrank import`. A synthetic zoo's arrays are exported with h5py
# to .npy/.npz, imported pair by pair into a new zoo, which validates and gives the
# same scores as the original; then the refusals (labels that differ, an existing
# pair, NaN, shapes), each leaving the zoo byte for byte unchanged, and --force.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-e2e-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
cd "$T"

step "export a synthetic zoo (multiclass + multilabel, val, test, logits) to numpy files"
"$B" synth -o s.h5 --checkpoints 4 --tasks 2 --n 150 --val 40 --test 30 --dim 16 \
  --multilabel --seed 11 >/dev/null
$PY - <<'PY'
import h5py, numpy as np
f = h5py.File("s.h5", "r")
for t in f["tasks"]:
    for k in f["tasks"][t]:
        np.save("%s_%s.npy" % (t, k), f["tasks"][t][k][()])
    open("%s_C" % t, "w").write(str(int(f["tasks"][t].attrs["num_classes"])))
for c in f["checkpoints"]:
    for t in f["checkpoints"][c]:
        g = f["checkpoints"][c][t]
        for k in g:
            np.save("%s_%s_%s.npy" % (c, t, k), g[k][()])
        open("%s_%s_acc" % (c, t), "w").write(repr(float(g.attrs["finetune_accuracy"])))
# ckpt01 task0 through other readers' paths: an .npz (deflated) with the features
# as big-endian float64 in Fortran order, the logits as float32 (stored .npz)
g = f["checkpoints/ckpt01/task0"]
np.savez_compressed("c1.npz", x=np.asfortranarray(g["train_features"][()].astype(">f8")),
                    v=g["val_features"][()])
np.savez("c1_logits.npz", z=g["train_logits"][()], vz=g["val_logits"][()])
PY

imp() { # ckpt task [extra options]
  c=$1; t=$2; shift 2
  ml=""; [ "$t" = task1 ] && ml=--multilabel
  "$B" import i.h5 --checkpoint $c --task $t $ml --num-classes "$(cat ${t}_C)" \
    --train-labels ${t}_train_labels.npy --val-labels ${t}_val_labels.npy \
    --test-labels ${t}_test_labels.npy --test-features ${c}_${t}_test_features.npy \
    --finetune-accuracy "$(cat ${c}_${t}_acc)" "$@"
}

step "import every pair; the first pair of a task writes its labels"
for c in ckpt00 ckpt02 ckpt03; do
  for t in task0 task1; do
    imp $c $t --train-features ${c}_${t}_train_features.npy --val-features ${c}_${t}_val_features.npy \
      --train-logits ${c}_${t}_train_logits.npy --val-logits ${c}_${t}_val_logits.npy > out.txt \
      || fail "import $c $t"
    grep -q "imported /checkpoints/$c/$t: 150 x" out.txt || fail "no import line: $(cat out.txt)"
  done
done
imp ckpt01 task0 --train-features c1.npz:x --key v --val-features c1.npz \
  --train-logits c1_logits.npz:z --val-logits c1_logits.npz:vz >/dev/null || fail "import from .npz"
imp ckpt01 task1 --train-features ckpt01_task1_train_features.npy --val-features ckpt01_task1_val_features.npy \
  --train-logits ckpt01_task1_train_logits.npy --val-logits ckpt01_task1_val_logits.npy >/dev/null \
  || fail "import ckpt01 task1"
ls | grep -q '\.tmp\.' && fail "a temporary file was left behind"
"$B" validate i.h5 > val.txt || { cat val.txt; fail "the imported zoo does not validate"; }
"$B" info i.h5 | grep -q "2 tasks, 4 checkpoints, 8 pairs" || fail "info counts"

step "the imported zoo holds the same values as the original (read back by h5py)"
$PY - <<'PY' || fail "values differ"
import h5py, numpy as np
a, b = h5py.File("s.h5", "r"), h5py.File("i.h5", "r")
assert b.attrs["format"] == b"ckptrank-zoo" or b.attrs["format"] == "ckptrank-zoo"
assert b.attrs["format_version"] == 1 and b.attrs["format_minor"] == 1
for t in a["tasks"]:
    for k in a["tasks"][t]:
        assert np.array_equal(a["tasks"][t][k][()], b["tasks"][t][k][()]), (t, k)
    assert a["tasks"][t].attrs["num_classes"] == b["tasks"][t].attrs["num_classes"]
    assert a["tasks"][t].attrs["kind"] == b["tasks"][t].attrs["kind"]
for c in a["checkpoints"]:
    for t in a["checkpoints"][c]:
        ga, gb = a["checkpoints"][c][t], b["checkpoints"][c][t]
        for k in ["train_features", "val_features", "test_features", "train_logits", "val_logits"]:
            assert np.array_equal(ga[k][()], gb[k][()]), (c, t, k)
            assert gb[k].compression == "gzip" and gb[k].shuffle, (c, t, k)
        assert ga.attrs["finetune_accuracy"] == gb.attrs["finetune_accuracy"]
assert b["checkpoints/ckpt01/task0/train_features"].dtype == np.float64   # float64 input stays
assert b["checkpoints/ckpt00/task0/train_features"].dtype == np.float32
PY

step "run on both zoos: identical scores"
M=nleep,leep,logme,hscore,hscore_shrink,nce,transrate,gbc,linear
"$B" run s.h5 --methods $M --csv s.csv -q --no-progress 2>/dev/null
mpirun -n 2 "$B" run i.h5 --methods $M --csv i.csv -q 2>/dev/null
cut -d, -f1-5 s.csv > s.cut; cut -d, -f1-5 i.csv > i.cut
[ "$(grep -c ",ok$" i.cut)" -eq 64 ] && [ "$(wc -l < i.cut)" -eq 73 ] || fail "expected 72 items, 64 ok (transrate, gbc: unsupported-multilabel)"
cmp s.cut i.cut || { diff s.cut i.cut | head; fail "scores differ between the original and the imported zoo"; }

refuse() { # expected-message-part, then the import command line
  want=$1; shift
  cp i.h5 before.h5
  if "$B" import i.h5 "$@" > out.txt 2> err.txt; then fail "accepted: $*"; fi
  grep -qF -- "$want" err.txt || fail "message lacks '$want': $(cat err.txt)"
  cmp -s i.h5 before.h5 || fail "refused import changed the zoo: $*"
  ls | grep -q '\.tmp\.' && fail "a temporary file was left behind: $*"
  return 0
}
X=ckpt00_task0_train_features.npy
Y=task0_train_labels.npy

step "refusals leave the zoo unchanged"
$PY -c "
import numpy as np
y = np.load('$Y'); y[3] = (y[3] + 1) % 5; np.save('y_other.npy', y)
x = np.load('$X'); x[7, 2] = np.nan; np.save('x_nan.npy', x)
x = np.load('$X'); x[1, 1] = np.inf; np.save('x_inf.npy', x.astype('>f2'))
np.save('x_short.npy', np.load('$X')[:-1])
np.save('x_1d.npy', np.load('$X')[:, 0])
np.save('x_twice.npy', 2 * np.load('$X'))
np.save('y_float.npy', np.load('$Y') + 0.5)
"
refuse "i.h5: /tasks/task0/train_labels: differs from --train-labels y_other.npy (first at row 3)" --checkpoint new --task task0 --train-features $X --train-labels y_other.npy
refuse "/checkpoints/ckpt00/task0: the pair exists already (--force replaces it)" --checkpoint ckpt00 --task task0 --train-features $X --train-labels $Y
refuse "--train-features x_nan.npy: has 1 non-finite value (first: nan at row 7, column 2)" --checkpoint new --task task0 --train-features x_nan.npy --train-labels $Y
refuse "--train-features x_inf.npy: has 1 non-finite value (first: inf at row 1, column 1)" --checkpoint new --task task0 --train-features x_inf.npy --train-labels $Y
refuse "--train-features x_short.npy: has 149 rows, --train-labels $Y has 150" --checkpoint new --task task0 --train-features x_short.npy --train-labels $Y
refuse "--train-features x_1d.npy: has 1 dimension, expected a 2-D array" --checkpoint new --task task0 --train-features x_1d.npy --train-labels $Y
refuse "value 0.5 at row 0 is not a class index" --checkpoint new --task task0 --train-features $X --train-labels y_float.npy
refuse "i.h5: /tasks/task1 is multilabel, the labels given are multiclass (add --multilabel)" --checkpoint new --task task1 --train-features $X --train-labels $Y
refuse "has 2 dimensions, expected a 1-D array of class indices (a 0/1 matrix needs --multilabel)" --checkpoint new --task task9 --train-features ckpt00_task1_train_features.npy --train-labels task1_train_labels.npy
refuse "--val-features ckpt00_task0_val_features.npy needs val_labels" --checkpoint new --task task0 --train-features $X --train-labels $Y --val-features ckpt00_task0_val_features.npy
refuse "not a .npy file" --checkpoint new --task task0 --train-features s.h5 --train-labels $Y
refuse "has num_classes 5, --num-classes is 6" --checkpoint new --task task0 --train-features $X --train-labels $Y --num-classes 6

step "nothing written for a new zoo that is refused"
"$B" import new.h5 --checkpoint a --task t --train-features x_nan.npy --train-labels $Y 2>/dev/null \
  && fail "NaN accepted"
[ ! -e new.h5 ] || fail "a refused import created the zoo"
ls | grep -q '\.tmp\.' && fail "a temporary file was left behind"

step "--force replaces a pair; --num-params; --no-compress"
"$B" import i.h5 --checkpoint ckpt00 --task task0 --train-features x_twice.npy --train-labels $Y \
  --force --num-params 23500000 --no-compress >/dev/null || fail "--force"
"$B" validate i.h5 >/dev/null || fail "validate after --force"
$PY - <<'PY' || fail "--force did not replace the pair"
import h5py, numpy as np
f = h5py.File("i.h5", "r")
g = f["checkpoints/ckpt00/task0"]
assert sorted(g.keys()) == ["train_features"], list(g.keys())       # the old pair is gone
assert "finetune_accuracy" not in g.attrs
assert np.array_equal(g["train_features"][()], 2 * np.load("ckpt00_task0_train_features.npy"))
assert g["train_features"].chunks is None and g["train_features"].compression is None
assert f["checkpoints/ckpt00"].attrs["num_params"] == 23500000
PY
refuse "/checkpoints/ckpt00: has another num_params than --num-params 7" --checkpoint ckpt00 --task task7 --train-features $X --train-labels $Y --num-params 7

step "imports running at once into one new zoo (a job array) all land"
for k in 0 1 2 3 4 5; do
  "$B" import par.h5 --checkpoint c$k --task task0 --train-features $X --train-labels $Y \
    > par$k.txt 2>&1 &
done
wait
"$B" info par.h5 | grep -q "1 tasks, 6 checkpoints, 6 pairs" || fail "concurrent imports lost pairs: $(cat par*.txt)"
"$B" validate par.h5 >/dev/null || fail "validate after concurrent imports"
ls | grep -q '\.tmp\.' && fail "a temporary file was left behind"
echo "all import checks passed"
