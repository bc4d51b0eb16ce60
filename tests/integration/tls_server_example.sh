#!/bin/sh
# examples/net/tls_server on a free port of 127.0.0.1 with two identities
# made here (localhost, and beta.test chosen by SNI), both keys encrypted
# with a password given in KEY_PASSWORD; `openssl s_client` asks for each
# name, checks the certificate it gets and the echo. Without the password
# the server refuses to start, saying why. Everything is stopped by pid.
#   sh tests/integration/tls_server_example.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
server=$build/examples/net/net_tls_server
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
[ -x "$server" ] || fail "$server was not built"
for name in localhost beta.test; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -passout pass:s3cret -subj "/CN=$name" \
        -addext "subjectAltName=DNS:$name" -days 1 \
        -keyout "$tmp/$name.key" -out "$tmp/$name.pem" 2>"$tmp/req.err" ||
        fail "openssl req: $(cat "$tmp/req.err")"
done

# no password: a clear refusal, not a prompt
"$server" 0 "$tmp/localhost.pem" "$tmp/localhost.key" </dev/null \
    >/dev/null 2>"$tmp/nopw.err" && fail "started without the key's password"
grep -q "it is encrypted, and no key_password was given" "$tmp/nopw.err" ||
    fail "stderr: $(cat "$tmp/nopw.err")"
echo "ok   refused without the password: $(cat "$tmp/nopw.err")"

KEY_PASSWORD=s3cret "$server" 0 "$tmp/localhost.pem" "$tmp/localhost.key" \
    beta.test "$tmp/beta.test.pem" "$tmp/beta.test.key" >"$tmp/server.out" 2>&1 &
pid=$!
for i in $(seq 100); do
    grep -q "^Serving TLS on" "$tmp/server.out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
port=$(sed -n 's/^Serving TLS on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/server.out")
[ -n "$port" ] || fail "the server did not start: $(cat "$tmp/server.out")"

for name in localhost beta.test; do
    # (-ign_eof: s_client waits for the server, which closes at "quit")
    out=$(printf 'ping %s\nquit\n' "$name" | openssl s_client -ign_eof \
        -connect "127.0.0.1:$port" -servername "$name" -CAfile "$tmp/$name.pem" \
        -verify_return_error -verify_hostname "$name" 2>&1) ||
        fail "s_client $name: $out"
    echo "$out" | grep -q "subject=CN = $name" || fail "no CN = $name in: $out"
    echo "$out" | grep -q "^hello over TLSv1.3 as $name$" || fail "no greeting: $out"
    echo "$out" | grep -q "^ping $name" || fail "no echo: $out"
    echo "ok   $name: its own certificate, verified, echo back"
done
