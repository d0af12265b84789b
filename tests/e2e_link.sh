#!/bin/sh
# End-to-end: `ckptrank link`. A synthetic zoo is split with h5py into three part
# zoos (a checkpoint spread over two parts, every task in every part), linked,
# and the linked zoo validates, has the same `info` and gives byte-identical
# scores to the whole zoo (one process, mpirun -n 2, teams of 2), also after
# its directory is moved; groundtruth writes the same values as on the copied
# zoo, into the parts, through copies; refusals leave nothing behind.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
J=$(cd "$(dirname "$0")/../jobs" && pwd)
T=$(mktemp -d /tmp/ckr-e2e-link.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
cd "$T"

step "a synthetic zoo (multiclass + multilabel, val, test, logits) split into three parts"
"$B" synth -o s.h5 --checkpoints 4 --tasks 2 --n 150 --val 40 --test 30 --dim 16 \
  --multilabel --seed 11 >/dev/null
mkdir -p d/parts
$PY - <<'PY'
import h5py
f = h5py.File("s.h5", "r")
def part(name, pairs, gt=True):
    g = h5py.File(name, "w")
    for k, v in f.attrs.items():
        g.attrs[k] = v
    f.copy("tasks", g)
    g.create_group("checkpoints")
    for c, t in pairs:
        if c not in g["checkpoints"]:
            cg = g["checkpoints"].create_group(c)
            for k, v in f["checkpoints"][c].attrs.items():
                cg.attrs[k] = v
        f.copy("checkpoints/%s/%s" % (c, t), g["checkpoints"][c])
        if not gt:
            del g["checkpoints"][c][t].attrs["finetune_accuracy"]
    g.close()
P = [[("ckpt00", "task0"), ("ckpt00", "task1")],
     [("ckpt01", "task0"), ("ckpt01", "task1"), ("ckpt02", "task0")],
     [("ckpt02", "task1"), ("ckpt03", "task0"), ("ckpt03", "task1")]]
for i, p in enumerate(P):
    part("d/parts/p%d.h5" % i, p)
    part("p%d_nogt.h5" % i, p, gt=False)
# refusals: p1 with other labels for task1 (one row), p1 again under another name
g = h5py.File("bad_labels.h5", "w")
for k, v in f.attrs.items():
    g.attrs[k] = v
f.copy("tasks", g)
y = g["tasks/task1/train_labels"]
y[5, 0] = 1 - y[5, 0]
g.create_group("checkpoints")
PY
cp d/parts/p1.h5 dup.h5

step "link: three parts, 8 pairs, nothing copied"
"$B" link d/l.h5 d/parts/p0.h5 d/parts/p1.h5 d/parts/p2.h5 > out.txt || fail "link"
grep -q "d/l.h5: linked 8 pairs (4 checkpoints, 2 tasks) from 3 part files" out.txt \
  || fail "link line: $(cat out.txt)"
[ "$(stat -c %s d/l.h5)" -lt 40000 ] || fail "the linked zoo is $(stat -c %s d/l.h5) bytes: data copied?"
h5dump -H d/l.h5 | grep -q 'TARGETFILE "parts/p1.h5"' || fail "link targets are not relative to d/"
"$B" validate d/l.h5 > v.txt || fail "validate: $(cat v.txt)"
mkdir -p up/sub
"$B" link up/sub/u.h5 d/parts/p0.h5 >/dev/null || fail "link into another directory"
h5dump -H up/sub/u.h5 | grep -q 'TARGETFILE "../../d/parts/p0.h5"' || fail "link target not ../../d/parts/p0.h5"
(cd up && "$B" validate sub/u.h5 >/dev/null) || fail "a ../ target does not resolve from its zoo's directory"

step "info equals the copied zoo's (apart from the name)"
"$B" info s.h5 | sed 1s/^s.h5// > si.txt
"$B" info d/l.h5 | sed 1s/^d.l.h5// > li.txt
cmp si.txt li.txt || { diff si.txt li.txt | head; fail "info differs"; }

step "run: the same scores, one process, mpirun -n 2, teams of 2"
M=nleep,leep,logme,hscore,linear,finetune:steps=30
"$B" run s.h5 --methods $M --csv s.csv -q --no-progress 2>/dev/null
"$B" run d/l.h5 --methods $M --csv l1.csv -q --no-progress 2>/dev/null || fail "run on the linked zoo"
mpirun -n 2 "$B" run d/l.h5 --methods $M --csv l2.csv -q 2>/dev/null || fail "mpirun -n 2 on the linked zoo"
cut -d, -f1-5 s.csv > s.cut
[ "$(grep -c ",ok$" s.cut)" -eq 48 ] || fail "expected 48 ok items"
for f in l1 l2; do
  cut -d, -f1-5 $f.csv | cmp - s.cut || fail "$f: scores differ from the copied zoo's"
done
mpirun -n 3 "$B" run s.h5 --methods $M --csv ts.csv --team-size 2 --team-above 0 -q 2>/dev/null
mpirun -n 3 "$B" run d/l.h5 --methods $M --csv tl.csv -o tl.h5 --team-size 2 --team-above 0 -q \
  2>/dev/null || fail "teams on the linked zoo"
$PY -c 'import h5py, sys; s = h5py.File("tl.h5", "r")["scores"]
sys.exit(0 if sum(i.decode().endswith(" team=2") for i in s["info"]) >= 8 else 1)' \
  || fail "the pairs were not scored by teams"
cut -d, -f1-5 ts.csv > ts.cut
cut -d, -f1-5 tl.csv | cmp - ts.cut || fail "team scores differ between the linked and the copied zoo"

step "the directory moved as a whole, read from elsewhere (and a decoy parts/ in the cwd)"
mv d moved
mkdir -p decoy/parts && cp p0_nogt.h5 decoy/parts/p0.h5
(cd decoy && "$B" validate ../moved/l.h5 >/dev/null && "$B" run ../moved/l.h5 --methods $M --csv ../m.csv -q --no-progress 2>/dev/null) \
  || fail "the moved linked zoo does not read"
cut -d, -f1-5 m.csv | cmp - s.cut || fail "the moved linked zoo scores differently"
mv moved d

step "groundtruth: the same values as on a copied zoo, written into the parts through copies"
mkdir -p g/parts && cp p0_nogt.h5 g/parts/p0.h5 && cp p1_nogt.h5 g/parts/p1.h5 && cp p2_nogt.h5 g/parts/p2.h5
"$B" link g/l.h5 g/parts/p0.h5 g/parts/p1.h5 g/parts/p2.h5 >/dev/null
$PY - <<'PY'
import h5py
f = h5py.File("s.h5", "r")
g = h5py.File("c.h5", "w")
for k, v in f.attrs.items():
    g.attrs[k] = v
f.copy("tasks", g); f.copy("checkpoints", g)
for c in g["checkpoints"]:
    for t in g["checkpoints"][c]:
        del g["checkpoints"][c][t].attrs["finetune_accuracy"]
PY
i0=$(stat -c %i g/parts/p0.h5)
SW='linear:epochs=2|4'
"$B" groundtruth c.h5 --sweep "$SW" --no-progress >/dev/null 2>&1 || fail "groundtruth on the copied zoo"
mpirun -n 2 "$B" groundtruth g/l.h5 --sweep "$SW" --no-progress > gt.txt 2>&1 || fail "groundtruth on the linked zoo: $(cat gt.txt)"
[ "$(stat -c %i g/parts/p0.h5)" != "$i0" ] || fail "the part was written in place, not through a copy"
ls g g/parts | grep -q tmp && fail "temporary files left behind"
$PY - <<'PY' || fail "ground truth differs"
import h5py
a = h5py.File("c.h5", "r"); b = h5py.File("g/l.h5", "r")
n = 0
for c in a["checkpoints"]:
    for t in a["checkpoints"][c]:
        for k in ("finetune_accuracy", "finetune_selected", "finetune_source"):
            assert a["checkpoints"][c][t].attrs[k] == b["checkpoints"][c][t].attrs[k], (c, t, k)
        n += 1
assert n == 8
assert b.attrs["groundtruth_sweep"] == a.attrs["groundtruth_sweep"]
p = h5py.File("g/parts/p2.h5", "r")
assert p["checkpoints/ckpt03/task1"].attrs["finetune_accuracy"] == a["checkpoints/ckpt03/task1"].attrs["finetune_accuracy"]
PY
"$B" groundtruth g/l.h5 --sweep "$SW" --no-progress > gt2.txt 2>&1 && fail "groundtruth overwrote without --force"
grep -q "already has finetune_accuracy" gt2.txt || fail "no refusal message: $(cat gt2.txt)"
"$B" validate g/l.h5 >/dev/null || fail "the linked zoo after groundtruth does not validate"

step "the jobs/ recipe: import_array.sbatch per checkpoint, link.sbatch, the same scores"
cat > extract.sh <<'SH'
#!/bin/sh
# stands in for a feature extractor: the checkpoint's arrays of s.h5 as .npz
exec /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
c, out = sys.argv[1], sys.argv[2]
f = h5py.File("s.h5", "r")
for t, g in f["checkpoints"][c].items():
    np.savez("%s/%s.npz" % (out, t), train=g["train_features"][()], val=g["val_features"][()],
             test=g["test_features"][()], train_logits=g["train_logits"][()],
             val_logits=g["val_logits"][()])
PY
SH
chmod +x extract.sh
$PY - <<'PY'
import os, h5py, numpy as np
f = h5py.File("s.h5", "r")
for t, g in f["tasks"].items():
    os.makedirs("labels/%s" % t, exist_ok=True)
    for k in ("train", "val", "test"):
        np.save("labels/%s/%s.npy" % (t, k), g["%s_labels" % k][()])
    open("labels/%s/num_classes" % t, "w").write(str(int(g.attrs["num_classes"])))
    k = g.attrs["kind"]
    if (k.decode() if isinstance(k, bytes) else k) == "multilabel":
        open("labels/%s/multilabel" % t, "w").close()
open("ckpts.txt", "w").write("".join("%s\n" % c for c in f["checkpoints"]))
PY
for i in 0 1 2 3; do
  EXTRACT="$T/extract.sh" LABELS=labels CKPTRANK="$B" PYTHON=$PY SLURM_ARRAY_TASK_ID=$i \
    bash "$J/import_array.sbatch" ckpts.txt jp > ja$i.txt 2>&1 || fail "import_array task $i: $(cat ja$i.txt)"
done
[ "$(ls jp)" = "$(printf 'ckpt00.h5\nckpt01.h5\nckpt02.h5\nckpt03.h5')" ] || fail "parts: $(ls -a jp)"
CKPTRANK="$B" bash "$J/link.sbatch" jp jz.h5 > jl.txt 2>&1 || fail "link.sbatch: $(cat jl.txt)"
"$B" validate jz.h5 >/dev/null || fail "the recipe's zoo does not validate"
"$B" run jz.h5 --methods $M --csv j.csv -q --no-progress 2>/dev/null || fail "run on the recipe's zoo"
# finetune starts from the pair's top_weights, which synth writes and import does not
cut -d, -f1-5 j.csv | grep -v finetune > j.cut; grep -v finetune s.cut > s2.cut
cmp j.cut s2.cut || fail "the recipe's zoo scores differently"

step "refusals: nothing written"
refuse() { # expected-text args...
  want=$1; shift
  rm -f r.h5
  "$B" link r.h5 "$@" > r.txt 2>&1 && fail "link $* was not refused"
  grep -q -- "$want" r.txt || fail "link $*: expected '$want', got: $(cat r.txt)"
  [ ! -e r.h5 ] || fail "link $* left r.h5"
  ls -a | grep -q "r.h5.tmp" && fail "link $* left a temporary file"
  return 0
}
refuse "task1/train_labels: differs between d/parts/p0.h5 and bad_labels.h5 (first at row 5)" \
  d/parts/p0.h5 bad_labels.h5
refuse "ckpt01/task0: pair defined twice, in d/parts/p1.h5 and in dup.h5" d/parts/p1.h5 dup.h5
refuse "missing.h5: cannot open" d/parts/p0.h5 missing.h5
refuse "not an HDF5 file" d/parts/p0.h5 out.txt
cp d/l.h5 before.h5
"$B" link d/l.h5 d/parts/p0.h5 > r.txt 2>&1 && fail "an existing OUT was replaced without --force"
grep -q "exists; refusing to replace it (use --force)" r.txt || fail "no --force message: $(cat r.txt)"
cmp before.h5 d/l.h5 || fail "the refused link changed the existing zoo"
"$B" link --force d/l.h5 d/parts/p0.h5 >/dev/null || fail "--force"
"$B" info d/l.h5 | head -1 | grep -q "2 tasks, 1 checkpoints, 2 pairs" || fail "--force did not replace: $("$B" info d/l.h5 | head -1)"
echo "e2e_link: ok"
