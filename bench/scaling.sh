#!/bin/bash
# bench/scaling.sh -- zoo-level scaling of `ckptrank run`, measured in one go:
#
#   1. strong scaling on data/realzoo.h5 (7 closed-form methods): one process
#      (no mpirun) against mpirun -n 2, 3, 4 (every rank computes: rank 0
#      coordinates from a thread of its own); speedup, efficiency and pair
#      reads per rank count, marked when the ranks exceed the cores; the one
#      process and -n 2 again with the shared-memory transport chosen
#      (OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader: no UCX probing at start);
#      then the issue's target (mpirun -n 2 on 2 cores >= 1.6x faster than
#      one process, PASS/MISS; judged with the default transports, the other
#      row printed too), the launch time alone under both settings, the CPU
#      share of rank 0's coordinator thread, and a CKPTRANK_TIMELINE summary
#      of one -n 2 run (bench/timeline.awk: launch, setup, each rank's busy
#      and idle time, the tail, the outputs, the exit);
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

# the 1-process baseline and mpirun -n 2 under one MCA setting, alternated in
# each of the REPS rounds (so both see the same load); sets T1 and T2, the best
# of each, and READS1/READS2
pair_1_2() {
    local t1="" t2="" t
    for _ in $(seq "$REPS"); do
        t=$(REPS=1 best_of run_np 1 run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '')
        READS1=$(sed -nE 's/.* ([0-9]+) pair reads.*/\1/p' "$TMP/last.err" 2>/dev/null | tail -1)
        if [ -z "$t1" ] || [ "$(calc "($t < $t1) ? 1 : 0")" = 1 ]; then t1=$t; fi
        t=$(REPS=1 best_of run_np 2 run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '')
        READS2=$(sed -nE 's/.* ([0-9]+) pair reads.*/\1/p' "$TMP/last.err" 2>/dev/null | tail -1)
        if [ -z "$t2" ] || [ "$(calc "($t < $t2) ? 1 : 0")" = 1 ]; then t2=$t; fi
    done
    T1=$t1; T2=$t2
}

row() { # ranks seconds base reads note
    local sp eff
    sp=$(calc "$3 / $2"); eff=$(calc "$sp / $1")
    printf '  -n %d  %8.3f s  speedup %.2fx  efficiency %.0f%%  %s pair reads%s\n' "$1" "$2" "$sp" "$(calc "$eff*100")" "$4" "$5"
    printf '@@ | %d | %.3f | %.2fx | %.0f%% | %s | %s |\n' "$1" "$2" "$sp" "$(calc "$eff*100")" "$4" "$(echo "$5" | sed 's/^ //')"
}

SHM="OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader"
echo "== strong scaling: ckptrank run $ZOO --methods $METHODS (best of $REPS; load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "@@ ## Strong scaling of a zoo run"
echo "@@"
echo "@@ \`ckptrank run $ZOO --methods $METHODS\` ($("$BIN" info "$ZOO" | head -1 | sed 's/^[^:]*: //'));"
echo "@@ one process without mpirun is the baseline; efficiency = speedup / ranks. $CORES cores here;"
echo "@@ load when this section started: $(cut -d' ' -f1-3 /proc/loadavg). Open MPI's default transports"
echo "@@ (the target is judged on these):"
echo "@@"
echo "@@ | ranks | seconds | speedup | efficiency | pair reads | note |"
echo "@@ |---|---|---|---|---|---|"
pair_1_2
base=$T1; t2=$T2
row 1 "$T1" "$base" "$READS1" ""
row 2 "$T2" "$base" "$READS2" "$(note 2)"
for p in 3 4; do
    t=$(best_of run_np "$p" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '')
    reads=$(sed -nE 's/.* ([0-9]+) pair reads.*/\1/p' "$TMP/last.err" 2>/dev/null | tail -1)
    row "$p" "$t" "$base" "$reads" "$(note "$p")"
done
# the same with the shared-memory transport chosen (one node only: ob1 + vader)
shm() { (export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader; "$@"); }
read -r S1 S2 SR1 SR2 < <(shm eval 'pair_1_2; echo "$T1 $T2 $READS1 $READS2"')
echo "  with $SHM:"
echo "@@"
echo "@@ With the shared-memory transport chosen (\`$SHM\`, for both rows):"
echo "@@"
echo "@@ | ranks | seconds | speedup | efficiency | pair reads | note |"
echo "@@ |---|---|---|---|---|---|"
row 1 "$S1" "$S1" "$SR1" ""
row 2 "$S2" "$S1" "$SR2" "$(note 2)"
# the issue's target: mpirun -n 2 on 2 cores >= 1.6x faster than one process
launch=$(best_of mpirun -n 2 "$BIN" info "$ZOO")
ratio=$(calc "$base / $t2")
launch1=$(best_of "$BIN" info "$ZOO")
slaunch=$(shm best_of mpirun -n 2 "$BIN" info "$ZOO")
slaunch1=$(shm best_of "$BIN" info "$ZOO")
sratio=$(calc "$S1 / $S2")
net=$(calc "($t2 > $launch && $base > $launch1) ? ($base - $launch1) / ($t2 - $launch) : 0")
verdict=$([ "$(calc "($ratio >= 1.6) ? 1 : 0")" = 1 ] && echo PASS || echo MISS)
sverdict=$([ "$(calc "($sratio >= 1.6) ? 1 : 0")" = 1 ] && echo PASS || echo MISS)
CKPTRANK_TRACE=1 mpirun -n 2 "$BIN" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" --journal '' \
    --no-progress 2>"$TMP/trace" >/dev/null
coord=$(sed -nE 's/^ckptrank-trace: (coordinator thread .*)$/\1/p' "$TMP/trace" | tail -1)
# where the time of -n 2 goes (sched/timeline.h; bench/timeline.awk)
tl0=$(date +%s.%N)
CKPTRANK_TIMELINE="$TMP/tl" mpirun -n 2 "$BIN" run "$ZOO" --methods "$METHODS" -q --csv "$TMP/s.csv" \
    --journal '' --no-progress 2>/dev/null >/dev/null
tl1=$(date +%s.%N)
awk -v launch="$tl0" -v end="$tl1" -f "$(dirname "$0")/timeline.awk" "$TMP"/tl.[0-9]* | sort >"$TMP/tl.txt"
printf '  target: mpirun -n 2 >= 1.6x one process: %.2fx %s (%d cores; default MCA, the one judged)\n' "$ratio" "$verdict" "$CORES"
printf '  with %s: %.2fx %s\n' "$SHM" "$sratio" "$sverdict"
printf '  launch alone (ckptrank info): %.3f s one process, %.3f s mpirun -n 2; without them, -n 2 is %.2fx one process\n' "$launch1" "$launch" "$net"
printf '  launch alone with %s: %.3f s one process, %.3f s mpirun -n 2\n' "$SHM" "$slaunch1" "$slaunch"
printf '  rank 0 at -n 2: %s\n' "${coord:-no coordinator thread (MPI without MPI_THREAD_MULTIPLE?)}"
sed 's/^/  timeline -n 2: /' "$TMP/tl.txt"
echo "@@"
printf '@@ Target (issue 11), judged with the default transports: `mpirun -n 2` on %d cores >= 1.6x faster than one process: **%.2fx, %s**.\n' "$CORES" "$ratio" "$verdict"
printf '@@ With the shared-memory transport chosen: %.2fx, %s.\n' "$sratio" "$sverdict"
printf '@@ Launching alone (`ckptrank info`) takes %.3f s for one process and %.3f s under `mpirun -n 2` (with `%s`: %.3f s and %.3f s); without the launch, `-n 2` is %.2fx one process.\n' "$launch1" "$launch" "$SHM" "$slaunch1" "$slaunch" "$net"
printf '@@ Rank 0 computes while a thread of its own coordinates: %s.\n' "${coord:-no coordinator thread}"
echo "@@"
echo "@@ Where the time of one \`mpirun -n 2\` run goes (\`CKPTRANK_TIMELINE=1\`, summed by bench/timeline.awk):"
echo "@@"
sed 's/^/@@ - /' "$TMP/tl.txt"

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
