#!/bin/bash
# submit-audit.sh -- submit a whole audit: the ranking job over the zoo, a
# fine-tuning sweep as a job array, and the merge after the array.
#
#   jobs/submit-audit.sh ZOO OUTDIR [sbatch options for every job]
#
# Environment: METHODS (ranking methods, default nleep,leep), SWEEP (the
# fine-tune grid), SHARDS (array size, default 4), RANK_TASKS (MPI ranks of
# the ranking job, default 4), SWEEP_TASKS (per array task, default 2), SEED,
# CKPTRANK, LAUNCHER, plus TIME_RANK / TIME_SWEEP for --time.
# Prints the three job ids. Results: OUTDIR/ranking.h5, OUTDIR/sweep.h5.
set -eu
ZOO=${1:?usage: submit-audit.sh ZOO OUTDIR [sbatch options]}
OUTDIR=${2:?usage: submit-audit.sh ZOO OUTDIR [sbatch options]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUTDIR"
SHARDS=${SHARDS:-4}
export METHODS_RANK=${METHODS:-nleep,leep}
rank_job=$(METHODS=$METHODS_RANK sbatch --parsable --ntasks="${RANK_TASKS:-4}" \
  --time="${TIME_RANK:-04:00:00}" "$@" "$here/rank.sbatch" "$ZOO" "$OUTDIR/ranking.h5")
sweep_job=$(METHODS=${SWEEP:-finetune:lr=0.0001|0.001|0.005|0.01|0.05|0.1|0.2|0.5,steps=500|1000} \
  sbatch --parsable --array=0-$((SHARDS - 1)) --ntasks="${SWEEP_TASKS:-2}" \
  --time="${TIME_SWEEP:-02:00:00}" "$@" "$here/sweep.sbatch" "$ZOO" "$OUTDIR/shards")
merge_job=$(sbatch --parsable --dependency=afterok:"${sweep_job%%;*}" "$@" \
  "$here/merge.sbatch" "$OUTDIR/shards" "$OUTDIR/sweep.h5")
echo "ranking job $rank_job, sweep array $sweep_job, merge job $merge_job"
echo "results: $OUTDIR/ranking.h5 (scores), $OUTDIR/sweep.h5 (fine-tune sweep, best per pair)"
