#!/bin/sh
# The net examples against real peers on loopback: the echo server and
# client together, and redis_fd (hiredis driven from tasks) against a
# redis-server this script starts on a free port. Servers stopped by pid.
#   sh tests/integration/net_examples.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
ex=$build/examples/net
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- echo server + client
"$ex/net_echo_server" 0 > "$tmp/server.out" 2>&1 &
pids="$pids $!"
port=""
for i in $(seq 50); do
    port=$(sed -n 's/^Serving on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "echo server did not start: $(cat "$tmp/server.out")"
out=$("$ex/net_echo_client" "$port" "Hello World!") || fail "client: $out"
echo "$out" | grep -qx "Received: 'Hello World!'" || fail "client got: $out"
for i in $(seq 100); do # the server prints once it has answered
    grep -q "Close the connection" "$tmp/server.out" && break
    sleep 0.05
done
grep -q "Received 'Hello World!' from 127.0.0.1:" "$tmp/server.out" ||
    fail "server said: $(cat "$tmp/server.out")"
echo "ok   echo server and client"

# ---- hiredis against redis-server
if ! command -v redis-server >/dev/null 2>&1; then
    echo "skip redis_fd: redis-server is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
if [ ! -x "$ex/net_redis_fd" ]; then
    echo "skip redis_fd: built without hiredis (libhiredis-dev)"
    exit 0
fi
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$tmp" > "$tmp/redis.out" 2>&1 &
pids="$pids $!"
for i in $(seq 50); do
    grep -q "Ready to accept connections" "$tmp/redis.out" && break
    sleep 0.1
done
out=$("$ex/net_redis_fd" "$rport") || fail "redis_fd: $out"
[ "$out" = "cio:counter = 8000" ] || fail "redis_fd printed: $out"
echo "ok   redis_fd"
