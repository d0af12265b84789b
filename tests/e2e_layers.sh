#!/bin/bash
# The house rules that hold the source tree together, checked on every
# `make check`:
#   - layering: each src/<layer> includes only the layers below it (the
#     table below); nothing outside src/cli includes cli/;
#   - one file, one job: no source file over 600 lines;
#   - every public header under src/ and include/ starts with a comment
#     (its contract).
set -u
cd "$(dirname "$0")/.."
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# layer -> the layers its files may include (besides system headers)
declare -A allowed=(
  [core]="core"
  [util]="util core"
  [zoo]="zoo util core"
  [linalg]="linalg util core"
  [metrics]="metrics util core"
  [train]="train linalg util core"
  [methods]="methods train linalg util core"
  [report]="report metrics util core ckptrank"
  [sched]="sched methods zoo report metrics linalg train util core ckptrank"
  [api]="api sched methods zoo report metrics linalg train util core ckptrank"
  [cli]="cli api sched methods zoo report metrics linalg train util core ckptrank"
)

checked=0
for f in src/*/*.[ch]; do
  layer=$(basename "$(dirname "$f")")
  ok=${allowed[$layer]:-}
  [ -n "$ok" ] || { bad "$f: layer '$layer' is not in the layering table of tests/e2e_layers.sh"; continue; }
  while IFS= read -r inc; do
    dep=${inc%%/*}
    case " $ok " in
      *" $dep "*) ;;
      *) bad "$f includes \"$inc\": $layer may include only: $ok" ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\/[^"]*\)".*/\1/p' "$f")
  checked=$((checked + 1))
  n=$(wc -l < "$f")
  [ "$n" -le 600 ] || bad "$f has $n lines (one file, one job: at most 600)"
done
for f in src/*/*.h include/ckptrank/*.h; do
  head -1 "$f" | grep -q '^/\*' || bad "$f does not start with a comment stating its contract"
done
# the rules above must see the tree: a broken glob would pass vacuously
[ "$checked" -gt 50 ] || bad "only $checked source files found under src/"
[ "$fail" -eq 0 ] && echo "layers ok: $checked files"
exit "$fail"
