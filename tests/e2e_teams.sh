#!/bin/bash
# End-to-end teams (--team-size P, --team-above SIZE): `ckptrank run` on
# synthetic zoos under mpirun -n 4 and -n 5 at team sizes 1, 2 and 4, every
# pair sent to a team (--team-above 0), against a one-process run:
#   - items whose method has a team form say " team=P" in their info, and
#     their scores equal the one-process scores to 1e-10 relative (they are
#     computed by other reductions, so not bit for bit);
#   - every other item is bit-identical, with the same status and message;
#   - pairs of 203 rows (not divisible by 2 or 4; blocks of 64: 4 blocks) and
#     of 100 rows (2 blocks: some members of a team of 4 hold no row);
#   - each pair is read once per team plus once for its single-rank items;
#   - bad --team-size / --team-above values are refused before any work;
#   - a signal during a team run, then --resume, gives the same outputs.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/ckr-teams.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# LogME in its default (exact) form: logme:form=thuml counts rounding-level
# eigenvalues of rank-deficient features (synthetic features are)
M='logme,hscore,hscore_shrink,transrate,gbc,leep,nce,nleep:ratio=2,linear,sfda,parc,parc:max_n=60'
TEAMM='logme hscore hscore_shrink transrate gbc nleep:ratio=2 linear sfda parc parc:max_n=60'

"$B" synth -o "$T/a.h5" --checkpoints 3 --tasks 2 -n 203 --val 50 --test 20 --multilabel \
  --seed 4 >/dev/null || fail "synth a"
"$B" synth -o "$T/b.h5" --checkpoints 2 --tasks 1 -n 100 --val 30 --seed 5 >/dev/null \
  || fail "synth b"

# compare.py REF RUN P TEAMMETHODS...: team items (info ends in team=P) within
# 1e-10 relative, the others bit-identical; the named methods must be team
# items when P > 1 (unless not ok in the reference: then the same status)
cat > "$T/compare.py" <<'EOF'
import sys, h5py, math
ref, run, P, team = sys.argv[1], sys.argv[2], int(sys.argv[3]), set(sys.argv[4:])
def rows(path):
    s = h5py.File(path, "r")["scores"]
    out = {}
    for i in range(len(s["score"])):
        k = (s["checkpoint"][i], s["task"][i], s["method"][i])
        out[k] = (s["score"][i], s["status"][i], s["message"][i], s["info"][i].decode())
    return out
a, b = rows(ref), rows(run)
assert a.keys() == b.keys(), "different items"
bad, n_team, worst = 0, 0, 0.0
suffix = " team=%d" % P
for k in sorted(a):
    (sa, sta, ma, ia), (sb, stb, mb, ib) = a[k], b[k]
    method = k[2].decode()
    if sta != stb or ma != mb:
        print("status", k, sta, ma, stb, mb); bad += 1; continue
    is_team = ib.endswith(suffix) and P > 1
    if " team=" in ib and not is_team:
        print("wrong team suffix", k, ib); bad += 1
    if P > 1 and method in team and sta == b"ok" and not is_team:
        print("not a team item", k, ib); bad += 1
    if is_team:
        n_team += 1
        if ib[: -len(suffix)] .split(" ")[0] != ia.split(" ")[0]:
            print("info", k, ia, ib); bad += 1
        if sta == b"ok":
            rel = abs(sa - sb) / max(abs(sa), 1e-300)
            worst = max(worst, rel)
            if not rel <= 1e-10:
                print("team score", k, sa, sb, rel); bad += 1
    elif not (sa == sb or (math.isnan(sa) and math.isnan(sb))) or ia != ib:
        print("not bit-identical", k, repr(sa), repr(sb), ia, ib); bad += 1
print("%d items, %d team items, worst relative difference %.3g" % (len(a), n_team, worst))
if P > 1 and n_team == 0:
    print("no team item"); bad += 1
sys.exit(1 if bad else 0)
EOF

reads() { sed -nE 's/.* ([0-9]+) pair reads.*/\1/p' "$1"; }

for z in a b; do
  "$B" run "$T/$z.h5" -m "$M" -o "$T/$z-ref.h5" -q --no-progress 2>/dev/null || fail "$z: reference run"
  pairs=$([ $z = a ] && echo 6 || echo 2)
  for np in 4 5; do
    for P in 1 2 4; do
      step "$z: mpirun -n $np --team-size $P --team-above 0"
      out="$T/$z-n$np-p$P"
      mpirun -n $np "$B" run "$T/$z.h5" -m "$M" -o "$out.h5" -q --no-progress \
        --team-size $P --team-above 0 2> "$out.err" || fail "run: $(cat "$out.err")"
      $PY "$T/compare.py" "$T/$z-ref.h5" "$out.h5" $P $TEAMM || fail "$z n$np P$P differs"
      # a team reads each pair once; the pair's single-rank items read it once more
      want=$(( P > 1 ? 2 * pairs : pairs ))
      [ "$(reads "$out.err")" = "$want" ] || fail "$(reads "$out.err") pair reads, expected $want"
    done
  done
done

step "rank 0 only coordinating: teams start at rank 1"
CKPTRANK_NO_COORD_THREAD=1 mpirun -n 5 "$B" run "$T/a.h5" -m "$M" -o "$T/nc.h5" -q --no-progress \
  --team-size 4 --team-above 0 2> "$T/nc.err" || fail "no coordinator thread: $(cat "$T/nc.err")"
$PY "$T/compare.py" "$T/a-ref.h5" "$T/nc.h5" 4 $TEAMM || fail "rank-1 teams differ"

step "threshold: pairs below --team-above run on single ranks, bit-identical"
mpirun -n 4 "$B" run "$T/a.h5" -m "$M" -o "$T/th.h5" -q --no-progress --team-size 2 \
  --team-above 1G 2> "$T/th.err" || fail "threshold run"
$PY "$T/compare.py" "$T/a-ref.h5" "$T/th.h5" 1 || fail "small pairs went to a team"
# 203 x 32..48 x 8 bytes: 52K..78K; 60K splits the checkpoints
mpirun -n 4 "$B" run "$T/a.h5" -m "$M" -o "$T/th2.h5" -q --no-progress --team-size 2 \
  --team-above 60K 2> "$T/th2.err" || fail "threshold run 60K"
$PY - "$T/th2.h5" <<'EOF' || fail "--team-above 60K: wrong pairs on teams"
import sys, h5py
s = h5py.File(sys.argv[1], "r")["scores"]
for i in range(len(s["score"])):
    info, m = s["info"][i].decode(), s["method"][i].decode()
    if m != "hscore" or s["status"][i] != b"ok":
        continue
    d = int(info.split("D=")[1].split()[0]) if "D=" in info else None
    team = info.endswith(" team=2")
    n = 203
    if d is not None and team != (n * d * 8 >= 60 * 1024):
        sys.exit("pair %s: D=%d, team=%s" % (s["checkpoint"][i], d, team))
EOF

step "refused before any work: --team-size 0, 5 on 4 ranks, --team-above junk"
for bad in "--team-size 0" "--team-size 5" "--team-above 12Q" "--team-above -1"; do
  mpirun -n 4 "$B" run "$T/a.h5" -m hscore -o "$T/bad.h5" -q $bad 2> "$T/bad.err"
  rc=$?
  [ $rc -eq 2 ] || fail "$bad: exit $rc, expected 2"
  [ "$(grep -c '^ckptrank' "$T/bad.err")" -eq 1 ] || fail "$bad: not one message: $(cat "$T/bad.err")"
  [ -e "$T/bad.h5" ] || [ -e "$T/bad.h5.journal" ] && fail "$bad: an output was created"
done
grep -q "team-above" "$T/bad.err" || fail "message does not name the option"
CKPTRANK_NO_COORD_THREAD=1 mpirun -n 4 "$B" run "$T/a.h5" -m hscore -q --team-size 4 \
  2> "$T/bad.err"
[ $? -eq 2 ] || fail "--team-size 4 with 3 computing ranks was accepted"

step "signal during a team run, then --resume: the same outputs"
# every rank is in a team, so the team items come first, then the dummy
# items (single-rank, 300 ms each: 12 of them keep 4 ranks busy ~1 s)
"$B" synth -o "$T/c.h5" --checkpoints 6 --tasks 2 -n 4000 --dim 64 --seed 9 >/dev/null
MC='hscore,gbc,logme,dummy:ms=300'
"$B" run "$T/c.h5" -m "$MC" -o "$T/c-ref.h5" -q --no-progress 2>/dev/null || fail "c reference"
mpirun -n 4 "$B" run "$T/c.h5" -m "$MC" -o "$T/s.h5" -q --no-progress --team-size 2 \
  --team-above 0 2> "$T/sig.err" &
pid=$!
for i in $(seq 1 400); do [ -f "$T/s.h5.journal" ] && break; sleep 0.05; done
sleep 0.2
kill -USR1 $pid
wait $pid; rc=$?
[ $rc -eq 75 ] || fail "interrupted team run exited $rc, expected 75: $(cat "$T/sig.err")"
grep -q "not-run" <($PY -c "import h5py; print(list(h5py.File('$T/s.h5','r')['scores/status'][:]))") \
  || fail "no not-run rows in the partial results"
mpirun -n 4 "$B" run "$T/c.h5" -m "$MC" -o "$T/s.h5" -q --no-progress --team-size 2 \
  --team-above 0 --resume 2> "$T/res.err" || fail "resume: $(cat "$T/res.err")"
$PY "$T/compare.py" "$T/c-ref.h5" "$T/s.h5" 2 hscore gbc || fail "resumed team run differs"
echo "all team checks passed"
