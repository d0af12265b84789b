#!/bin/bash
# bench/team_scaling.sh -- one big pair scored by a team of P ranks
# (--team-size P --team-above 0) against one process, P = 1, 2, 4.
#
# The pair is a synthetic N x D zoo pair (default N=20000, D=1024, C=10;
# TEAM_N, TEAM_D override; `ckptrank synth` varies D by checkpoint, so the
# zoo has one checkpoint and one task) scored with the team methods
# (default logme,hscore,transrate,gbc). Each line: the wall time of
# `ckptrank run` (best of REPS, default 2), the speedup over one process
# and the efficiency; runs with more ranks than cores are marked
# oversubscribed (their ranks share cores, so efficiency there measures
# the overhead, not the scaling). Prints markdown rows prefixed by "@@"
# (bench/record.sh collects them). Usage: bench/team_scaling.sh [BUILD_DIR]
set -u
BUILD=${1:-${BUILD:-build}}
BIN=$(pwd)/$BUILD/ckptrank
N=${TEAM_N:-20000}
D=${TEAM_D:-1024}
REPS=${REPS:-2}
# LogME in its default (exact) form: logme:form=thuml counts the
# rounding-level eigenvalues of rank-deficient features (synthetic ones
# are), which differ between one rank and a team
METHODS=${TEAM_METHODS:-logme,hscore,transrate,gbc}
CORES=$(OMP_NUM_THREADS='' nproc)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
TMP=$(mktemp -d /tmp/ckr-teambench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

calc() { awk "BEGIN { print $1 }"; }

best_of() { # CMD...: the smallest wall time of REPS runs, seconds
    local best="" t0 t1 t
    for _ in $(seq "$REPS"); do
        t0=$(date +%s.%N)
        "$@" >"$TMP/out" 2>"$TMP/err" || { echo "FAILED: $*" >&2; tail -5 "$TMP/err" >&2; echo nan; return; }
        t1=$(date +%s.%N)
        t=$(calc "$t1 - $t0")
        if [ -z "$best" ] || [ "$(calc "($t < $best) ? 1 : 0")" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

# scale PAIR_N PAIR_D METHODS LABEL: one pair at one process and on teams of 2 and 4
scale() {
    local n=$1 d=$2 methods=$3 label=$4
    "$BIN" synth -o "$TMP/zoo.h5" --checkpoints 1 --tasks 1 --classes 10 -n "$n" --val 100 \
      --dim "$d" --no-logits >/dev/null || { echo "synth failed"; exit 1; }
    d=$("$BIN" info "$TMP/zoo.h5" | awk '/^pairs:/ { p = 1; next } p && NF >= 4 && $3 ~ /^[0-9]+$/ { print $4; exit }')
    echo "team scaling ($label): one pair, N=$n, D=$d, C=10 ($(calc "$n * $d * 8 / 1048576" | xargs printf %.0f) MB of features as doubles); methods $methods"
    echo "@@"
    echo "@@ $label: one pair, N = $n, D = $d, C = 10, methods \`$methods\`; wall time of \`ckptrank run\` (launch and read included), best of $REPS."
    echo "@@"
    echo "@@ | ranks | team size | seconds | speedup | efficiency | note |"
    echo "@@ |---|---|---|---|---|---|"
    t1=$(best_of "$BIN" run "$TMP/zoo.h5" -m "$methods" -q --no-progress --csv "$TMP/one.csv")
    echo "@@ | 1 (no mpirun) | 1 | $(printf %.2f "$t1") | 1.00 | 1.00 | |"
    for P in 2 4; do
        t=$(best_of mpirun -n $P "$BIN" run "$TMP/zoo.h5" -m "$methods" -q --no-progress \
            --team-size $P --team-above 0 --csv "$TMP/p$P.csv")
        note=""
        [ "$P" -gt "$CORES" ] && note="oversubscribed: $P ranks on $CORES cores"
        echo "@@ | $P | $P | $(printf %.2f "$t") | $(calc "$t1 / $t" | xargs printf %.2f) | $(calc "$t1 / $t / $P" | xargs printf %.2f) | $note |"
        # the scores agree with the one-process run (1e-10 relative)
        paste -d, "$TMP/one.csv" "$TMP/p$P.csv" | awk -F, 'NR > 1 && $4 != "" {
            r = ($4 - $11) / ($4 < 0 ? -$4 : $4); if (r < 0) r = -r;
            if (r > 1e-10) { print "MISMATCH " $3 ": " $4 " vs " $11; bad = 1 } }
            END { exit bad }' || echo "team scores differ from one process at P=$P"
    done
}

echo "$CORES cores here; best of $REPS runs; OPENBLAS_NUM_THREADS=1"
echo "@@ ## Team scaling of one big pair"
echo "@@"
echo "@@ \`--team-size P --team-above 0\`: the pair's rows split over the P ranks of a team (collective reads), Grams and mixture statistics summed over the team, small eigenproblems solved by the leader and broadcast (ScaLAPACK from 8 ranks and D >= 4096). $CORES cores here: P = 4 shares them."
scale "$N" "$D" "$METHODS" "Closed-form scores"
scale "${TEAM_NLEEP_N:-20000}" "${TEAM_NLEEP_D:-256}" nleep "NLEEP"
