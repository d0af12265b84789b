#!/bin/sh
# Run every benchmark: each executable $BUILD/bench/bench_* in turn (drop a
# bench/bench_<name>.c in and the Makefile builds it and this runs it). Every
# benchmark runs on one core (OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1) and
# prints its own report; this script adds a header, the wall time of each,
# and exits non-zero when one fails. BENCH=regex runs only the matching ones.
BUILD=${BUILD:-build}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
CKR_SRC_DIR=${CKR_SRC_DIR:-$(pwd)}
export CKR_SRC_DIR
# Every side of a comparison (our C and the numpy/scikit-learn reference) uses
# the same OpenBLAS kernels: the ones ckptrank picks for this CPU (see
# src/util/blascfg.h; in VMs that hide the CPU model OpenBLAS falls back to
# slow Prescott kernels unless OPENBLAS_CORETYPE is set).
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -x "$BUILD/ckptrank" ]; then
  core=$("$BUILD/ckptrank" version | sed -n 's/.*coretype=//p')
  [ -n "$core" ] && export OPENBLAS_CORETYPE=$core
fi
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-as detected}"
only=${BENCH:-}
ran=0; failed=""
echo "benchmarks in $BUILD/bench ($(nproc --all) cores here, $(date -u +%Y-%m-%dT%H:%M:%SZ); load: $(cut -d' ' -f1-3 /proc/loadavg))"
LOGS=$BUILD/bench-logs
rm -rf "$LOGS"; mkdir -p "$LOGS"
for b in "$BUILD"/bench/bench_* bench/*.sh; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  name=$(basename "$b" .sh)
  [ "$name" = run ] || [ "$name" = record ] && continue
  [ -n "$only" ] && ! echo "$name" | grep -qE "$only" && continue
  ran=$((ran + 1))
  echo
  echo "######## $name"
  t0=$(date +%s)
  case "$b" in *.sh) cmd="bash $b $BUILD" ;; *) cmd=$b ;; esac
  $cmd > "$LOGS/$name.log" 2>&1; rc=$?
  cat "$LOGS/$name.log"
  if [ "$rc" -eq 0 ]; then
    echo "######## $name: done in $(( $(date +%s) - t0 )) s"
  else
    echo "######## $name: FAILED (exit $rc) after $(( $(date +%s) - t0 )) s"
    failed="$failed $name"
  fi
done
echo
if [ "$ran" -eq 0 ]; then
  echo "no benchmark executables in $BUILD/bench (build them with make bench)"
  exit 1
fi
[ -n "$failed" ] && { echo "failed:$failed"; exit 1; }
echo "$ran benchmark(s) ran"
# the performance record: bench/README.md from these logs (BENCH=regex runs
# leave it alone, so the record always holds a whole run)
if [ -z "$only" ]; then
  sh bench/record.sh "$LOGS" > bench/README.md && echo "wrote bench/README.md"
fi
