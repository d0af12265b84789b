#!/bin/bash
# test_jobs.sh -- the jobs/ scripts on a real (private, single-node) Slurm:
# rank.sbatch with srun and with mpirun, a sweep job array merged after it
# (submit-audit.sh), and a run with a short time limit that is signalled,
# requeued and resumed. Every result must equal a direct mpirun run.
# Starts munge (if needed), slurmctld and slurmd, and stops them by pid.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${CKPTRANK:-$top/build/ckptrank}
export CKPTRANK=$B OPENBLAS_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
T=$(mktemp -d /tmp/ckr-slurm.XXXXXX)
. "$here/cluster.sh"
cleanup() { scancel --user=root 2>/dev/null; sleep 1; slurm_stop; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 20 "$T"/*.out 2>/dev/null >&2; exit 1; }
step() { echo "== $*"; }
same_scores() { # a.csv b.csv: identical but for the timing columns
  cmp <(cut -d, -f1-5 "$1") <(cut -d, -f1-5 "$2") || fail "$1 and $2 differ"
}

step "start slurm"
slurm_start "$T/slurm" || fail "slurm did not start"
sinfo

step "zoo and direct reference runs"
"$B" synth -o "$T/zoo.h5" --checkpoints 6 --tasks 2 --n 300 --val 60 --seed 5 >/dev/null
mpirun -n 2 "$B" run "$T/zoo.h5" --methods nleep,leep --csv "$T/ref.csv" -q --no-progress
SWEEP='nleep:ratio=1|2,pca=0.7|0.9'
mpirun -n 2 "$B" run "$T/zoo.h5" --methods "$SWEEP" --csv "$T/ref-sweep.csv" -q --no-progress

step "rank.sbatch with srun --mpi=pmix"
j=$(sbatch --parsable --ntasks=2 --output="$T/srun-%j.out" "$top/jobs/rank.sbatch" \
      "$T/zoo.h5" "$T/srun.h5" --csv "$T/srun.csv" -q)
slurm_wait "$j" 300 || fail "srun job did not finish"
[ -f "$T/srun.csv" ] || fail "srun job wrote no results"
same_scores "$T/ref.csv" "$T/srun.csv"

step "rank.sbatch with mpirun inside sbatch, values from the environment"
j=$(ZOO="$T/zoo.h5" OUT="$T/mpirun.h5" METHODS=nleep,leep LAUNCHER=mpirun \
      sbatch --parsable --ntasks=2 --output="$T/mpirun-%j.out" "$top/jobs/rank.sbatch")
slurm_wait "$j" 300 || fail "mpirun job did not finish"
"$B" report "$T/mpirun.h5" --scores-csv "$T/mpirun.csv" -q || fail "mpirun job results"
same_scores "$T/ref.csv" "$T/mpirun.csv"

step "submit-audit.sh: ranking job + sweep array (3 shards) + merge after the array"
out=$(METHODS=nleep,leep SWEEP="$SWEEP" SHARDS=3 RANK_TASKS=2 SWEEP_TASKS=1 \
      "$top/jobs/submit-audit.sh" "$T/zoo.h5" "$T/audit" --output="$T/audit-%j.out")
echo "$out"
ids=$(echo "$out" | head -1 | grep -oE '[0-9]+' | tr '\n' ' ')
for id in $ids; do slurm_wait "$id" 600 || fail "audit job $id did not finish"; done
ls "$T/audit/shards/"shard-*-of-3.h5 >/dev/null || fail "no shards"
[ "$(ls "$T/audit/shards/"shard-*-of-3.h5 | wc -l)" -eq 3 ] || fail "expected 3 shards"
[ -f "$T/audit/sweep.csv" ] || fail "merge job wrote nothing"
same_scores "$T/ref-sweep.csv" "$T/audit/sweep.csv"
"$B" report "$T/audit/ranking.h5" --scores-csv "$T/audit-rank.csv" -q
same_scores "$T/ref.csv" "$T/audit-rank.csv"

step "a short time limit: signalled, requeued, resumed, identical results"
# 72 items of ~1 s (the `dummy` test method waits, then returns a seeded score),
# ~36 s on the job's two ranks (both compute): longer than the latest the
# warning signal can come (Slurm checks time limits every ~30 s), whatever the
# CPU speed.
LONG='leep,dummy:ms=1000,dummy:ms=1001,dummy:ms=1002,dummy:ms=1003,dummy:ms=1004,dummy:ms=1005'
mpirun -n 9 "$B" run "$T/zoo.h5" --methods "$LONG" --csv "$T/ref-long.csv" -q --no-progress
j=$(METHODS="$LONG" sbatch --parsable --ntasks=2 --time=1 --signal=B:USR1@55 \
      --output="$T/long-%j.out" "$top/jobs/rank.sbatch" "$T/zoo.h5" "$T/long.h5" \
      --csv "$T/long.csv" -q --no-progress --grace 20)
slurm_wait "$j" 900 || fail "time-limited job did not finish"
cat "$T/long-$j.out"
grep -q "requeueing job $j" "$T/long-$j.out" || fail "the job was not signalled and requeued"
grep -q "restart 1: .*--resume" "$T/long-$j.out" || fail "the requeued job did not resume"
grep -q "from the journal" "$T/long-$j.out" || fail "no items taken from the journal"
same_scores "$T/ref-long.csv" "$T/long.csv"
echo "slurm tests ok"
