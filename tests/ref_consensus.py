#!/usr/bin/python3
"""ref_consensus.py -- scipy reference for tests/test_consensus.c.

Usage: /usr/bin/python3 tests/ref_consensus.py IN OUT

IN: one score row per line, "checkpoint task method sweep score" (sweep "-"
when none; score "nan" when the row is not ok).
OUT: "R task method checkpoint rank score n_methods" per ranked checkpoint
(method "consensus": rank = position, score = mean rank) and
"A task method_a method_b tau n_common" per pair of voting methods,
numbers as %.17g ("nan" when undefined).

Ranks: scipy.stats.rankdata(-score, method="average") over the ok scores of
a method in a task; a sweep's grid points (sweep set and != method) do not
vote; the consensus needs >= 2 voting methods with scores in the task;
agreement: scipy.stats.kendalltau (tau-b) over the common checkpoints.
"""
import math
import sys
import warnings

import numpy as np
import scipy.stats as st


def main():
    rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
    methods, voter, score = [], {}, {}
    for ck, task, m, sweep, s in rows:
        if m not in methods:
            methods.append(m)
        if sweep == "-" or sweep == m:
            voter[m] = True
        voter.setdefault(m, False)
        score.setdefault((task, m, ck), float(s))
    out = []
    for task in sorted({r[1] for r in rows}):
        ranks = {}
        for m in methods:
            cks = sorted(c for (t, mm, c), v in score.items()
                         if t == task and mm == m and not math.isnan(v))
            if not cks:
                continue
            r = st.rankdata([-score[(task, m, c)] for c in cks], method="average")
            ranks[m] = dict(zip(cks, r))
            for c in cks:
                out.append("R %s %s %s %.17g %.17g 1" % (task, m, c, ranks[m][c], score[(task, m, c)]))
        voters = [m for m in methods if voter[m] and m in ranks]
        if len(voters) >= 2:
            allc = sorted({c for m in voters for c in ranks[m]})
            cons = []
            for c in allc:
                rs = [ranks[m][c] for m in voters if c in ranks[m]]
                cons.append((float(np.mean(rs)), c, len(rs)))
            cons.sort()
            for pos, (mr, c, n) in enumerate(cons):
                out.append("R %s consensus %s %d %.17g %d" % (task, c, pos + 1, mr, n))
        for i, a in enumerate(voters):
            for b in voters[i + 1:]:
                common = sorted(set(ranks[a]) & set(ranks[b]))
                tau = float("nan")
                if len(common) >= 2:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        tau = float(st.kendalltau([score[(task, a, c)] for c in common],
                                                  [score[(task, b, c)] for c in common])[0])
                out.append("A %s %s %s %.17g %d" % (task, a, b, tau, len(common)))
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


main()
