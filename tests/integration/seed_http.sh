#!/bin/bash
# The notebook's HTTP cells (examples/seed/09-13) against local stand-ins of
# their services (scripts/standins.sh: HTTPS with a CA made for the run,
# trusted through SSL_CERT_FILE; plain HTTP for ip-api), on 127.0.0.1:
#  1. each prints what examples/seed/expected/<cell>.txt says, dates and
#     durations masked (DATE, T); SEED fixes the sleeps of cell 09, which
#     must take the longest sleep plus a request, not the sum;
#  2. each fault of the services ends each cell with status 1 and one line
#     on stderr that names the service, never a crash or a hang; the clean
#     variants (11, 12, 13) leave no pending task behind.
# usage: sh seed_http.sh BUILD_DIR SOURCE_DIR
# ctest-timeout: 900
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
exe=$build/examples/seed
expected=$src/examples/seed/expected
command -v openssl >/dev/null 2>&1 || { echo "SKIPPED: openssl not found"; exit 0; }
[ -x "$exe/seed_12_race_run" ] || { echo "FAILED: the cells are not built"; exit 1; }
unset CIO_DEBUG

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-seed-http.XXXXXX")
trap 'bash "$src/scripts/standins.sh" stop "$tmp/ok"; bash "$src/scripts/standins.sh" stop "$tmp/fault"; rm -rf "$tmp"' EXIT
passes=0
fails=0
fail() { fails=$((fails + 1)); echo "FAIL $*"; }

mask() {
    sed -E -e 's/[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT/DATE/' \
        -e 's/took: [0-9]+\.[0-9]+ seconds/took: T seconds/' "$1"
}

run() { # cell -> $tmp/out, $tmp/err, $rc
    timeout --kill-after=5 60 "$exe/seed_$1" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# Nothing here may reach the real services: until the stand-ins run, the
# URLs point at a closed port of this machine.
export EVENTS_URL=http://127.0.0.1:9/events IPIFY_URL=http://127.0.0.1:9/
export IPAPI_URL=http://127.0.0.1:9/json

# standins DIR [OPTIONS]: start the stand-ins and take their URLs, or fail
standins() {
    dir=$1
    shift
    env_lines=$(bash "$src/scripts/standins.sh" start "$build" "$dir" "$@") ||
        { echo "FAILED: the stand-ins did not start"; exit 1; }
    eval "$env_lines"
}

# ---- 1. the cells as the notebook runs them ----------------------------------
standins "$tmp/ok"
export SEED=1
for cell in 09_as_completed_fetch 10_race_old_style 11_race_old_style_clean \
            12_race_run 13_race_run_cancel; do
    run "$cell"
    ok=1
    [ "$rc" -eq 0 ] || { fail "$cell: exit status $rc"; ok=0; cat "$tmp/err"; }
    if ! mask "$tmp/out" | diff -u "$expected/$cell.txt" - >"$tmp/diff"; then
        fail "$cell: stdout differs"; cat "$tmp/diff"; ok=0
    fi
    want_err=/dev/null
    [ -f "$expected/$cell.stderr" ] && want_err=$expected/$cell.stderr
    if ! diff -u "$want_err" "$tmp/err" >"$tmp/diff"; then
        fail "$cell: stderr differs"; cat "$tmp/diff"; ok=0
    fi
    if [ "$cell" = 09_as_completed_fetch ]; then
        total=$(sed -n 's/^Process took: \([0-9.]*\) seconds$/\1/p' "$tmp/out")
        # the sleeps are 5, 4 and 3 s: concurrent is about 5, in turn 12
        awk -v t="${total:-99}" 'BEGIN { exit !(t >= 5 && t < 10) }' ||
            { fail "$cell: took $total s, not about 5"; ok=0; }
    fi
    [ $ok -eq 1 ] && passes=$((passes + 1)) && echo "ok   $cell"
done
bash "$src/scripts/standins.sh" stop "$tmp/ok"

# ---- 2. faults -----------------------------------------------------------------
expect_failure() { # cell, service named on stderr, what
    run "$1"
    first=$(head -n 1 "$tmp/err")
    if [ "$rc" -ne 1 ]; then
        fail "$1 ($3): exit status $rc, want 1"; cat "$tmp/err"
    elif [ "$(grep -vc "destroyed but it is pending" "$tmp/err")" -ne 1 ]; then
        fail "$1 ($3): want one line on stderr:"; cat "$tmp/err"
    elif [ "${first#*"$2"}" = "$first" ]; then
        fail "$1 ($3): '$first' does not name $2"
    elif [ "$1" != 10_race_old_style ] && grep -q "pending" "$tmp/err"; then
        fail "$1 ($3): a task was left pending"; cat "$tmp/err"
    else
        passes=$((passes + 1))
    fi
}
races="10_race_old_style 11_race_old_style_clean 12_race_run 13_race_run_cancel"

for fault in 500 badjson html empty nokey drop; do
    standins "$tmp/fault" --fault $fault
    for cell in $races; do
        expect_failure "$cell" ipify "$fault"
    done
    if [ $fault = drop ]; then
        expect_failure 09_as_completed_fetch "process" "$fault"
    fi
    bash "$src/scripts/standins.sh" stop "$tmp/fault"
done
# a service down: nothing listens on the port any more
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 1)
export IPIFY_URL="https://127.0.0.1:$port/?format=json" IPAPI_URL="http://127.0.0.1:$port/json"
export EVENTS_URL="https://127.0.0.1:$port/events"
for cell in $races; do expect_failure "$cell" ipify "connection refused"; done
expect_failure 09_as_completed_fetch "process" "connection refused"
# an untrusted certificate: the stand-ins' CA is not the one trusted
standins "$tmp/fault"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=another CA" -keyout "$tmp/other.key" -out "$tmp/other.pem" 2>/dev/null
export SSL_CERT_FILE=$tmp/other.pem
for cell in $races; do expect_failure "$cell" ipify "untrusted certificate"; done
bash "$src/scripts/standins.sh" stop "$tmp/fault"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
