#!/bin/bash
# End-to-end bounded memory (--max-memory): a zoo whose pairs are larger
# than the cap completes with the scores of an uncapped run (1e-10) for the
# streamable methods (LogME, H-scores, GBC, TransRate, SFDA by row blocks; LEEP,
# NCE without features); the others report over-memory (NLEEP after its
# streamed PCA, when the mixture does not fit; linear, PARC without reading); the
# process's peak RSS stays under the cap plus a fixed overhead: the peak RSS
# of the same capped run on a tiny zoo (the program, MPI, HDF5, OpenBLAS:
# about 31 MB) plus 8 MB of allocator slack. Results are the same bits on 1,
# 2 and 4 ranks under a cap. Bad sizes are refused.
set -u
B=${CKPTRANK:?set CKPTRANK to the binary}
T=$(mktemp -d /tmp/ckr-memory.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
PY=/usr/bin/python3
# peak RSS in KB of a command (wait4's ru_maxrss of the child), its exit status
# in $T/rc; stdout/stderr go to $T/out / $T/err
peak() {
  "$PY" - "$T" "$@" <<'PYEOF'
import os, subprocess, sys
t = sys.argv[1]
with open(t + "/out", "w") as o, open(t + "/err", "w") as e:
    p = subprocess.Popen(sys.argv[2:], stdout=o, stderr=e)
    _, status, ru = os.wait4(p.pid, 0)
open(t + "/rc", "w").write(str(os.waitstatus_to_exitcode(status)))
print(ru.ru_maxrss)
PYEOF
}

STREAMED='logme,hscore,hscore_shrink,gbc,transrate,sfda,leep,nce'
# parc: its n = 10,010 sampled rows need 16 n^2 / 2 bytes at once, streamed or not
OTHERS='nleep,linear,parc'
CAP_MB=32
# the fixed overhead: the tiny run's peak plus 8 MB of allocator slack (freed
# blocks glibc keeps, HDF5's conversion buffers); the streamed forms fill the
# cap by design (the largest block that fits, TransRate's Grams per pass)
SLACK_KB=8192
# 2 pairs (a multiclass and a multilabel task) of 30,000 x 256: 62 MB of
# features each in memory
"$B" synth -o "$T/big.h5" --checkpoints 1 --tasks 2 --classes 10 --n 30000 --val 200 \
  --dim 256 --source-classes 20 --multilabel --seed 3 >/dev/null || fail "synth big"
"$B" synth -o "$T/tiny.h5" --checkpoints 1 --tasks 2 --classes 10 --n 100 --val 20 \
  --dim 8 --source-classes 20 --multilabel --seed 3 >/dev/null || fail "synth tiny"

step "uncapped reference"
full_kb=$(peak "$B" run "$T/big.h5" --methods "$STREAMED" --csv "$T/full.csv" -q --no-progress)
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/err"; fail "uncapped run"; }

step "capped at ${CAP_MB}M: same scores, over-memory for the rest, peak RSS under cap + overhead"
cap_kb=$(peak "$B" run "$T/big.h5" --methods "$STREAMED,$OTHERS" --csv "$T/cap.csv" -q \
  --no-progress --max-memory ${CAP_MB}M)
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/err"; fail "capped run"; }
grep -q "2 pair reads" "$T/err" || { cat "$T/err"; fail "expected one read per pair"; }
tiny_kb=$(peak "$B" run "$T/tiny.h5" --methods "$STREAMED,$OTHERS" --csv "$T/tiny.csv" -q \
  --no-progress --max-memory ${CAP_MB}M)
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/err"; fail "tiny run"; }
echo "peak RSS: uncapped ${full_kb} KB, capped ${cap_kb} KB, overhead (tiny zoo) ${tiny_kb} KB + ${SLACK_KB} KB"
limit_kb=$(( CAP_MB * 1024 + tiny_kb + SLACK_KB ))
# AddressSanitizer keeps freed memory in quarantine and maps shadow memory,
# so a sanitized binary's RSS says nothing about the program's own use
if ldd "$B" 2>/dev/null | grep -q libasan; then
  echo "peak RSS not checked: $B is built with AddressSanitizer (make check SANITIZE=1)"
else
  [ "$cap_kb" -le "$limit_kb" ] || fail "capped peak ${cap_kb} KB over cap + overhead ${limit_kb} KB"
fi
[ "$full_kb" -gt "$limit_kb" ] || fail "the uncapped run (${full_kb} KB) fits the cap: make the zoo bigger"

"$PY" - "$T/full.csv" "$T/cap.csv" "$STREAMED" "$OTHERS" <<'PYEOF' || fail "scores"
import csv, sys
full = {(r["checkpoint"], r["task"], r["method"]): r for r in csv.DictReader(open(sys.argv[1]))}
cap = {(r["checkpoint"], r["task"], r["method"]): r for r in csv.DictReader(open(sys.argv[2]))}
streamed, others = sys.argv[3].split(","), sys.argv[4].split(",")
bad = 0
for (c, t, m), r in cap.items():
    if m in streamed:
        f = full[(c, t, m)]
        if r["status"] != f["status"]:
            print("status differs:", c, t, m, r["status"], f["status"]); bad += 1
        elif f["status"] == "ok":
            a, b = float(r["score"]), float(f["score"])
            if abs(a - b) > 1e-10 * abs(b):
                print("differs:", c, t, m, a, b); bad += 1
        elif m not in ("gbc", "transrate", "sfda"):  # multilabel: unsupported in both
            print("not ok:", c, t, m, f["status"]); bad += 1
    elif m in others:
        if r["status"] != "over-memory" or r["score"] != "":
            print("not over-memory:", c, t, m, r["status"]); bad += 1
n = len(streamed + others) * 2
if len(cap) != n:
    print("rows:", len(cap), "expected", n); bad += 1
sys.exit(1 if bad else 0)
PYEOF

step "the over-memory message gives the estimate, the shape and the cap"
# linear has no streamed form; nleep streams its PCA, then finds that the
# mixture on the reduced rows does not fit
"$B" run "$T/big.h5" --methods linear,nleep --json "$T/cap.json" -q --no-progress \
  --max-memory ${CAP_MB}M 2>/dev/null
grep -q "needs about [0-9.]* MB for N=30000 D=256 C=10 (whole pair; linear has no streamed form), over --max-memory 32.0 MB" \
  "$T/cap.json" || { grep -o '"message[^,]*' "$T/cap.json" | head -3; fail "linear message"; }
grep -q "the mixture needs about [0-9.]* MB for N=30000 d=[0-9]* K=50 (after the PCA), over the [0-9.]* MB left of --max-memory" \
  "$T/cap.json" || { grep -o '"message[^,]*' "$T/cap.json" | head -3; fail "nleep message"; }

step "ranks: the same bits on 1, 2 and 4 ranks under a cap (whole, streamed, over-memory mixed)"
"$B" synth -o "$T/mid.h5" --checkpoints 4 --tasks 2 --classes 5 --n 6000 --val 100 --dim 96 \
  --seed 5 >/dev/null || fail "synth mid"
M='logme,hscore_shrink,gbc,transrate,nleep,leep,linear:epochs=1'
for np in 1 2 4; do
  OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -n $np "$B" run "$T/mid.h5" --methods "$M" \
    --csv "$T/np$np.csv" -q --no-progress --max-memory 9M 2>"$T/np$np.err" || { cat "$T/np$np.err"; fail "-n $np"; }
done
cmp <(cut -d, -f1-5 "$T/np1.csv") <(cut -d, -f1-5 "$T/np2.csv") || fail "-n 1 and -n 2 differ"
cmp <(cut -d, -f1-5 "$T/np1.csv") <(cut -d, -f1-5 "$T/np4.csv") || fail "-n 1 and -n 4 differ"
n_ok=$(grep -c ',ok,' "$T/np1.csv"); n_over=$(grep -c ',over-memory,' "$T/np1.csv")
echo "9M on 6000 x 96 pairs: $n_ok ok, $n_over over-memory"
[ "$n_ok" -gt 0 ] && [ "$n_over" -gt 0 ] || fail "expected both ok and over-memory items"

step "bad sizes are refused before any work (exit 2, one message)"
for s in 0 abc 16X -1 1.5G 99999999999999999999T ''; do
  "$B" run "$T/big.h5" --methods leep --csv "$T/bad.csv" --max-memory "$s" > "$T/o" 2> "$T/e"
  rc=$?
  [ $rc = 2 ] || fail "--max-memory '$s': exit $rc"
  grep -q -- "--max-memory" "$T/e" || fail "--max-memory '$s': $(cat "$T/e")"
  [ -e "$T/bad.csv" ] && fail "--max-memory '$s' wrote an output"
done
echo "OK"
