# summary.awk: medians of bench/run's runs files.
#
#   awk -f bench/summary.awk RUNS.tsv [RUNS.tsv...]
#
# Input: the -runs.tsv format (header line, then run, peer, workload, metric,
# value, unit, other_load_cores, steal_cores). Several files are pooled.
# Output, one line per (peer, workload, metric) in first-seen order:
#   peer  workload  metric  median  min  max  runs  unit
# plus the derived metric bytes_per_task of every W3 row that has an empty
# run (workload w3-empty) of the same peer:
#   (peak RSS of the run - median peak RSS of the empty runs) * 1024 / tasks,
# per run, then median [min-max]; and one line per workload with the CPU
# time other processes used meanwhile:
#   _load  workload  other_load_cores  median  min  max  runs  cores
BEGIN { FS = OFS = "\t" }
FNR == 1 && $1 == "run" { nfile++; next }
{
    peer = $2; wl = $3; m = $4; v = $5
    if (v !~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/)
        next
    k = peer SUBSEP wl SUBSEP m
    if (!(k in cnt)) {
        order[++nk] = k
        unit[k] = $6
    }
    vals[k, ++cnt[k]] = v + 0
    if (m == "peak_rss" && wl ~ /^w3($|-1m)/)
        prss[peer, wl, ++nprss[peer SUBSEP wl]] = v + 0
    if (m == "tasks")
        tasks[peer SUBSEP wl] = v + 0
    # other load: once per (file, run, peer, workload), when measured
    r = nfile SUBSEP $1 SUBSEP peer SUBSEP wl
    if (!(r in seenrun) && $7 != "" && $7 + 0 >= 0) {
        seenrun[r] = 1
        lk = "_load" SUBSEP wl SUBSEP "other_load_cores"
        if (!(lk in lcnt))
            lorder[++nl] = lk
        lvals[lk, ++lcnt[lk]] = $7 + 0
    }
}
# sorts tmp[1..n] ascending, sets MED, MIN, MAX
function stats(n,   i, j, t) {
    for (i = 2; i <= n; i++) {
        t = tmp[i]
        for (j = i - 1; j >= 1 && tmp[j] > t; j--)
            tmp[j + 1] = tmp[j]
        tmp[j + 1] = t
    }
    MIN = tmp[1]; MAX = tmp[n]
    MED = (n % 2) ? tmp[(n + 1) / 2] : (tmp[n / 2] + tmp[n / 2 + 1]) / 2
}
function emit(k, n, u,   parts) {
    split(k, parts, SUBSEP)
    print parts[1], parts[2], parts[3], sprintf("%.6g", MED),
          sprintf("%.6g", MIN), sprintf("%.6g", MAX), n, u
}
END {
    for (i = 1; i <= nk; i++) {
        k = order[i]
        for (j = 1; j <= cnt[k]; j++)
            tmp[j] = vals[k, j]
        stats(cnt[k])
        emit(k, cnt[k], unit[k])
        split(k, p, SUBSEP)
        if (p[3] == "peak_rss" && p[2] == "w3-empty")
            empty[p[1]] = MED
    }
    for (i = 1; i <= nk; i++) {
        split(order[i], p, SUBSEP)
        peer = p[1]; wl = p[2]
        if (p[3] != "peak_rss" || wl !~ /^w3($|-1m)/ || !(peer in empty))
            continue
        n = tasks[peer SUBSEP wl]
        if (n <= 0)
            continue
        c = nprss[peer SUBSEP wl]
        for (j = 1; j <= c; j++)
            tmp[j] = (prss[peer, wl, j] - empty[peer]) * 1024 / n
        stats(c)
        emit(peer SUBSEP wl SUBSEP "bytes_per_task", c, "B")
    }
    for (i = 1; i <= nl; i++) {
        k = lorder[i]
        for (j = 1; j <= lcnt[k]; j++)
            tmp[j] = lvals[k, j]
        stats(lcnt[k])
        emit(k, lcnt[k], "cores")
    }
}
