#!/bin/bash
# bench/scaling.sh -- zoo-level scaling of `ckptrank run`, measured in one go:
#
#   1. strong scaling on data/realzoo.h5 (7 closed-form methods): one process
#      (no mpirun) against mpirun -n 2, 3, 4 (every rank computes: rank 0
#      coordinates from a thread of its own); speedup, efficiency and pair
#      reads per rank count, marked when the ranks exceed the cores; then the
#      issue's target (mpirun -n 2 on 2 cores >= 1.6x faster than one process,
#      PASS/MISS), mpirun's own launch time, and the CPU share of rank 0's
#      coordinator thread;
#   2. the coordinator's rate on a synthetic 1,000-checkpoint x 4-task audit of
#      `dummy` items (no computation: what is left is reading the pair and
#      the messages): items/s and coordinator messages/s at 1, 2 and 4 ranks.
#
# Every timing is the best of REPS runs (default 2). Prints the tables as
# markdown rows prefixed by "@@" (bench/record.sh collects them into
# bench/README.md). Usage: bench/scaling.sh [BUILD_DIR]
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

# best_of CMD...: run REPS times, print the smallest wall time in seconds
best_of() {
    local best="" t0 t1 t
    for _ in $(seq "$REPS"); do
        t0=$(date +%s.%N)
        "$@" >"$TMP/out" 2>"$TMP/err" || { echo "FAILED: $*" >&2; tail -5 "$TMP/err" >&2; echo nan; return; }
        cp "$TMP/err" "$TMP/last.err"
        t1=$(date +%s.%N)
        t=$(calc "$t1 - $t0")
        if [ -z "$best" ] || [ "$(calc "($t < $best) ? 1 : 0")" = 1 ]; then best=$t; fi
    done
    printf '%.3f\n' "$best"
}

# run_np P ARGS...: one process when P is 1 (no mpirun), else mpirun -n P
run_np() {
    local p=$1; shift
    if [ "$p" = 1 ]; then "$BIN" "$@"; else mpirun -n "$p" "$BIN" "$@"; fi
}

note() { [ "$1" -gt "$CORES" ] && echo " (ranks > $CORES cores)"; }

echo "== strong scaling: ckptrank run $ZOO --methods $METHODS (best of $REPS)"
echo "@@ ## Strong scaling of a zoo run"
echo "@@"
echo "@@ \`ckptrank run $ZOO --methods $METHODS\` ($("$BIN" info "$ZOO" | head -1 | sed 's/^[^:]*: //'));"
echo "@@ one process without mpirun is the baseline; efficiency = speedup / ranks. $CORES cores here."
echo "@@"
echo "@@ | ranks | seconds | speedup | efficiency | pair reads | note |"
echo "@@ |---|---|---|---|---|---|"
base=""; t2=""
for p in 1 2 3 4; do
    t=$(best_of run_np "$p" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '')
    reads=$(sed -nE 's/.* ([0-9]+) pair reads.*/\1/p' "$TMP/last.err" 2>/dev/null | tail -1)
    [ -z "$base" ] && base=$t
    [ "$p" = 2 ] && t2=$t
    sp=$(calc "$base / $t"); eff=$(calc "$sp / $p")
    printf '  -n %d  %8.3f s  speedup %.2fx  efficiency %.0f%%  %s pair reads%s\n' "$p" "$t" "$sp" "$(calc "$eff*100")" "$reads" "$(note "$p")"
    printf '@@ | %d | %.3f | %.2fx | %.0f%% | %s | %s |\n' "$p" "$t" "$sp" "$(calc "$eff*100")" "$reads" "$(note "$p" | sed 's/^ //')"
done
# the issue's target: mpirun -n 2 on 2 cores >= 1.6x faster than one process
launch=$(best_of mpirun -n 2 "$BIN" info "$ZOO")
ratio=$(calc "$base / $t2")
launch1=$(best_of "$BIN" info "$ZOO")
net=$(calc "($t2 > $launch && $base > $launch1) ? ($base - $launch1) / ($t2 - $launch) : 0")
verdict=$([ "$(calc "($ratio >= 1.6) ? 1 : 0")" = 1 ] && echo PASS || echo MISS)
CKPTRANK_TRACE=1 mpirun -n 2 "$BIN" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '' \
    --no-progress 2>"$TMP/trace" >/dev/null
coord=$(sed -nE 's/^ckptrank-trace: (coordinator thread .*)$/\1/p' "$TMP/trace" | tail -1)
printf '  target: mpirun -n 2 >= 1.6x one process: %.2fx %s (%d cores)\n' "$ratio" "$verdict" "$CORES"
printf '  launch alone (ckptrank info): %.3f s one process, %.3f s mpirun -n 2; without them, -n 2 is %.2fx one process\n' "$launch1" "$launch" "$net"
printf '  rank 0 at -n 2: %s\n' "${coord:-no coordinator thread (MPI without MPI_THREAD_MULTIPLE?)}"
echo "@@"
printf '@@ Target (issue 11): `mpirun -n 2` on %d cores >= 1.6x faster than one process: **%.2fx, %s**.\n' "$CORES" "$ratio" "$verdict"
printf '@@ Launching alone (`ckptrank info`) takes %.3f s for one process and %.3f s under `mpirun -n 2`; without the launch, `-n 2` is %.2fx one process.\n' "$launch1" "$launch" "$net"
printf '@@ Rank 0 computes while a thread of its own coordinates: %s.\n' "${coord:-no coordinator thread}"

echo
echo "== coordinator: 1,000 checkpoints x 4 tasks of dummy items"
"$BIN" synth -o "$TMP/audit.h5" --checkpoints 1000 --tasks 4 --classes 3 -n 16 --val 0 -d 4 \
    --no-logits >/dev/null || { echo "synth failed"; exit 1; }
echo "@@"
echo "@@ ## Coordinator rate (1,000 checkpoints x 4 tasks, 4,000 \`dummy:ms=0\` items)"
echo "@@"
echo "@@ Each item is one pair read (16 x 4 floats) plus two messages (item out, result back)."
echo "@@"
echo "@@ | ranks | seconds | items/s | coordinator messages/s | note |"
echo "@@ |---|---|---|---|---|"
for p in 1 2 4; do
    t=$(best_of run_np "$p" run "$TMP/audit.h5" --methods dummy:ms=0 -q --csv "$TMP/a.csv" --journal '')
    ips=$(calc "4000 / $t"); mps=$(calc "8000 / $t")
    printf '  -n %d  %8.3f s  %8.0f items/s  %8.0f msg/s%s\n' "$p" "$t" "$ips" "$mps" "$(note "$p")"
    printf '@@ | %d | %.3f | %.0f | %.0f | %s |\n' "$p" "$t" "$ips" "$mps" "$(note "$p" | sed 's/^ //')"
done
