#!/usr/bin/python3
"""report_check.py -- checks of tests/e2e_report.sh on the report, JSON and man page.

  json-csv JSON SCORES.csv METRICS.csv [GT.csv]  the JSON rows equal the CSV rows, field by field
  svgs HTML OUTDIR                 each <svg>...</svg> of the page, verbatim, to OUTDIR/NNN.svg
  self-contained HTML              no script, no external URL, font or stylesheet
  png PNG                          a screenshot is not blank (decoded with zlib + numpy)
  dom DOM JSON [--no-gt]           the browser's DOM has one circle.pt per ranked checkpoint
                                   per method per task (and none without ground truth)
  man MANPAGE BINARY               the man page names every subcommand, option, method,
                                   parameter, output column and exit status
  ranking SCORES.csv RANKING.csv JSON [STDOUT TOP]
                                   the ranking CSV and the JSON's ranking and agreement
                                   equal scipy's (rankdata, kendalltau) from the scores;
                                   the stdout ranking: consensus first, TOP rows
Exit status 0 when the check passes; a message on stderr otherwise.
"""
import csv
import html.parser
import json
import math
import re
import struct
import subprocess
import sys
import zlib

import numpy as np


def fail(msg):
    sys.stderr.write("report_check: %s\n" % msg)
    sys.exit(1)


# ---- JSON against CSV ------------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def same_num(text, val, where):
    if text == "":
        if val is not None:
            fail("%s: CSV empty, JSON %r" % (where, val))
        return
    if val is None or float(text) != float(val) or (isinstance(val, float) and math.isnan(val)):
        fail("%s: CSV %r, JSON %r" % (where, text, val))


def check_json_csv(jpath, spath, mpath, gpath=None):
    with open(jpath, encoding="utf-8") as f:
        doc = json.load(f)
    for key in ("provenance", "scores", "metrics", "ground_truth", "k"):
        if key not in doc:
            fail("%s: no %r" % (jpath, key))
    hdr, rows = read_csv(spath)
    if hdr != ["checkpoint", "task", "method", "score", "status", "seconds", "gflops", "terms"]:
        fail("%s: header %r" % (spath, hdr))
    if len(rows) != len(doc["scores"]):
        fail("%d score rows in the CSV, %d in the JSON" % (len(rows), len(doc["scores"])))
    for i, (c, j) in enumerate(zip(rows, doc["scores"])):
        where = "scores row %d" % (i + 1)
        for k in ("checkpoint", "task", "method", "status", "terms"):
            if c[k] != j[k]:
                fail("%s: %s CSV %r, JSON %r" % (where, k, c[k], j[k]))
        for k in ("score", "seconds", "gflops"):
            same_num(c[k], j[k], "%s %s" % (where, k))
        if (j["score"] is None) != (j["status"] != "ok"):
            fail("%s: score %r with status %r" % (where, j["score"], j["status"]))
        for k in ("message", "info", "sweep"):
            if not isinstance(j[k], str):
                fail("%s: %s is not a string" % (where, k))
        if not isinstance(j["best"], bool):
            fail("%s: best is not a boolean" % where)
    hdr, rows = read_csv(mpath)
    if len(rows) != len(doc["metrics"]):
        fail("%d metric rows in the CSV, %d in the JSON" % (len(rows), len(doc["metrics"])))
    ks = ["recall@%d" % k for k in doc["k"]]
    for k in ks:
        if k not in hdr:
            fail("JSON k %r but the metrics CSV has %r" % (doc["k"], hdr))
    for i, (c, j) in enumerate(zip(rows, doc["metrics"])):
        where = "metrics row %d" % (i + 1)
        for k in hdr:
            if k in ("task", "method"):
                if c[k] != j[k]:
                    fail("%s: %s CSV %r, JSON %r" % (where, k, c[k], j[k]))
            elif k == "n_checkpoints":
                if int(c[k]) != j[k]:
                    fail("%s: n_checkpoints CSV %r, JSON %r" % (where, c[k], j[k]))
            else:
                same_num(c[k], j[k], "%s %s" % (where, k))
        for k in ("n_excluded", "mean_seconds", "mean_gflops"):
            if k not in j:
                fail("%s: no %s" % (where, k))
    if gpath:
        _, rows = read_csv(gpath)
        got = {(g["checkpoint"], g["task"]): g["accuracy"] for g in doc["ground_truth"]}
        want = {(g["checkpoint"], g["task"]): float(g["accuracy"]) for g in rows}
        if got != want:
            fail("ground truth differs from %s" % gpath)
    print("json-csv: %d scores, %d metrics, %d ground truth rows agree" %
          (len(doc["scores"]), len(doc["metrics"]), len(doc["ground_truth"])))


# ---- the page ---------------------------------------------------------------------

def check_svgs(path, outdir):
    text = open(path, encoding="utf-8").read()
    svgs = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    if not svgs:
        fail("%s: no <svg>" % path)
    for i, s in enumerate(svgs):
        if 'xmlns="http://www.w3.org/2000/svg"' not in s.split(">", 1)[0]:
            fail("svg %d has no SVG namespace" % i)
        with open("%s/%03d.svg" % (outdir, i), "w", encoding="utf-8") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + s)
    print(len(svgs))


def check_self_contained(path):
    text = open(path, encoding="utf-8").read()
    low = text.lower()
    for bad in ("<script", "<link", "<iframe", "<img", "<object", "<embed", "@import",
                "@font-face", "url(", "src=", "href=\"http", "href=\"//"):
        if bad in low:
            fail("%s: contains %r" % (path, bad))
    urls = set(re.findall(r"(?:https?|ftp)://[^\s\"'<>)]+", text))
    allowed = {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}
    if urls - allowed:
        fail("%s: external URLs %r" % (path, sorted(urls - allowed)))
    for m in re.finditer(r'href="([^"]*)"', text):
        if not m.group(1).startswith("#"):
            fail("%s: link %r is not within the page" % (path, m.group(1)))
    print("self-contained: ok")


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or interlace != 0 or ctype not in (2, 6):
        fail("%s: unsupported PNG (depth %d, colour type %d, interlace %d)" %
             (path, depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    img = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        off = y * (stride + 1)
        ft = raw[off]
        line = np.frombuffer(raw, np.uint8, stride, off + 1).astype(np.int64)
        if ft == 0:
            cur = line
        elif ft == 1:
            cur = line.reshape(w, bpp).cumsum(axis=0).reshape(-1) % 256
        elif ft == 2:
            cur = (line + prev) % 256
        elif ft in (3, 4):
            ln, up, out = line.tolist(), prev.tolist(), [0] * stride
            for x in range(stride):
                a = out[x - bpp] if x >= bpp else 0
                b = up[x]
                if ft == 3:
                    out[x] = (ln[x] + ((a + b) >> 1)) & 255
                else:
                    c = up[x - bpp] if x >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    out[x] = (ln[x] + pr) & 255
            cur = np.array(out, np.int64)
        else:
            fail("%s: bad filter %d" % (path, ft))
        img[y] = cur
        prev = cur
    return img.reshape(h, w, bpp)[:, :, :3]


def check_png(path):
    img = read_png(path).astype(np.int64)
    h, w, _ = img.shape
    nonwhite = np.any(img < 245, axis=2)
    frac = nonwhite.mean()
    keys = np.unique(img[:, :, 0] * 65536 + img[:, :, 1] * 256 + img[:, :, 2])
    print("png: %dx%d, %.1f%% non-white pixels, %d colours" % (w, h, 100 * frac, len(keys)))
    if frac < 0.02:
        fail("%s: blank (%.2f%% non-white)" % (path, 100 * frac))
    if len(keys) < 50:
        fail("%s: only %d colours" % (path, len(keys)))

    def near(rgb, tol=40):
        d = np.abs(img - np.array(rgb)).sum(axis=2)
        return int((d < tol).sum())
    # the report's colours: points (blue at 75% opacity), top-scored (orange), rings (green)
    for name, rgb in (("blue point", (108, 147, 223)), ("orange top-scored", (232, 113, 10)),
                      ("green ring", (26, 156, 74))):
        n = near(rgb)
        print("png: %d %s pixels" % (n, name))
        if n < 20:
            fail("%s: no %s drawn" % (path, name))


class DomCount(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.points, self.cost, self.titles, self.stack = {}, 0, 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "circle" and "pt" in cls:
            key = (a.get("data-task"), a.get("data-method"))
            self.points.setdefault(key, []).append(a.get("data-ckpt"))
        if tag == "circle" and "cost-pt" in cls:
            self.cost += 1
        if tag == "title" and self.stack and self.stack[-1] == "pt":
            self.titles += 1
        self.stack.append("pt" if tag == "circle" and "pt" in cls else tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.stack.pop()

    def handle_endtag(self, tag):
        while self.stack:
            t = self.stack.pop()
            if t == tag or (t == "pt" and tag == "circle"):
                break


def xml_safe(s):
    """s as the page writes it: characters XML forbids become U+FFFD."""
    return "".join("\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff"
                   else ch for ch in s)


def expected_points(doc):
    """Per (task, method): the checkpoints the metrics rank (the row with best
    first, else the first; ok, with a ground truth)."""
    gt = {(g["checkpoint"], g["task"]) for g in doc["ground_truth"] if g["accuracy"] is not None}
    chosen = {}
    for s in doc["scores"]:
        key = (s["task"], s["method"], s["checkpoint"])
        if key not in chosen or (s["best"] and not chosen[key]["best"]):
            chosen[key] = s
    out = {}
    for (t, m, c), s in chosen.items():
        key = (xml_safe(t), xml_safe(m))
        out.setdefault(key, [])
        if s["status"] == "ok" and s["score"] is not None and (c, t) in gt:
            out[key].append(xml_safe(c))
    # the consensus is a method of the page (its score: minus the mean rank)
    for r in doc.get("ranking", []):
        if r["method"] == "consensus":
            key = (xml_safe(r["task"]), "consensus")
            out.setdefault(key, [])
            if (r["checkpoint"], r["task"]) in gt:
                out[key].append(xml_safe(r["checkpoint"]))
    return out


def check_dom(dompath, jpath, no_gt=False):
    dom = open(dompath, encoding="utf-8").read()
    if "ckptrank report" not in dom:
        fail("%s: the browser did not load the report" % dompath)
    p = DomCount()
    p.feed(dom)
    with open(jpath, encoding="utf-8") as f:
        doc = json.load(f)
    total = sum(len(v) for v in p.points.values())
    if no_gt:
        if total:
            fail("no ground truth but %d points" % total)
        if "no ground truth" not in dom.lower():
            fail("the page does not say it has no ground truth")
        print("dom: no points, says there is no ground truth")
        return
    want = expected_points(doc)
    for key, ck in want.items():
        got = sorted(p.points.get(key, []))
        if got != sorted(ck):
            fail("task %r method %r: %d points in the DOM, %d expected" %
                 (key[0], key[1], len(got), len(ck)))
    extra = set(p.points) - set(want)
    if extra:
        fail("points of unknown (task, method) %r" % sorted(extra))
    if p.titles != total:
        fail("%d points but %d point titles" % (total, p.titles))
    methods = {s["method"] for s in doc["scores"]}
    ranked = {m for m in methods if any(r["method"] == m and r["task"] == "mean" and
                                         r["kendall"] is not None for r in doc["metrics"])}
    if p.cost != 2 * len(ranked):
        fail("%d cost points, expected 2 x %d methods" % (p.cost, len(ranked)))
    print("dom: %d points over %d (task, method) panels, %d cost points" %
          (total, len(want), p.cost))


# ---- the ranking ("which checkpoint?") -------------------------------------------

def check_ranking(spath, rpath, jpath, outpath=None, top=None):
    """The ranking CSV and the JSON's ranking/agreement against scipy, from the
    scores CSV: per task and method, rankdata(-score, "average") over the ok
    scores; the consensus = mean rank over the methods (grid points of a sweep
    excluded: not in this test), ordered by mean rank then name, needs >= 2
    methods; agreement = kendalltau over the common checkpoints. With outpath
    and top: the stdout ranking shows the consensus first and top rows."""
    import numpy as np
    import scipy.stats as st
    def dict_rows(path):
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    scores, methods = {}, []
    for r in dict_rows(spath):
        if r["method"] not in methods:
            methods.append(r["method"])
        if r["status"] == "ok" and r["score"] != "":
            scores.setdefault((r["task"], r["method"]), {}).setdefault(r["checkpoint"], float(r["score"]))
    want = []
    agree = {}
    for t in sorted({t for t, _ in scores}):
        ranks = {}
        for m in methods:
            sc = scores.get((t, m))
            if not sc:
                continue
            cks = sorted(sc)
            ranks[m] = dict(zip(cks, st.rankdata([-sc[c] for c in cks], method="average")))
        ms = [m for m in methods if m in ranks]
        if len(ms) >= 2:
            cons = sorted((float(np.mean([ranks[m][c] for m in ms if c in ranks[m]])), c)
                          for c in {c for m in ms for c in ranks[m]})
            want += [(t, "consensus", float(i + 1), c, mr) for i, (mr, c) in enumerate(cons)]
            for i, a in enumerate(ms):
                for b in ms[i + 1:]:
                    common = sorted(set(ranks[a]) & set(ranks[b]))
                    agree[(t, a, b)] = float(st.kendalltau([scores[(t, a)][c] for c in common],
                                                           [scores[(t, b)][c] for c in common])[0])
        for m in ms:
            want += [(t, m, float(r), c, scores[(t, m)][c])
                     for r, c in sorted((r, c) for c, r in ranks[m].items())]
    got = [(r["task"], r["method"], float(r["rank"]), r["checkpoint"], float(r["score"]))
           for r in dict_rows(rpath)]
    if len(got) != len(want):
        fail("ranking CSV: %d rows, scipy %d" % (len(got), len(want)))
    for g, w in zip(got, want):
        if g[:4] != w[:4] or abs(g[4] - w[4]) > 1e-12 * max(1.0, abs(w[4])):
            fail("ranking CSV row %r, scipy %r" % (g, w))
    with open(jpath, encoding="utf-8") as f:
        doc = json.load(f)
    jr = [(r["task"], r["method"], float(r["rank"]), r["checkpoint"], float(r["score"]))
          for r in doc["ranking"]]
    if jr != got:
        fail("JSON ranking differs from the ranking CSV")
    n = 0
    for a in doc["agreement"]:
        ms = a["methods"]
        for i in range(len(ms)):
            if a["kendall"][i][i] != 1:
                fail("agreement diagonal")
            for j in range(i + 1, len(ms)):
                w = agree[(a["task"], ms[i], ms[j])]
                g = a["kendall"][i][j]
                if g != a["kendall"][j][i] or abs(g - w) > 1e-12:
                    fail("agreement %s %s %s: %r, scipy %r" % (a["task"], ms[i], ms[j], g, w))
                n += 1
    if n != len(agree):
        fail("agreement: %d pairs in the JSON, scipy %d" % (n, len(agree)))
    if outpath:
        top = int(top)
        text = open(outpath, encoding="utf-8").read()
        blocks = [b for b in text.split("\n\n") if b.startswith("task ") and ": the best " in b]
        tasks = sorted({t for t, _ in scores})
        if len(blocks) != len(tasks):
            fail("stdout: %d task blocks, expected %d" % (len(blocks), len(tasks)))
        for b, t in zip(blocks, tasks):
            lines = b.strip("\n").split("\n")
            head = lines[1].split()
            if head[:2] != ["rank", "consensus"]:
                fail("stdout: the consensus is not the first column: %r" % lines[1])
            if len(lines) != 2 + top:
                fail("stdout task %s: %d rows, expected %d" % (t, len(lines) - 2, top))
            first = [w for w in want if w[0] == t and w[1] == "consensus"][:top]
            for line, w in zip(lines[2:], first):
                cells = line.split()
                if cells[1] != w[3] or abs(float(cells[2]) - w[4]) > 0.005:
                    fail("stdout task %s: %r, expected %s %.2f" % (t, line, w[3], w[4]))
    print("ranking: %d rows and %d agreement pairs equal scipy's" % (len(got), n))


# ---- the man page -------------------------------------------------------------------

def check_man(manpath, binary):
    src = open(manpath, encoding="utf-8").read()
    text = src.replace("\\:", "").replace("\\-", "-").replace("\\(bv", "|").replace("\\e", "\\")
    sections = re.split(r"^\.S[HS] ", text, flags=re.M)

    def section(title_re):
        for s in sections:
            head = s.split("\n", 1)[0]
            if re.search(title_re, head):
                return s
        fail("%s: no section matching %r" % (manpath, title_re))

    def run(*args):
        return subprocess.run([binary] + list(args), capture_output=True, text=True,
                              check=True).stdout

    top = run("--help")
    cmds = re.findall(r"^  ([a-z]+) ", top.split("commands:", 1)[1].split("\n\n", 1)[0], re.M)
    if len(cmds) < 9:
        fail("found only %r in `ckptrank --help`" % cmds)
    for c in cmds:
        body = section(r'ckptrank %s\b' % c)
        for opt in set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", run(c, "--help"))):
            if not re.search(r"--%s\b" % re.escape(opt), body):
                fail("man page: `ckptrank %s` does not document --%s" % (c, opt))
        for opt in set(re.findall(r"^  -([a-zA-Z]), ", run(c, "--help"), re.M)):
            if not re.search(r"(?<![\w-])-%s\b" % opt, body):
                fail("man page: `ckptrank %s` does not document -%s" % (c, opt))
    methods = section(r"^METHODS")
    listing = run("methods")
    names = re.findall(r"^([a-z_]+)\s*$", listing, re.M)
    if len(names) < 10:
        fail("found only %r in `ckptrank methods`" % names)
    for block in re.split(r"^(?=[a-z_]+\s*$)", listing, flags=re.M):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].strip():
            continue
        name = lines[0].strip()
        body = re.split(r"^\.TP\n\.B %s\b" % re.escape(name), methods, maxsplit=1, flags=re.M)
        if len(body) < 2:
            fail("man page: no entry for method %s in METHODS" % name)
        entry = re.split(r"^\.TP\n\.B ", body[1], maxsplit=1, flags=re.M)[0]
        for ln in lines[1:]:
            m = re.match(r"^    (\w+)\s+default (\S+)", ln)
            if m and not re.search(r"\b%s\b" % m.group(1), entry):
                fail("man page: method %s: parameter %s not documented" % (name, m.group(1)))
            if m and m.group(2) not in entry:
                fail("man page: method %s: default %s of %s not given" %
                     (name, m.group(2), m.group(1)))
    status = section(r"^EXIT STATUS")
    for code in ("0", "1", "2", "3", "75"):
        if not re.search(r"^\.B %s$|^\.IP %s\b|^%s\b" % (code, code, code), status, re.M):
            fail("man page: exit status %s not described" % code)
    files = section(r"^OUTPUT")
    for col in ("checkpoint,task,method,score,status,seconds,gflops",
                "task,method,n_checkpoints,recall@1,rel@1,recall@3,rel@3,pearson,kendall,"
                "weighted_kendall"):
        if col not in files.replace("\n", ""):
            fail("man page: output columns %s not listed" % col)
    examples = section(r"^EXAMPLES")
    for what in ("mpirun", "sbatch", "--array", "merge", "report", "--html"):
        if what not in examples:
            fail("man page: no example with %s" % what)
    print("man: %d subcommands, %d methods, exit statuses, outputs and examples documented" %
          (len(cmds), len(names)))


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "json-csv":
        check_json_csv(*args)
    elif cmd == "svgs":
        check_svgs(*args)
    elif cmd == "self-contained":
        check_self_contained(*args)
    elif cmd == "png":
        check_png(*args)
    elif cmd == "dom":
        check_dom(args[0], args[1], "--no-gt" in args[2:])
    elif cmd == "man":
        check_man(*args)
    elif cmd == "ranking":
        check_ranking(*args)
    else:
        fail("unknown check %r" % cmd)


if __name__ == "__main__":
    main(sys.argv)
