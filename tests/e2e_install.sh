#!/bin/sh
# End-to-end: `make install PREFIX=P` puts libckptrank.so (+ SONAME link), the
# public headers, ckptrank.pc and the Python package under P; a C program built
# with nothing but `cc $(pkg-config --cflags --libs ckptrank)` scores in-memory
# pairs through include/ckptrank/score.h:
#   - METHODS.md's LogME worked example (-0.984525168; float32 and float64);
#   - the H-score of the same toy data against numpy (tr(pinv(cov_f) cov_g));
#   - a random pair with nleep, logme, hscore, linear equal, as %.17g text, to
#     `ckptrank run --csv` on the same arrays brought in by `ckptrank import`;
#   - a bad spec and bad labels as statuses with negative return codes.
# The installed Python package finds the installed library. `make uninstall`
# removes every installed file.
set -eu
B=${CKPTRANK:?set CKPTRANK to the binary}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
PY=/usr/bin/python3
if [ "$BUILD" != build ]; then echo "skipped: the shared library is not built in $BUILD"; exit 0; fi
T=$(mktemp -d /tmp/ckr-e2e-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
P=$T/prefix

step "make install PREFIX=$P"
make -s -C "$ROOT" install PREFIX="$P" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
for f in lib/libckptrank.so lib/libckptrank.so.0 lib/pkgconfig/ckptrank.pc \
         include/ckptrank/ckptrank.h include/ckptrank/score.h bin/ckptrank \
         share/man/man1/ckptrank.1 lib/python3/dist-packages/ckptrank/__init__.py; do
  [ -e "$P/$f" ] || fail "$P/$f not installed"
done
[ "$(readlink "$P/lib/libckptrank.so")" = libckptrank.so.0 ] || fail "libckptrank.so -> $(readlink "$P/lib/libckptrank.so")"
objdump -p "$P/lib/libckptrank.so" | grep -q 'SONAME *libckptrank.so.0' || fail "no SONAME libckptrank.so.0"
# only the public API is exported
nm -D --defined-only "$P/lib/libckptrank.so" | awk '$2 == "T" {print $3}' | grep -v '^ckptrank_' &&
  fail "symbols other than ckptrank_* are exported"

step "a C program built with pkg-config only"
cat > "$T/demo.c" <<'C'
#include <ckptrank/score.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *slurp(const char *path, size_t bytes)
{
    void *buf = malloc(bytes);
    FILE *f = fopen(path, "rb");
    if (!buf || !f || fread(buf, 1, bytes, f) != bytes) { fprintf(stderr, "read %s\n", path); exit(2); }
    fclose(f);
    return buf;
}

static void show(const char *tag, int rc, const ckptrank_score_result *r)
{
    printf("%s %d %s %.17g %s\n", tag, rc, r->status, r->score, r->status[0] == 'o' ? "" : r->message);
    if (rc == 0 && !(r->seconds >= 0.0 && r->gflops >= 0.0)) { printf("bad timing\n"); exit(3); }
}

int main(int argc, char **argv)
{
    /* METHODS.md's toy data set: 6 x 2, two classes */
    double F[] = { 1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5 };
    float F32[12];
    int32_t y[] = { 0, 0, 0, 1, 1, 1 };
    for (int i = 0; i < 12; i++) F32[i] = (float)F[i];
    ckptrank_pair p;
    ckptrank_score_result r;
    ckptrank_pair_init(&p);
    p.train_features = (ckptrank_array){ F, CKPTRANK_F64, 6, 2 };
    p.train_labels = (ckptrank_array){ y, CKPTRANK_I32, 6, 1 };
    show("toy-logme-f64", ckptrank_score(&p, "logme", 0, &r), &r);
    show("toy-hscore", ckptrank_score(&p, "hscore", 0, &r), &r);
    show("bad-spec", ckptrank_score(&p, "logme:nosuch=1", 0, &r), &r);
    p.train_features = (ckptrank_array){ F32, CKPTRANK_F32, 6, 2 };
    show("toy-logme-f32", ckptrank_score(&p, "logme", 0, &r), &r);
    int32_t ybad[] = { 0, 0, 0, 1, 1, -1 };
    p.train_labels = (ckptrank_array){ ybad, CKPTRANK_I32, 6, 1 };
    show("bad-labels", ckptrank_score(&p, "logme", 0, &r), &r);
    if (argc < 5) return 0;
    /* X.f64 [N, D] and y.i64 [N] (raw little-endian), the pair "c1"/"t1" */
    size_t N = strtoul(argv[3], NULL, 10), D = strtoul(argv[4], NULL, 10);
    double *X = slurp(argv[1], N * D * 8);
    int64_t *yy = slurp(argv[2], N * 8);
    ckptrank_pair_init(&p);
    p.train_features = (ckptrank_array){ X, CKPTRANK_F64, N, D };
    p.train_labels = (ckptrank_array){ yy, CKPTRANK_I64, N, 1 };
    p.checkpoint = "c1";
    p.task = "t1";
    for (int i = 5; i < argc; i++) {
        int rc = ckptrank_score(&p, argv[i], 3, &r);
        show(argv[i], rc, &r);
    }
    free(X);
    free(yy);
    printf("version %s\n", ckptrank_version());
    return 0;
}
C
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror -o "$T/demo" "$T/demo.c" $(pkg-config --cflags --libs ckptrank) ||
  fail "the C program does not build with pkg-config --cflags --libs ckptrank"
# it runs against the installed copy (rpath from the .pc), not the build tree
ldd "$T/demo" | grep -q "$P/lib/libckptrank.so.0" || { ldd "$T/demo"; fail "not linked to $P/lib"; }

step "the same random pair through ckptrank import + run"
cd "$T"
$PY - <<'PY'
import numpy as np
rng = np.random.default_rng(42)
y = rng.integers(0, 4, 200)
X = rng.normal(size=(200, 10)) + 1.5 * np.eye(4, 10)[y]
X.astype("<f8").tofile("X.f64"); y.astype("<i8").tofile("y.i64")
np.save("X.npy", X); np.save("y.npy", y)
F = np.array([1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5]).reshape(6, 2)
yt = np.array([0, 0, 0, 1, 1, 1])
# H-score tr(pinv(cov_f) cov_g): cov_g of the rows replaced by their class means
G = np.stack([F[yt == c].mean(0) for c in yt])
h = np.trace(np.linalg.pinv(np.cov(F, rowvar=False, bias=True)) @ np.cov(G, rowvar=False, bias=True))
open("hscore.ref", "w").write(repr(h))
PY
"$B" import zoo.h5 --checkpoint c1 --task t1 --train-features X.npy --train-labels y.npy >/dev/null
SPECS="nleep logme hscore linear"
"$B" run zoo.h5 --methods "$(echo $SPECS | tr ' ' ,)" --seed 3 --csv s.csv >/dev/null 2>run.err ||
  { cat run.err; fail "run"; }
"$T/demo" X.f64 y.i64 200 10 $SPECS > demo.out || { cat demo.out; fail "the C program failed"; }
cat demo.out
$PY - <<'PY'
import csv
out = {l.split()[0]: l.split() for l in open("demo.out")}
def val(tag):
    return float(out[tag][3])
for tag in ("toy-logme-f64", "toy-logme-f32"):
    assert out[tag][1:3] == ["0", "ok"] and abs(val(tag) - (-0.984525168)) < 1e-9, out[tag]
h = float(open("hscore.ref").read())
assert out["toy-hscore"][2] == "ok" and abs(val("toy-hscore") - h) <= 1e-10 * abs(h), (out["toy-hscore"], h)
assert out["bad-spec"][1:3] == ["-5", "bad-argument"] and "nosuch" in " ".join(out["bad-spec"]), out["bad-spec"]
assert out["bad-labels"][1:3] == ["-3", "bad-data"], out["bad-labels"]
n = 0
for row in csv.DictReader(open("s.csv")):
    o = out[row["method"]]
    assert o[1:3] == ["0", row["status"]] and o[3] == row["score"], (row, o)
    n += 1
assert n == 4, n
print("C API equals the closed forms and the CLI (%d methods)" % n)
PY

step "the installed Python package finds the installed library"
env -u CKPTRANK_LIB PYTHONPATH="$P/lib/python3/dist-packages" $PY -c '
import numpy as np, ckptrank, ckptrank._lib as L
r = ckptrank.score(np.array([[1, .5], [2, 1], [3, -.5], [5, 0], [.5, 2], [1.5, 1.5]]),
                   np.array([0, 0, 0, 1, 1, 1]), method="logme")
assert r.status == "ok" and abs(r.score + 0.984525168) < 1e-9, r
print("python from the prefix:", r.score)' || fail "installed Python package"

step "make uninstall removes it all"
make -s -C "$ROOT" uninstall PREFIX="$P" >/dev/null
left=$(find "$P" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "e2e_install: ok"
