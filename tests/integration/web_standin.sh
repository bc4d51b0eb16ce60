#!/bin/sh
# The stand-in server (examples/web/standin_server.c) against curl: each
# service's answer and each fault mode, on a free port of 127.0.0.1; the
# server is stopped by its pid.
# usage: sh web_standin.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
server=$build/examples/web/web_standin_server
command -v curl >/dev/null 2>&1 || { echo "SKIPPED: curl not found"; exit 0; }
[ -x "$server" ] || { echo "FAILED: $server not built"; exit 1; }

out=$(mktemp)
"$server" --port 0 --latency 0.01 >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
port=
for _ in $(seq 1 100); do
    port=$(awk '/^port /{print $2}' "$out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "FAILED: the server did not start:"; cat "$out"; exit 1; }
base=http://127.0.0.1:$port
fails=0; passes=0
check() { # name, expected substring, curl args...
    name=$1; want=$2; shift 2
    got=$(curl -sS -i "$@" 2>&1 | tr -d '\r')
    case $got in
        *"$want"*) passes=$((passes + 1)) ;;
        *) fails=$((fails + 1)); echo "FAIL $name: want '$want', got:"; echo "$got" | head -5 ;;
    esac
}
check ipify '{"ip":"127.0.0.1"}' "$base/?format=json"
check ip-api '"status":"success"' "$base/json"
check ip-api-query '"query":"127.0.0.1"' "$base/json"
check events-date 'Date: ' "$base/events"
check events '"type":"PushEvent"' "$base/events"
check fault-500 'HTTP/1.1 500 Internal Server Error' "$base/?fault=500"
check fault-badjson '{"ip": 1.2.3' "$base/?fault=badjson"
check fault-html 'Content-Type: text/html' "$base/?fault=html"
check fault-empty 'Content-Length: 0' "$base/json?fault=empty"
check fault-nokey '{"other": 1}' "$base/json?fault=nokey"
check fault-drop 'curl: (' "$base/?fault=drop"
check fault-redirect 'Maximum (3) redirects' -L --max-redirs 3 "$base/?fault=redirect"
check not-found 'HTTP/1.1 404 Not Found' "$base/nowhere"
check not-allowed 'Allow: GET, HEAD' -X POST "$base/json"
size=$(curl -sS "$base/?fault=huge" | wc -c)
if [ "$size" -eq 67108864 ]; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL huge: $size bytes"; fi
kill "$pid"; wait "$pid" 2>/dev/null
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
