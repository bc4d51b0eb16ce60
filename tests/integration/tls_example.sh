#!/bin/sh
# examples/net/tls_client against `openssl s_server -www` on a free port
# of 127.0.0.1, with a certificate made here: the page arrives when the
# certificate is trusted (CAFILE), and verification fails when it is not.
# The server is stopped by pid.
#   sh tests/integration/tls_example.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
client=$build/examples/net/net_tls_client
tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

if ! command -v openssl >/dev/null 2>&1; then
    echo "skip: the openssl CLI is not installed (scripts/install-deps.sh installs it)"
    exit 0
fi
[ -x "$client" ] || fail "$client was not built"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -days 1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/req.err" ||
    fail "openssl req: $(cat "$tmp/req.err")"

for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    openssl s_server -www -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" \
        -key "$tmp/key.pem" > "$tmp/server.out" 2>&1 &
    pid=$!
    for i in $(seq 50); do
        grep -q ACCEPT "$tmp/server.out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q ACCEPT "$tmp/server.out" && break
    kill "$pid" 2>/dev/null
    pid=""
done
[ -n "$pid" ] || fail "s_server did not start: $(cat "$tmp/server.out")"

out=$("$client" localhost "$port" "$tmp/cert.pem" 2>"$tmp/client.err") ||
    fail "tls_client: $(cat "$tmp/client.err")"
echo "$out" | head -1 | grep -q "^HTTP/1.0 200 ok" || fail "got: $out"
echo "$out" | grep -q "Ciphers supported in s_server binary" || fail "got: $out"
grep -q "^connected: TLSv1.3, " "$tmp/client.err" || fail "stderr: $(cat "$tmp/client.err")"
echo "ok   page fetched over TLS, certificate verified"

# the system store (here: an empty one) does not trust the certificate
SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent \
    "$client" localhost "$port" > /dev/null 2>"$tmp/client.err" &&
    fail "an untrusted certificate was accepted"
grep -q "certificate verify failed: self-signed certificate" "$tmp/client.err" ||
    fail "stderr: $(cat "$tmp/client.err")"
echo "ok   untrusted certificate refused: $(cat "$tmp/client.err")"
