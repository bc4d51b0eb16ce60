#!/usr/bin/env bash
# Local stand-ins for the web services of the notebook's HTTP cells, on
# 127.0.0.1 (examples/web/standin_server.c): HTTPS for GitHub's events and
# ipify (a CA and a certificate made for the run, trusted through
# SSL_CERT_FILE, as Python would), plain HTTP for ip-api.
#
#   eval "$(scripts/standins.sh start BUILD_DIR STATE_DIR [SERVER OPTIONS])"
#       starts them and prints the export lines of EVENTS_URL, IPIFY_URL,
#       IPAPI_URL and SSL_CERT_FILE; SERVER OPTIONS go to both servers
#       (e.g. --fault 500, --latency 0.05)
#   scripts/standins.sh stop STATE_DIR
#       stops them by pid
set -euo pipefail

cmd=${1:-}
case $cmd in
start)
    build=$(cd "$2" && pwd) state=$3
    shift 3
    server=$build/examples/web/web_standin_server
    [ -x "$server" ] || { echo "standins: $server is not built" >&2; exit 1; }
    mkdir -p "$state"
    cd "$state"
    if [ ! -f server.pem ]; then
        ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
        openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=cio stand-in CA" \
            -keyout ca.key -out ca.pem 2>/dev/null
        openssl req "${ec[@]}" -subj "/CN=127.0.0.1" -keyout server.key \
            -out server.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>/dev/null
    fi
    # the files exist before the servers write them: they are read at once
    : >https.out
    : >http.out
    # ipify answers first (the race's winner in the demo), ip-api a second
    # later: the demo's output is the same at every run
    "$server" --port 0 --latency 0.05 --cert server.pem --key server.key "$@" \
        >https.out 2>&1 &
    echo $! >https.pid
    "$server" --port 0 --latency 1 "$@" >http.out 2>&1 &
    echo $! >http.pid
    for _ in $(seq 1 600); do
        ps=$(awk '/^port /{print $2}' https.out)
        pp=$(awk '/^port /{print $2}' http.out)
        [ -n "$ps" ] && [ -n "$pp" ] && break
        sleep 0.05
    done
    if [ -z "$ps" ] || [ -z "$pp" ]; then
        echo "standins: the servers did not start:" >&2
        cat https.out http.out >&2
        exit 1
    fi
    echo "export EVENTS_URL=https://127.0.0.1:$ps/events"
    echo "export IPIFY_URL='https://127.0.0.1:$ps/?format=json'"
    echo "export IPAPI_URL=http://127.0.0.1:$pp/json"
    echo "export SSL_CERT_FILE=$PWD/ca.pem"
    ;;
stop)
    state=$2
    for f in "$state"/https.pid "$state"/http.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        # wait for it (not our child when called from another shell)
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        rm -f "$f"
    done
    ;;
*)
    echo "usage: $0 start BUILD_DIR STATE_DIR [OPTIONS] | stop STATE_DIR" >&2
    exit 2
    ;;
esac
