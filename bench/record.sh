#!/bin/sh
# bench/record.sh LOGDIR -- the performance record (bench/README.md) from one
# `make bench` run: the machine, then each benchmark's results. A benchmark
# that prints lines starting with "@@ " gives markdown (its tables); for the
# others the summary lines of its log (headers "==", SPEEDUP/ratio lines and
# tables) go in a text block.
LOGS=${1:?usage: record.sh LOGDIR}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
cat <<HDR
# Performance record

Written by \`make bench\` (bench/run.sh, then bench/record.sh) on
$(date -u +%Y-%m-%d) at $(date -u +%H:%M) UTC; do not edit by hand, run \`make bench\` again.

Machine: ${cpu:-unknown CPU}, $(OMP_NUM_THREADS='' nproc) cores, $mem; OpenBLAS kernels
${OPENBLAS_CORETYPE:-as detected}; load when the run started: $(cut -d' ' -f1-3 /proc/loadavg).
Every comparison below was measured in the same run, on one core per process
unless it says otherwise.
HDR
for f in "$LOGS"/*.log; do
  [ -f "$f" ] || continue
  name=$(basename "$f" .log)
  echo
  if grep -q '^@@' "$f"; then
    sed -n 's/^@@ \{0,1\}//p' "$f"
  else
    echo "## $name"
    echo
    echo '```text'
    grep -E '^(==|SPEEDUP|ckptrank|sklearn|numpy|  phases|  FLOPs|  GEMM|[a-z_]+ +[0-9])|ratio|x wall' "$f" | cut -c1-160
    echo '```'
  fi
done
