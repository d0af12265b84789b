#!/usr/bin/env python3
"""bench/audit_model.py -- a model of a large zoo audit, checked first against
what was measured on this machine in the same bench run.

Inputs (from bench/audit_model.sh): the per-item seconds of a one-process run
of a zoo (its --csv), that run's wall time and the launch time of one
process; the wall time and launch time of the same run under mpirun -n 2;
the coordinator thread's CPU seconds and item count of an -n 2 run of a
dummy audit (no computation), which gives the coordinator's cost per item.

The model: rank 0 hands out whole pairs, largest first (by estimated cost;
here by measured time), to the first free rank; a pair's items go out one by
one, each costing the coordinator `s` seconds of CPU (two messages and the
bookkeeping). The makespan for W ranks is the greedy list schedule of the
pair times (exact simulation), but never less than the coordinator's total
work (items x s): past that the coordinator is the bottleneck. A pair's time
is its methods' seconds plus a per-pair overhead (reading it, seeding) taken
from the one-process run.

Check: predict the -n 2 run on this machine (rank 0 computes while its
coordinator thread takes CPU from the same cores) and print predicted against
measured. Then model a 1,000-checkpoint x 4-task audit on 64 to 1,024 ranks
with pairs drawn from the measured pair times (pair i takes the time of
measured pair i mod n), at the measured size and at 1,000x heavier pairs
(N and D of a real audit), and say where it stops scaling.
"""
import csv
import heapq
import sys


def makespan(pairs, W):
    """Greedy largest-first list schedule of pair times on W workers."""
    if W <= 0:
        return float("inf")
    free = [0.0] * min(W, len(pairs))
    heapq.heapify(free)
    for t in sorted(pairs, reverse=True):
        f = heapq.heappop(free)
        heapq.heappush(free, f + t)
    return max(free) if free else 0.0


def main():
    (csv_path, t1, launch1, t2, launch2, coord_cpu, coord_items, cores) = sys.argv[1:9]
    t1, launch1, t2, launch2 = float(t1), float(launch1), float(t2), float(launch2)
    coord_cpu, coord_items, cores = float(coord_cpu), int(coord_items), int(cores)
    per_pair, items = {}, 0
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["checkpoint"], row["task"])
            per_pair[key] = per_pair.get(key, 0.0) + float(row["seconds"])
            items += 1
    npairs = len(per_pair)
    methods_sum = sum(per_pair.values())
    overhead = max(0.0, (t1 - launch1 - methods_sum) / npairs)
    pairs = [v + overhead for v in per_pair.values()]
    items_per_pair = items / npairs
    s = coord_cpu / coord_items  # coordinator CPU per item

    # check against the -n 2 run: 2 ranks on `cores` cores; the coordinator
    # thread's CPU (items x s) comes out of the same cores
    W = 2
    sim = makespan(pairs, W)
    pred2 = launch2 + max(sim + items * s / min(W, cores), items * s)
    err = (pred2 - t2) / t2
    print(f"== model check: {npairs} pairs, {items} items; per-pair overhead "
          f"{overhead * 1e3:.2f} ms; coordinator {s * 1e6:.1f} us CPU per item")
    print(f"  one process: measured {t1:.3f} s (launch {launch1:.3f} s)")
    print(f"  mpirun -n 2: predicted {pred2:.3f} s, measured {t2:.3f} s "
          f"({err * 100:+.0f}%; launch {launch2:.3f} s)")
    out = []
    out.append("## Model of a 1,000-checkpoint x 4-task audit")
    out.append("")
    out.append(f"Inputs measured in this run: the seconds of each of the {npairs} pairs "
               f"({items} items) of a one-process run of data/realzoo.h5 (7 methods, as in the strong scaling below) plus "
               f"{overhead * 1e3:.2f} ms of per-pair overhead (read, seeding), and the "
               f"coordinator's CPU per item, **{s * 1e6:.1f} us** (its thread's CPU time "
               f"over {coord_items} dummy items at -n 2), i.e. at most "
               f"{1 / s:,.0f} items/s or {2 / s:,.0f} messages/s from one coordinator.")
    out.append("")
    out.append(f"Check on this machine: the model predicts **{pred2:.3f} s** for `mpirun -n 2` "
               f"(greedy largest-first schedule of the measured pair times on 2 ranks, the "
               f"coordinator's CPU taken from the same {cores} cores, plus the measured "
               f"launch of {launch2:.3f} s); measured **{t2:.3f} s** ({err * 100:+.0f}%).")
    out.append("")
    audit = 4000
    scen = [("measured pairs", 1.0), ("pairs 1,000x heavier", 1000.0)]
    out.append(f"The audit: {audit:,} pairs x {items_per_pair:.0f} methods = "
               f"{audit * items_per_pair:,.0f} items; pair i takes the time of measured pair "
               f"i mod {npairs} (times the factor). Launch time not included. "
               f"Efficiency = total work / (ranks x makespan); the tail = makespan minus the "
               f"mean load per rank; coordinator load = its CPU per second of makespan.")
    out.append("")
    out.append("| pairs | ranks | makespan s | efficiency | tail s | coordinator messages/s | coordinator load |")
    out.append("|---|---|---|---|---|---|---|")
    stop_notes = []
    for label, factor in scen:
        ap = [pairs[i % npairs] * factor for i in range(audit)]
        work = sum(ap)
        n_items = audit * items_per_pair
        coord = n_items * s
        first_bad = None
        for W in (64, 128, 256, 512, 1024):
            ms = max(makespan(ap, W), coord)
            eff = work / (W * ms)
            tail = ms - work / W
            msgs = 2 * n_items / ms
            load = coord / ms
            out.append(f"| {label} | {W} | {ms:.2f} | {eff * 100:.0f}% | {tail:.2f} | "
                       f"{msgs:,.0f} | {load * 100:.0f}% |")
            if first_bad is None and (eff < 0.8):
                first_bad = (W, "coordinator-bound" if load > 0.9 else "tail-bound")
        # where it stops: coordinator saturates when W >= mean item time / s;
        # the queue runs dry when W approaches the number of pairs
        mean_item = work / n_items
        w_coord = mean_item / s
        stop_notes.append(
            f"- {label} (mean item {mean_item * 1e3:.3g} ms): the coordinator saturates near "
            f"{w_coord:,.0f} ranks (mean item time / {s * 1e6:.1f} us); "
            + (f"efficiency first drops below 80% at {first_bad[0]} ranks ({first_bad[1]})."
               if first_bad else "efficiency stays >= 80% up to 1,024 ranks; past "
               f"{audit:,} ranks there are fewer pairs than ranks (one pair per rank at best; "
               "teams are then the way to use more ranks)."))
    out.append("")
    out.extend(stop_notes)
    for line in out:
        print("@@ " + line if line else "@@")
    for line in out:
        if line.startswith("|") or line.startswith("- "):
            print("  " + line)


if __name__ == "__main__":
    main()
