#!/bin/sh
# Run every test: CMocka unit tests (tests/test_*), MPI tests (tests/mpi_*) under
# mpirun -n 1, 2, 4, and end-to-end shell tests (tests/e2e_*.sh).
# Prints one line per test and a closing "N passed, N failed".
BUILD=${BUILD:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export CKPTRANK="$(pwd)/$BUILD/ckptrank" BUILD
# LeakSanitizer cannot follow MPI's internal allocations; ASan/UBSan stay on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOG=$BUILD/test-logs
rm -rf "$LOG"; mkdir -p "$LOG"
pass=0; fail=0; failed=""
run() { # name cmd...
  name=$1; shift
  t0=$(date +%s)
  if "$@" >"$LOG/$name.log" 2>&1; then
    pass=$((pass+1)); echo "PASS  $name ($(( $(date +%s) - t0 ))s)"
  else
    fail=$((fail+1)); failed="$failed $name"; echo "FAIL  $name ($(( $(date +%s) - t0 ))s)"
    tail -n 30 "$LOG/$name.log" | sed 's/^/    | /'
  fi
}
only=${TESTS:-}
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue; n=$(basename "$t")
  [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
  run "$n" "$t"
done
for t in "$BUILD"/tests/mpi_*; do
  [ -x "$t" ] || continue; n=$(basename "$t")
  [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
  for np in 1 2 4; do run "$n-np$np" mpirun -n $np "$t"; done
done
for t in tests/e2e_*.sh; do
  [ -f "$t" ] || continue; n=$(basename "$t" .sh)
  [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
  run "$n" bash "$t"
done
echo
[ -n "$failed" ] && echo "failed:$failed (logs in $LOG/)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
