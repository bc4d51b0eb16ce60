#!/usr/bin/env bash
# Run the notebook's cells: every BUILD/examples/seed/seed_* program, in name
# order (01_..., 02_...), each under a heading. Exits 1 if any cell failed.
#   usage: scripts/demo.sh [BUILD_DIR]   (default: build)
set -uo pipefail

build=${1:-build}
dir=$build/examples/seed
timeout_s=${CIO_DEMO_TIMEOUT:-120}

cells=()
if [ -d "$dir" ]; then
    while IFS= read -r -d '' f; do
        cells+=("$f")
    done < <(find "$dir" -maxdepth 1 -type f -name 'seed_*' -perm -u+x -print0 | LC_ALL=C sort -z)
fi
if [ ${#cells[@]} -eq 0 ]; then
    echo "demo: no cells built in $dir yet (examples/seed/*.c)"
    exit 0
fi

# The HTTP cells (09-13) talk to web services: offline, they talk to local
# stand-ins (scripts/standins.sh) unless the URLs are already set.
src=$(cd "$(dirname "$0")/.." && pwd)
state=$(mktemp -d "${TMPDIR:-/tmp}/cio-demo.XXXXXX")
trap 'bash "$src/scripts/standins.sh" stop "$state"; rm -rf "$state"' EXIT
if [ -z "${EVENTS_URL:-}${IPIFY_URL:-}${IPAPI_URL:-}" ] &&
    [ -x "$build/examples/web/web_standin_server" ]; then
    if standins=$(bash "$src/scripts/standins.sh" start "$build" "$state"); then
        eval "$standins"
        echo "demo: the web services are local stand-ins: $EVENTS_URL, $IPIFY_URL, $IPAPI_URL"
        echo
    else
        # offline means offline: the cells then fail against a closed port
        export EVENTS_URL=http://127.0.0.1:9/events IPIFY_URL=http://127.0.0.1:9/
        export IPAPI_URL=http://127.0.0.1:9/json
        echo "demo: could not start the local stand-ins; the HTTP cells will fail"
    fi
fi

failed=()
for f in "${cells[@]}"; do
    name=$(basename "$f")
    name=${name#seed_}
    echo "=== cell: $name ==="
    timeout --kill-after=5 "$timeout_s" "$f"
    rc=$?
    if [ $rc -ne 0 ]; then
        [ $rc -eq 124 ] && echo "(cell $name timed out after ${timeout_s}s)" ||
            echo "(cell $name exited with status $rc)"
        failed+=("$name")
    fi
    echo
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "demo: ${#failed[@]} of ${#cells[@]} cells failed: ${failed[*]}"
    exit 1
fi
echo "demo: all ${#cells[@]} cells ran"
