#!/bin/sh
# Install the Debian packages ckptrank needs (when root), or print the apt-get line.
PKGS="build-essential libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools libscalapack-openmpi-dev
libopenblas-dev libcmocka-dev python3-numpy python3-scipy python3-sklearn python3-h5py
libxml2-utils chromium fonts-liberation groff-base man-db"
# `SLURM=1 sh tools/deps.sh` (make check-slurm) adds a local Slurm for the job tests
[ "${SLURM:-0}" = 1 ] && PKGS="$PKGS slurm-wlm munge"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "deps: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "deps: apt-get install failed" >&2; exit 1; }
else
  echo "deps: missing packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
