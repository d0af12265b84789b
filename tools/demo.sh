#!/bin/sh
# make demo: the main job on the embedded default zoo (data/realzoo.h5: 12 real
# pretrained checkpoints x 4 real tasks, with ground truth), every method,
# mpirun -n 2. Prints the ranking table and where the report is; outputs in demo/.
set -e
BIN=${1:-build/ckptrank}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OPENBLAS_NUM_THREADS=1
NP=${NP:-2}
ZOO=${ZOO:-data/realzoo.h5}
METHODS=${METHODS:-nleep,leep,nce,logme,logme:form=thuml,hscore,hscore_shrink,transrate,gbc,sfda,parc,ncti,etran,size,linear:epochs=1,linear:epochs=5,linear,finetune:epochs=1,finetune:epochs=5,mi:alpha=0.01,mi:alpha=0.5}
mkdir -p demo
rm -f demo/results.h5.journal
"$BIN" info "$ZOO" | head -1
echo "== mpirun -n $NP ckptrank run $ZOO --methods <all $(echo "$METHODS" | tr ',' '\n' | grep -c .) baselines> -o demo/results.h5"
mpirun -n "$NP" "$BIN" run "$ZOO" --methods "$METHODS" -o demo/results.h5 --csv demo/scores.csv \
  --metrics-csv demo/metrics.csv --json demo/results.json -q
"$BIN" report demo/results.h5 --html demo/report.html > demo/table.txt
echo
echo "ranking quality, mean over the 4 tasks (per task: demo/table.txt or ckptrank report demo/results.h5):"
grep -E '^(task|mean) ' demo/table.txt
echo
echo "report:  $(pwd)/demo/report.html   (open it in a browser: plots, tables, costs)"
echo "results: demo/results.h5  scores: demo/scores.csv  metrics: demo/metrics.csv  json: demo/results.json"
echo "what the numbers mean and how they compare: data/README.md (Ranking quality)"
