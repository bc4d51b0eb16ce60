#!/bin/sh
# TLS throughput: one cio client fetches the same file over TLS 1.3 with
# the same cipher suite from `openssl s_server -WWW` and from a cio TLS
# server (cio-tls-bench server), then pushes data through the cio echo.
# Prints METRIC lines with the server's name.
#   sh bench/tls.sh BUILD_DIR [MB] [CIPHERSUITE]
set -eu
build=$1
mb=${2:-256}
suite=${3:-TLS_AES_128_GCM_SHA256}
bench=$build/bench/cio-tls-bench
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -days 1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
head -c "$((mb * 1024 * 1024))" /dev/urandom > "$tmp/data.bin"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_accept() {
    for i in $(seq 100); do grep -q ACCEPT "$1" && return 0; sleep 0.05; done
    echo "server did not start: $(cat "$1")" >&2; exit 1
}

p=$(port)
(cd "$tmp" && exec openssl s_server -WWW -accept "127.0.0.1:$p" -cert cert.pem \
    -key key.pem -ciphersuites "$suite" > "$tmp/s.out" 2>&1) &
pid=$!
wait_accept "$tmp/s.out"
echo "# openssl s_server -WWW, $suite"
"$bench" get --port "$p" --path /data.bin --ciphersuites "$suite" | sed 's/METRIC tls_get/METRIC openssl_server_get/'
kill "$pid"; pid=""

p=$(port)
"$bench" server --port "$p" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
    --file "$tmp/data.bin" --ciphersuites "$suite" > "$tmp/c.out" 2>&1 &
pid=$!
wait_accept "$tmp/c.out"
echo "# cio-tls-bench server, $suite"
"$bench" get --port "$p" --path /data.bin --ciphersuites "$suite" | sed 's/METRIC tls_get/METRIC cio_server_get/'
"$bench" echo --port "$p" --mb "$mb" --ciphersuites "$suite" | sed 's/METRIC tls_echo/METRIC cio_server_echo/'
# memory of idle TLS connections on the server: stream, handler task, SSL
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
n=500
before=$(rss "$pid")
"$bench" hold --port "$p" --conns "$n" > "$tmp/h.out" 2>&1 &
hpid=$!
for i in $(seq 200); do grep -q HELD "$tmp/h.out" && break; sleep 0.05; done
sleep 0.5
after=$(rss "$pid")
kill "$hpid"
echo "METRIC cio_server_idle_tls_conn $(( (after - before) * 1024 / n )) B"
kill "$pid"; pid=""
