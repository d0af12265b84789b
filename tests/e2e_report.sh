#!/bin/sh
# End-to-end: `report --html`, `--json` on run/report/evaluate/merge, the man
# page and `make install`/`uninstall`. The page must be well-formed XML (so
# must each of its SVGs), self-contained, render in a headless Chromium (not
# blank) with one point per ranked checkpoint per method per task; the JSON
# must parse and equal the CSVs field by field. Checks: tests/report_check.py.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CHECK="$PY $HERE/report_check.py"
T=$(mktemp -d /tmp/ckr-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "tools: xmllint and chromium (make deps installs them)"
command -v xmllint >/dev/null || fail "xmllint is not installed (Debian package libxml2-utils)"
CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || fail "chromium is not installed (Debian package chromium)"
# headless, no sandbox (root), and no network at all: every host resolves to nothing
chrome() {
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --disable-default-apps --no-first-run --no-default-browser-check \
    --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server=127.0.0.1:9 \
    --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@" 2>>"$T/chrome.log"
}

step "a zoo with one checkpoint named to need escaping everywhere"
"$B" synth -o "$T/zoo.h5" --checkpoints 6 --tasks 3 --n 200 --val 50 --dim 16 --seed 4 >/dev/null
$PY - "$T/zoo.h5" "$T/gt.csv" <<'PY'
import csv, sys, h5py
f = h5py.File(sys.argv[1], "r+")
f.move("checkpoints/ckpt02", "checkpoints/ck,<&\"'>\u00e9\u2603\x01")
with open(sys.argv[2], "w", newline="", encoding="utf-8") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["checkpoint", "task", "accuracy"])
    for c in f["checkpoints"]:
        for t in f["checkpoints"][c]:
            w.writerow([c, t, repr(float(f["checkpoints"][c][t].attrs["finetune_accuracy"]))])
PY
"$B" validate "$T/zoo.h5" >/dev/null || fail "the renamed zoo is not valid"

cd "$T"
step "run --json on 2 ranks; dummy:fail=1 fails on every pair"
M=nleep,leep,logme,hscore,dummy:fail=1
mpirun -n 2 "$B" run zoo.h5 --methods "$M" -o r.h5 --csv s.csv --metrics-csv m.csv --json run.json \
  -q --no-progress 2>run.err || fail "run exit $?"
$CHECK json-csv run.json s.csv m.csv gt.csv || fail "run --json differs from the CSVs"
$PY - run.json "$M" <<'PY' || fail "run --json provenance or rows"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
p = d["provenance"]
assert p["n_ranks"] == 2 and p["seed"] == 0 and p["methods"] == sys.argv[2], p
assert p["zoo"] == "zoo.h5" and "--json run.json" in p["command_line"], p
assert p["start_time"].endswith("Z") and p["version"], p
assert d["k"] == [1, 3], d["k"]
bad = [s for s in d["scores"] if s["method"] == "dummy:fail=1"]
assert len(bad) == 18 and all(s["status"] == "dummy-failure" and s["message"] and s["score"] is None
                              for s in bad), bad[:1]
assert any(s["checkpoint"] == "ck,<&\"'>\u00e9\u2603\x01" for s in d["scores"])
assert len(d["ground_truth"]) == 18
PY

step "report --html --json (and the CSVs)"
"$B" report r.h5 --html rep.html --json rep.json --csv rm.csv --scores-csv rs.csv -q \
  || fail "report exit $?"
$CHECK json-csv rep.json rs.csv rm.csv gt.csv || fail "report --json differs from the CSVs"
cmp run.json rep.json || fail "report --json differs from run --json"
"$B" report r.h5 --html rep2.html -q
cmp rep.html rep2.html || fail "the page is not reproducible"

step "evaluate --json and merge --json"
"$B" evaluate --scores s.csv --ground-truth gt.csv --csv em.csv --json ev.json -q \
  || fail "evaluate exit $?"
$CHECK json-csv ev.json s.csv em.csv gt.csv || fail "evaluate --json differs from the CSVs"
cmp em.csv m.csv || fail "evaluate and run metrics differ"
$PY -c 'import json,sys; p=json.load(open(sys.argv[1]))["provenance"]; assert p["zoo"] is None and "evaluate" in p["command_line"], p' ev.json \
  || fail "evaluate --json provenance"
"$B" merge r.h5 -o mg.h5 --csv mgs.csv --metrics-csv mgm.csv --json mg.json -q 2>/dev/null \
  || fail "merge exit $?"
$CHECK json-csv mg.json mgs.csv mgm.csv gt.csv || fail "merge --json differs from the CSVs"

step "the page and every SVG in it are well-formed XML; the page is self-contained"
xmllint --noout rep.html || fail "xmllint rejects the page"
mkdir svg
nsvg=$($CHECK svgs rep.html svg) || fail "no SVG"
# 1 legend + 2 cost charts + 3 tasks x (5 methods + the consensus) scatter panels
[ "$nsvg" -eq 21 ] || fail "expected 21 SVGs, found $nsvg"
for f in svg/*.svg; do xmllint --noout "$f" || fail "xmllint rejects $f"; done
$CHECK self-contained rep.html || fail "the page is not self-contained"
grep -q 'Pearson 0\.[0-9]\{3\} .* Kendall [0-9-]' rep.html || fail "no Pearson/Kendall in the panel titles"
grep -q 'class="pt top"' rep.html || fail "no top-scored mark"
grep -q 'class="ring"' rep.html || fail "no best-ground-truth ring"
grep -q 'class="num best"' rep.html || fail "no highlighted best value"
grep -q 'dummy-failure' rep.html || fail "no failed items table"
grep -qF 'data-ckpt="ck,&lt;&amp;&quot;&#39;&gt;é☃' rep.html || fail "checkpoint name not escaped"
grep -qF -- '--json run.json' rep.html || fail "no provenance command line"

step "headless Chromium (no network) renders it: not blank, one point per checkpoint per method"
chrome --screenshot="$T/shot.png" --window-size=1400,3000 "file://$T/rep.html" >/dev/null \
  || { tail -5 chrome.log; fail "chromium --screenshot exit"; }
[ -s shot.png ] || { tail -5 chrome.log; fail "no screenshot"; }
$CHECK png shot.png || fail "the screenshot looks blank"
chrome --dump-dom "file://$T/rep.html" > dom.html || { tail -5 chrome.log; fail "chromium --dump-dom"; }
$CHECK dom dom.html rep.json || fail "the DOM's points"

step "no ground truth: the page says so and tabulates the scores"
cp zoo.h5 nogt.h5
$PY - nogt.h5 <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r+")
for c in f["checkpoints"]:
    for t in f["checkpoints"][c]:
        del f["checkpoints"][c][t].attrs["finetune_accuracy"]
PY
"$B" run nogt.h5 --methods nleep,leep -o rn.h5 --json rn.json -q --no-progress 2>/dev/null \
  || fail "run without ground truth exit $?"
"$B" report rn.h5 --html nogt.html --json rnr.json -q || fail "report without ground truth exit $?"
cmp rn.json rnr.json || fail "no-ground-truth JSONs differ"
xmllint --noout nogt.html || fail "xmllint rejects the no-ground-truth page"
$CHECK self-contained nogt.html || fail "no-ground-truth page not self-contained"
grep -q 'table class="scores"' nogt.html || fail "no scores table without ground truth"
chrome --dump-dom "file://$T/nogt.html" > nogt-dom.html || fail "chromium --dump-dom (no ground truth)"
$CHECK dom nogt-dom.html rn.json --no-gt || fail "the no-ground-truth DOM"

step "man page: renders without warnings, documents every command, option, method and parameter"
cd "$ROOT"
if command -v groff >/dev/null; then
  groff -ww -man -Tutf8 doc/ckptrank.1 >/dev/null 2>"$T/groff.err"
  [ ! -s "$T/groff.err" ] || { cat "$T/groff.err"; fail "groff warnings"; }
fi
if command -v man >/dev/null; then
  MANWIDTH=80 man -l doc/ckptrank.1 >/dev/null 2>"$T/man.err"
  [ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man -l warnings"; }
fi
command -v groff >/dev/null || command -v man >/dev/null || echo "note: neither groff nor man installed: rendering not checked"
$CHECK man doc/ckptrank.1 "$B" || fail "the man page is incomplete"

step "make install / uninstall PREFIX=..."
SAN=""
[ "${BUILD:-build}" = build-san ] && SAN="SANITIZE=1"
P="$T/prefix"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" install PREFIX="$P" $SAN \
  > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
[ -x "$P/bin/ckptrank" ] || fail "make install: no $P/bin/ckptrank"
[ -f "$P/share/man/man1/ckptrank.1" ] || fail "make install: no man page"
cmp doc/ckptrank.1 "$P/share/man/man1/ckptrank.1" || fail "installed man page differs"
"$P/bin/ckptrank" methods | grep -q '^nleep' || fail "the installed binary does not run"
if command -v man >/dev/null; then
  found=$(MANPATH="$P/share/man" man -w ckptrank) || fail "man -w ckptrank finds nothing"
  [ "$found" = "$P/share/man/man1/ckptrank.1" ] || fail "man -w ckptrank: $found"
fi
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" uninstall PREFIX="$P" $SAN \
  > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make uninstall"; }
[ ! -e "$P/bin/ckptrank" ] || fail "make uninstall left the binary"
[ ! -e "$P/share/man/man1/ckptrank.1" ] || fail "make uninstall left the man page"
echo "ok"
