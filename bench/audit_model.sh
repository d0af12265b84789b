#!/bin/bash
# bench/audit_model.sh -- measures what bench/audit_model.py needs (a zoo run
# at one process and at mpirun -n 2 with their launch times, and the
# coordinator's CPU per item on a dummy audit), then runs the model: its
# check against the measured -n 2 time and its 1,000 x 4 audit table on 64
# to 1,024 ranks. Usage: bench/audit_model.sh [BUILD_DIR]
set -u
BUILD=${1:-${BUILD:-build}}
BIN=$(pwd)/$BUILD/ckptrank
ZOO=${ZOO:-data/realzoo.h5}
REPS=${REPS:-2}
METHODS=${SCALING_METHODS:-nleep,leep,nce,logme,hscore,transrate,gbc}
CORES=$(OMP_NUM_THREADS='' nproc)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
calc() { awk "BEGIN { print $1 }"; }
best_of() {
    local best="" t0 t1 t
    for _ in $(seq "$REPS"); do
        t0=$(date +%s.%N)
        "$@" >"$TMP/out" 2>"$TMP/err" || { echo "FAILED: $*" >&2; tail -5 "$TMP/err" >&2; echo nan; return; }
        t1=$(date +%s.%N)
        t=$(calc "$t1 - $t0")
        if [ -z "$best" ] || [ "$(calc "($t < $best) ? 1 : 0")" = 1 ]; then best=$t; fi
    done
    printf '%.4f\n' "$best"
}
# the zoo run whose per-item seconds feed the model (the last of the reps)
t1=$(best_of "$BIN" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/r1.csv" --journal '' --no-progress)
launch1=$(best_of "$BIN" info "$ZOO")
t2=$(best_of mpirun -n 2 "$BIN" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/r2.csv" --journal '' --no-progress)
launch2=$(best_of mpirun -n 2 "$BIN" info "$ZOO")
# the coordinator's CPU per item: a dummy audit (no computation) at -n 2
"$BIN" synth -o "$TMP/audit.h5" --checkpoints 1000 --tasks 4 --classes 3 -n 16 --val 0 -d 4 \
    --no-logits >/dev/null || { echo "synth failed"; exit 1; }
CKPTRANK_TRACE=1 mpirun -n 2 "$BIN" run "$TMP/audit.h5" --methods dummy:ms=0 -q --csv "$TMP/a.csv" \
    --journal '' --no-progress 2>"$TMP/trace" >/dev/null || { echo "dummy audit failed"; exit 1; }
cpu=$(sed -nE 's/^ckptrank-trace: coordinator thread ([0-9.]+) s CPU.*/\1/p' "$TMP/trace" | tail -1)
[ -n "$cpu" ] || { echo "no coordinator thread trace (MPI without MPI_THREAD_MULTIPLE?)"; exit 1; }
python3 bench/audit_model.py "$TMP/r1.csv" "$t1" "$launch1" "$t2" "$launch2" "$cpu" 4000 "$CORES"
