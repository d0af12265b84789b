#!/bin/sh
# make demo: the main job on the embedded default zoo.
# Writes into demo/ and prints the ranking table and where the report is.
set -e
BIN=${1:-build/ckptrank}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OPENBLAS_NUM_THREADS=1
NP=${NP:-2}
mkdir -p demo
ZOO=demo/synth-zoo.h5
echo "== ckptrank synth -o $ZOO"
"$BIN" synth -o "$ZOO"
echo "== mpirun -n $NP ckptrank run $ZOO --methods nleep,leep -o demo/results.h5 --csv demo/scores.csv"
mpirun -n "$NP" "$BIN" run "$ZOO" --methods nleep,leep -o demo/results.h5 --csv demo/scores.csv \
  --metrics-csv demo/metrics.csv
echo
echo "results: demo/results.h5  scores: demo/scores.csv  metrics: demo/metrics.csv"
echo "report again with: $BIN report demo/results.h5"
