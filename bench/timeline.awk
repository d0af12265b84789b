# bench/timeline.awk -- sum a CKPTRANK_TIMELINE log (sched/timeline.h):
# phases relative to the launch (-v launch=T0, the shell's `date +%s.%N`
# before mpirun; -v end=T1 after it), and per rank the items, their busy
# time, the idle time inside the queue phase and the last item.
$1 == "ckptrank-timeline:" && $2 == "rank" && NF >= 5 {
    r = $3; t = $4 + 0; ev = $5
    if (ev == "item-start") { st[r] = t; what[r] = $6 " " $7; if (!(r in first)) first[r] = t; nit[r]++ }
    else if (ev == "item-end") { busy[r] += t - st[r]; last[r] = t; lastwhat[r] = what[r];
                                 d = t - st[r]; if (d > maxd[r]) { maxd[r] = d; maxw[r] = what[r] } }
    else { ph[r, ev] = t; ranks[r] = 1 }
}
END {
    for (r in ranks) {
        if (launch) printf "rank %s: run-start +%.3f s after launch\n", r, ph[r, "run-start"] - launch
        q0 = ph[r, "setup-done"]; q1 = ph[r, "queue-done"]
        printf "rank %s: setup %.3f s, first item +%.3f s after setup, queue phase %.3f s: %d items busy %.3f s, idle %.3f s; last item ended %.3f s before queue-done (%s); longest item %.3f s (%s)\n",
            r, q0 - ph[r, "run-start"], first[r] - q0, q1 - q0, nit[r], busy[r], (q1 - q0) - busy[r],
            q1 - last[r], lastwhat[r], maxd[r], maxw[r]
        if ((r, "outputs-written") in ph) printf "rank %s: outputs %.3f s\n", r, ph[r, "outputs-written"] - q1
        if (end) printf "rank %s: run-end to process exit %.3f s\n", r, end - ph[r, "run-end"]
        tot += busy[r]
    }
    printf "all ranks: busy %.3f s in all; ideal queue phase on %d ranks %.3f s\n", tot, length(ranks), tot / length(ranks)
}
