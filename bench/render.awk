# render.awk: the tables of a bench/run summary, as text or markdown.
#
#   awk -f bench/render.awk -v fmt=txt|md [-v failures=FILE] \
#       [-v n_native=.. -v n_py=.. -v m_yield=.. -v m_pp=.. -v n_sleep=.. -v n_big=..]
#       [-v n_spawn=.. -v spawn_c=..] SUMMARY
#
# SUMMARY is summary.awk's output. For every workload: one row per peer,
# "median [min-max]" per figure, then the ratio of cio's median to the best
# (lowest) median among the 1-CPU peers (for the server and HTTP workloads:
# to the reference program, raw libuv, raw libcurl or nginx); totals (peak RSS, wall, spawn) are
# compared only with peers that ran the same number of tasks. Then the goals
# of cio with the figures that decide them. FAILURES (optional) holds lines
# "peer<TAB>workload<TAB>reason".
BEGIN {
    FS = "\t"
    if (n_native == "") n_native = 1000000
    if (n_py == "") n_py = 200000
    if (m_yield == "") m_yield = 1000000
    if (m_pp == "") m_pp = 200000
    if (n_sleep == "") n_sleep = 100000
    if (n_big == "") n_big = 1000000
    if (n_spawn == "") n_spawn = 1000
    if (spawn_c == "") spawn_c = 16
    npo = split("cio cio-gather cio-compact cio-compact-copy python-asyncio python-uvloop go-1cpu tokio-current_thread go-2cpu tokio-multi_thread-2cpu", porder, " ")
    split("python-asyncio python-uvloop go-1cpu tokio-current_thread", tmpl, " ")
    for (i in tmpl) onecpu[tmpl[i]] = 1
    total["peak_rss"] = total["wall"] = total["spawn_wall"] = 1

    title["w1"] = "W1 spawn + join (N = " commas(n_native) " native, " commas(n_py) " Python)"
    cols["w1"] = "ns_per_task:ns/task:1;peak_rss:peak RSS MiB:0.0009765625"
    title["w2a"] = "W2a one task yields " commas(m_yield) " times"
    cols["w2a"] = "ns_per_yield:ns/yield:1"
    title["w2b"] = "W2b ping-pong " commas(m_pp) " round trips through two one-slot queues"
    cols["w2b"] = "ns_per_round_trip:ns/round trip:1"
    title["w3"] = "W3 " commas(n_sleep) " sleepers, 0-1000 ms (ideal wall 1.0 s)"
    cols["w3"] = "wall:wall s:1;spawn_wall:spawn s:1;peak_rss:peak RSS MiB:0.0009765625;bytes_per_task:bytes/task:1;empty_rss:empty-run MiB:0.0009765625"
    title["w3-1m"] = "W3 at " commas(n_big) " sleepers, cio only"
    cols["w3-1m"] = cols["w3"]

    title["spawn"] = "spawn: start and wait for " commas(n_spawn) " /bin/true, " spawn_c " at a time (children on the parent's CPU)"
    cols["spawn"] = "wall:wall s:1;us_per_process:us/process:1;peak_rss:peak RSS MiB:0.0009765625"

    nw = split("w1 w2a w2b w3 w3-1m w4 w5 w5-h2 http-server tls idle spawn", works, " ")
    title["idle"] = "Idle connections to a cio server (stream + handler task parked in a read), cio only"
    cols["idle"] = "conns:connections:1;bytes_per_conn:resident bytes per idle connection:1;peak_rss:peak RSS MiB:0.0009765625"
    title["tls"] = "TLS 1.3 throughput (bench/tls.sh, TLS_AES_128_GCM_SHA256): one cio client; MB/s of payload"
    cols["tls"] = "openssl_server_get_mbps:download from openssl s_server -WWW:1;cio_server_get_mbps:download from the cio server:1;cio_server_echo_mbps:echo through the cio server (each way):1"
    title["w4"] = "W4 TCP echo, 50 connections x 64 B, 5 s after 1 s warm-up; server on CPU 1, load generator (echo-load) on CPU 0"
    cols["w4"] = "msgs_per_s:msg/s:1;lat_p50:p50 us:1;lat_p99:p99 us:1;server_cpu_per_msg:server CPU us/msg:1;server_peak_rss:server RSS MiB:0.0009765625;client_busy:load-gen busy:1"
    ref["w4"] = "c-libuv-raw"
    title["w5"] = "W5 HTTP client, 20,000 GETs of a 313-byte JSON, 64 in flight, HTTP/1.1 keep-alive; client on CPU 0, nginx (1 worker) on CPU 1"
    cols["w5"] = "req_per_s:req/s:1;cpu_per_req:client CPU us/req:1;peak_rss:client RSS MiB:0.0009765625;nginx_cpu_per_req:nginx CPU us/req:1"
    ref["w5"] = "c-libcurl-multi"
    title["w5-h2"] = "W5 over HTTP/2 + TLS (one connection, 64 streams), same requests"
    cols["w5-h2"] = cols["w5"]
    ref["w5-h2"] = "c-libcurl-multi"
    title["http-server"] = "HTTP server, the 313-byte JSON at /ip.json; wrk -t1 -c64 -d5s on CPU 0, server on CPU 1"
    cols["http-server"] = "req_per_s:req/s:1;server_cpu_per_req:server CPU us/req:1;server_peak_rss:server RSS MiB:0.0009765625;errors:errors:1"
    ref["http-server"] = "nginx-1worker"
}
FNR == NR && failures != "" && FILENAME == failures {
    failed[$1 SUBSEP $2] = 1
    next
}
{
    k = $1 SUBSEP $2 SUBSEP $3
    med[k] = $4; lo[k] = $5; hi[k] = $6; nruns[k] = $7
    if ($3 == "peak_rss" && $2 == "w3-empty") {
        # the empty run's peak RSS as a column of the W3 tables
        for (w = 1; w <= 2; w++) {
            kk = $1 SUBSEP (w == 1 ? "w3" : "w3-1m") SUBSEP "empty_rss"
            med[kk] = $4; lo[kk] = $5; hi[kk] = $6
        }
    }
    if ($1 != "_load" && !(($1 SUBSEP $2) in haswl)) {
        haswl[$1 SUBSEP $2] = 1
        wpeer[$2, ++nwpeer[$2]] = $1 # the order the runs measured them
        if (!($1 in known)) {
            known[$1] = 1
            extra[++nextra] = $1
        }
    }
}
function commas(x,   s, neg, out) {
    s = sprintf("%.0f", x)
    neg = ""
    if (substr(s, 1, 1) == "-") { neg = "-"; s = substr(s, 2) }
    out = ""
    while (length(s) > 3) {
        out = "," substr(s, length(s) - 2) out
        s = substr(s, 1, length(s) - 3)
    }
    return neg s out
}
function short(n) {
    if (n >= 1000000 && n % 1000000 == 0) return (n / 1000000) "M"
    if (n >= 1000 && n % 1000 == 0) return (n / 1000) "k"
    return commas(n)
}
function f(v,   a) {
    a = v < 0 ? -v : v
    if (a >= 100) return commas(v)
    if (a >= 10) return sprintf("%.1f", v)
    return sprintf("%.3g", v)
}
function cell(k, s) {
    if (!(k in med)) return "-"
    if (lo[k] == hi[k]) return f(med[k] * s)
    return f(med[k] * s) " [" f(lo[k] * s) "-" f(hi[k] * s) "]"
}
# prints the table held in T[1..nr, 1..nc] (row 1 = heading)
function table(ttl, note,   r, c, w, line) {
    if (fmt == "md") {
        print ""
        print "**" ttl "**" (note != "" ? " (" note ")" : "")
        print ""
        for (r = 1; r <= nr; r++) {
            line = "|"
            for (c = 1; c <= nc; c++) line = line " " T[r, c] " |"
            print line
            if (r == 1) {
                line = "|"
                for (c = 1; c <= nc; c++) line = line (c == 1 ? "---" : "--:") "|"
                print line
            }
        }
        return
    }
    print ""
    print ttl (note != "" ? "   (" note ")" : "")
    for (c = 1; c <= nc; c++) {
        W[c] = 0
        for (r = 1; r <= nr; r++) if (length(T[r, c]) > W[c]) W[c] = length(T[r, c])
    }
    for (r = 1; r <= nr; r++) {
        line = ""
        for (c = 1; c <= nc; c++) line = line sprintf("%-" W[c] "s", T[r, c]) (c < nc ? "  " : "")
        sub(/ +$/, "", line)
        print line
    }
}
END {
    for (i = 1; i <= nextra; i++) {
        found = 0
        for (j = 1; j <= npo; j++) if (porder[j] == extra[i]) found = 1
        if (!found) porder[++npo] = extra[i]
    }
    for (wi = 1; wi <= nw; wi++) {
        wl = works[wi]
        nc = split(cols[wl], cl, ";") + 1
        nr = 1
        T[1, 1] = "peer"
        for (c = 2; c <= nc; c++) {
            split(cl[c - 1], parts, ":")
            metric[c] = parts[1]; head[c] = parts[2]; scale[c] = parts[3] + 0
            T[1, c] = head[c]
        }
        # W1-W3 in the fixed order of porder; the others in the order measured
        np = (wl in ref) ? nwpeer[wl] : npo
        for (j = 1; j <= np; j++) {
            p = (wl in ref) ? wpeer[wl, j] : porder[j]
            if (!((p SUBSEP wl) in haswl)) continue
            nr++
            T[nr, 1] = p ((p SUBSEP wl) in failed ? " (failures: see below)" : "") \
                       (p ~ /2cpu$/ || p ~ /^cio-/ ? " (context)" : "")
            for (c = 2; c <= nc; c++) T[nr, c] = cell(p SUBSEP wl SUBSEP metric[c], scale[c])
        }
        if (nr == 1) continue
        # cio / best 1-CPU peer
        anyratio = 0
        for (c = 2; c <= nc; c++) {
            R[c] = "-"
            m = metric[c]
            ck = "cio" SUBSEP wl SUBSEP m
            if (!(ck in med) || m == "empty_rss") continue
            best = ""; bp = ""
            if (wl in ref) {
                pk = ref[wl] SUBSEP wl SUBSEP m
                if ((pk in med) && med[pk] > 0) { best = med[pk]; bp = ref[wl] }
            } else for (p in onecpu) {
                pk = p SUBSEP wl SUBSEP m
                if (!(pk in med) || med[pk] <= 0) continue
                if ((m in total) && (("cio" SUBSEP wl SUBSEP "tasks") in med) &&
                    med[p SUBSEP wl SUBSEP "tasks"] != med["cio" SUBSEP wl SUBSEP "tasks"]) continue
                if (best == "" || med[pk] < best) { best = med[pk]; bp = p }
            }
            if (best == "") continue
            R[c] = (wl in ref) ? sprintf("%.2fx", med[ck] / best) : sprintf("%.2fx (%s)", med[ck] / best, bp)
            anyratio = 1
        }
        if (anyratio) {
            nr++
            rl = (wl in ref) ? "cio / " ref[wl] : "cio / best 1-CPU peer"
            T[nr, 1] = fmt == "md" ? "**" rl "**" : rl
            for (c = 2; c <= nc; c++) T[nr, c] = R[c]
        }
        lk = "_load" SUBSEP wl SUBSEP "other_load_cores"
        note = (lk in med) ? sprintf("other load during runs: median %.2f, max %.2f cores", med[lk], hi[lk]) : ""
        table(title[wl], note)
    }

    # goals
    ng = 0
    G[++ng] = "W1 spawn + join|<= 100 ns/task|cio" SUBSEP "w1" SUBSEP "ns_per_task|1|100|ns"
    G[++ng] = "W1 peak RSS|<= 250 MiB|cio" SUBSEP "w1" SUBSEP "peak_rss|0.0009765625|250|MiB"
    G[++ng] = "W2a yield|<= 30 ns/yield|cio" SUBSEP "w2a" SUBSEP "ns_per_yield|1|30|ns"
    G[++ng] = "W2b round trip|<= 100 ns|cio" SUBSEP "w2b" SUBSEP "ns_per_round_trip|1|100|ns"
    G[++ng] = "W3 " short(n_sleep) " wall|<= 1.10 s|cio" SUBSEP "w3" SUBSEP "wall|1|1.10|s"
    G[++ng] = "W3 " short(n_sleep) " memory|<= 4,608 B/task|cio" SUBSEP "w3" SUBSEP "bytes_per_task|1|4608|B"
    G[++ng] = "W3 " short(n_big) " completes|every run ok|cio" SUBSEP "w3-1m" SUBSEP "ok|1|1|ok"
    G[++ng] = "W3 " short(n_big) " memory|(<= 4,608 B/task)|cio" SUBSEP "w3-1m" SUBSEP "bytes_per_task|1|4608|B"
    G[++ng] = "W3 " short(n_sleep) " compact memory|<= 1,024 B/task|cio-compact" SUBSEP "w3" SUBSEP "bytes_per_task|1|1024|B"
    G[++ng] = "W3 " short(n_big) " compact memory|<= 1,024 B/task|cio-compact" SUBSEP "w3-1m" SUBSEP "bytes_per_task|1|1024|B"
    G[++ng] = "Idle connection memory|<= 8,192 B|cio" SUBSEP "idle" SUBSEP "bytes_per_conn|1|8192|B"
    # goals relative to a peer in the same pass: name|target|workload|metric|peer|<= or >=|bound
    # [|cio's row, if not "cio"]
    nrg = 0
    RG[++nrg] = "W1 spawn + join|<= 0.43x Tokio ct|w1|ns_per_task|tokio-current_thread|<=|0.43"
    RG[++nrg] = "W1 peak RSS|<= 1.0x Tokio ct|w1|peak_rss|tokio-current_thread|<=|1.0"
    RG[++nrg] = "W3 " short(n_sleep) " wall|<= 1.5x Tokio ct|w3|wall|tokio-current_thread|<=|1.5"
    RG[++nrg] = "W3 compact wall|<= 0.91x Tokio ct|w3|wall|tokio-current_thread|<=|0.91|cio-compact"
    RG[++nrg] = "W4 server CPU per message|<= 1.05x raw libuv|w4|server_cpu_per_msg|c-libuv-raw|<=|1.05"
    RG[++nrg] = "W4 server CPU per message|below Go|w4|server_cpu_per_msg|go-net|<=|1"
    RG[++nrg] = "W4 server CPU per message|below Tokio ct|w4|server_cpu_per_msg|tokio-current_thread|<=|1"
    RG[++nrg] = "W5 requests/s|>= 1.0x raw libcurl|w5|req_per_s|c-libcurl-multi|>=|1.0"
    RG[++nrg] = "W5 requests/s|>= 1.4x Go net/http|w5|req_per_s|go-net-http|>=|1.4"
    RG[++nrg] = "W5 HTTP/2 requests/s|>= 1.0x raw libcurl|w5-h2|req_per_s|c-libcurl-multi|>=|1.0"
    # W5 at equal work (context): raw libcurl with cio's defaults (-a), and
    # cio without them (cio-bare, an optional 8th field: cio's peer name)
    RG[++nrg] = "W5 requests/s, equal work|(>= 1.0x raw libcurl -a)|w5|req_per_s|c-libcurl-multi-a|>=|1.0"
    RG[++nrg] = "W5 requests/s, cio-bare|(>= 1.0x raw libcurl)|w5|req_per_s|c-libcurl-multi|>=|1.0|cio-bare"
    RG[++nrg] = "HTTP server requests/s|>= 0.9x nginx (1 worker)|http-server|req_per_s|nginx-1worker|>=|0.9"
    RG[++nrg] = "HTTP server requests/s|above Go net/http|http-server|req_per_s|go-net-http|>=|1"
    RG[++nrg] = "HTTP server requests/s|above aiohttp.web (uvloop)|http-server|req_per_s|python-aiohttp-uvloop|>=|1"
    RG[++nrg] = "spawn wall|<= 1.0x Go (1 CPU)|spawn|wall|go-1cpu|<=|1.0"
    nc = 4; nr = 1
    T[1, 1] = "goal"; T[1, 2] = "target"; T[1, 3] = "cio (median [min-max])"; T[1, 4] = "met"
    for (g = 1; g <= ng; g++) {
        split(G[g], q, "|")
        k = q[3]
        nr++
        T[nr, 1] = q[1]; T[nr, 2] = q[2]
        if (!(k in med)) {
            T[nr, 3] = "not measured"; T[nr, 4] = "-"
            continue
        }
        if (q[6] == "ok") {
            split(k, kp, SUBSEP)
            T[nr, 3] = (lo[k] == 1 ? "ok in " nruns[k] " of " nruns[k] " runs" : "failed in some runs")
            T[nr, 4] = (lo[k] == 1 && !(("cio" SUBSEP "w3-1m") in failed)) ? "yes" : "NO"
            continue
        }
        T[nr, 3] = cell(k, q[4] + 0) " " q[6]
        T[nr, 4] = (med[k] * q[4] <= q[5] + 0) ? "yes" : "NO"
    }
    for (g = 1; g <= nrg; g++) {
        q[8] = ""
        split(RG[g], q, "|")
        k = (q[8] != "" ? q[8] : "cio") SUBSEP q[3] SUBSEP q[4] # |row: cio's
        pk = q[5] SUBSEP q[3] SUBSEP q[4]
        nr++
        T[nr, 1] = q[1]; T[nr, 2] = q[2]
        if (!(k in med) || !(pk in med) || med[pk] <= 0) {
            T[nr, 3] = "not measured"; T[nr, 4] = "-"
            continue
        }
        rr = med[k] / med[pk]
        T[nr, 3] = sprintf("%s vs %s: %.2fx", f(med[k]), f(med[pk]), rr)
        T[nr, 4] = ((q[6] == "<=" && rr <= q[7] + 0) || (q[6] == ">=" && rr >= q[7] + 0)) ? "yes" : "NO"
    }
    table("Goals (cio, medians)", "")
}
