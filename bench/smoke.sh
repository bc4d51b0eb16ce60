#!/bin/sh
# bench_smoke: run each cio-bench workload at a tiny size and check that it
# exits 0, prints the METRIC lines bench/run reads and passes its own result
# check. Timings are not looked at: benchmarks are not tests.
#   sh bench/smoke.sh path/to/cio-bench
set -u
bin=$1
status=0

# check NAME 'METRIC LINE PATTERN' ARGS...
check() {
    name=$1 want=$2
    shift 2
    out=$("$bin" "$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "not measured"; then
        echo "skip $name: $(printf '%s\n' "$out" | grep "not measured")"
        return
    fi
    if [ $rc -ne 0 ] ||
        ! printf '%s\n' "$out" | grep -Eq "^METRIC $want\$" ||
        ! printf '%s\n' "$out" | grep -Eq '^METRIC peak_rss [0-9]+ KiB$' ||
        ! printf '%s\n' "$out" | grep -Eq '^METRIC minflt [0-9]+ count$'; then
        echo "FAIL $name: exit $rc, wanted 'METRIC $want', got:"
        printf '%s\n' "$out"
        status=1
    else
        echo "ok   $name"
    fi
}

num='[0-9]+(\.[0-9]+)?'
check "w1 -n 1000" 'w1.ok 1 bool' w1 -n 1000
check "w1 -n 0" 'w1.ok 1 bool' w1 -n 0
check "w2a -m 1000" "w2a.ns_per_yield $num ns" w2a -m 1000
check "w2b -m 1000" 'w2b.ok 1 bool' w2b -m 1000
check "w3 -n 200" 'w3.ok 1 bool' w3 -n 200
check "w3 -n 0" 'w3.ok 1 bool' w3 -n 0
check "w3 --stack-size 65536" 'w3.ok 1 bool' w3 -n 50 --stack-size 65536
check "w2b --compact" 'w2b.ok 1 bool' w2b -m 1000 --compact
check "w3 --compact" 'w3.ok 1 bool' w3 -n 200 --compact
check "spawn -n 20" 'spawn.ok 1 bool' spawn -n 20 -c 4
check "idle-conns -n 50" 'idle.ok 1 bool' idle-conns -n 50

# The server workloads, tiny: cio-bench's echo server and HTTP server on free
# ports (--port 0), stopped by pid. The echo is checked by python3 (skipped
# without it), the HTTP server by cio-bench's own W5 client.
tmp=$(mktemp -d)
spid=""
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$tmp"' EXIT

# serve NAME ARGS...: starts `cio-bench ARGS --port 0`, sets spid and sport
serve() {
    name=$1
    shift
    # a file of its own: the shell truncates it only once the child runs,
    # and an earlier server's READY line must not be read meanwhile
    srvout="$tmp/$name.out"
    : >"$srvout"
    "$bin" "$@" --port 0 >"$srvout" 2>&1 &
    spid=$!
    sport=""
    for _ in $(seq 100); do
        sport=$(sed -n 's/^READY 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$srvout")
        [ -n "$sport" ] && return 0
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.05
    done
    echo "FAIL $name: no READY line: $(cat "$srvout")"
    status=1
    kill "$spid" 2>/dev/null
    spid=""
    return 1
}

# unserve NAME: SIGTERM; the server must exit 0 and print its peak RSS
unserve() {
    kill -TERM "$spid"
    wait "$spid"
    rc=$?
    spid=""
    if [ $rc -ne 0 ] || ! grep -Eq '^METRIC peak_rss [0-9]+ KiB$' "$srvout"; then
        echo "FAIL $1 (stop): exit $rc: $(cat "$srvout")"
        status=1
    else
        echo "ok   $1 (stopped by SIGTERM)"
    fi
}

if serve echo-server echo-server; then
    if command -v python3 >/dev/null 2>&1; then
        if python3 - "$sport" <<'PY'; then
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
for i in range(200):
    msg = bytes((i + j) % 256 for j in range(64))
    s.sendall(msg)
    got = b""
    while len(got) < 64:
        part = s.recv(64 - len(got))
        if not part:
            sys.exit("connection closed")
        got += part
    if got != msg:
        sys.exit("echo differs")
PY
            echo "ok   echo-server: 200 echoes of 64 B"
        else
            echo "FAIL echo-server: the echo check failed"
            status=1
        fi
    else
        echo "skip echo-server's echo check: no python3"
    fi
    unserve echo-server
fi

if serve http-server http-server; then
    check "http-client -n 200 -c 8 (cio's http-server)" 'w5.ok 200 count' \
        http-client --url "http://127.0.0.1:$sport/ip.json" -n 200 -c 8
    unserve http-server
fi
exit $status
