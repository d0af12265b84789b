#!/usr/bin/python3
"""ref_ranking.py -- scipy reference values for tests/test_ranking.c and
tests/test_metrics_table.c.

Usage: /usr/bin/python3 tests/ref_ranking.py IN OUT

IN holds cases:
    first line: number of cases
    per case:   "m nk k_1 ... k_nk", then a line of m scores s, then a line of
                m ground truths g (lines empty when m == 0)
OUT gets one line per case:
    pearson kendall weighted_tau recall@k_1..recall@k_nk rel@k_1..rel@k_nk
with %.17g-exact reprs and "nan" for undefined values.

pearson = scipy.stats.pearsonr(s, g), kendall = scipy.stats.kendalltau(s, g)
(tau-b), weighted_tau = scipy.stats.weightedtau(s, g) (defaults); recall@k and
rel@k from a stable descending argsort of s (ties -> lowest index first).
"""
import sys
import warnings

import numpy as np
import scipy.stats as st


def nan_if_short(fn, s, g, need):
    if len(s) < need:
        return float("nan")
    return float(fn(s, g)[0])


def recall_rel(s, g, k):
    if len(s) == 0 or k == 0:
        return float("nan"), float("nan")
    order = np.argsort(-s, kind="stable")
    top = g[order[:k]].max()
    gmax = g.max()
    recall = 1.0 if top == gmax else 0.0
    rel = top / gmax if gmax > 0 else float("nan")
    return recall, float(rel)


def main():
    warnings.simplefilter("ignore")
    with open(sys.argv[1]) as f:
        lines = f.read().split("\n")
    ncase = int(lines[0])
    pos = 1
    out = []
    for _ in range(ncase):
        head = [int(t) for t in lines[pos].split()]
        m, nk, ks = head[0], head[1], head[2:]
        assert len(ks) == nk
        s = np.array([float(t) for t in lines[pos + 1].split()], dtype=np.float64)
        g = np.array([float(t) for t in lines[pos + 2].split()], dtype=np.float64)
        assert len(s) == m and len(g) == m
        pos += 3
        vals = [
            nan_if_short(st.pearsonr, s, g, 2),
            nan_if_short(st.kendalltau, s, g, 1),
            nan_if_short(st.weightedtau, s, g, 1),
        ]
        rr = [recall_rel(s, g, k) for k in ks]
        vals += [r[0] for r in rr] + [r[1] for r in rr]
        out.append(" ".join(repr(float(v)) for v in vals))
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
