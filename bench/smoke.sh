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
check "spawn -n 20" 'spawn.ok 1 bool' spawn -n 20 -c 4
check "idle-conns -n 50" 'idle.ok 1 bool' idle-conns -n 50
exit $status
