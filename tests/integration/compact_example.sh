#!/bin/sh
# compact_example.sh BUILD_DIR SOURCE_DIR
#
# Runs examples/compact/sleepers.c (100,000 compact tasks: sleep, put i*i in
# a queue) and checks what it prints, the sum of the squares below 100,000
# (333328333350000), with an empty stderr and exit status 0.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
exe=$1/examples/compact/compact_sleepers
unset CIO_DEBUG
# ThreadSanitizer counts every coroutine as a thread and dies past 8,128 of
# them; the compact tests (unit_compact_*) run under it at their own sizes.
if grep -q '^CIO_SANITIZE:STRING=thread' "$1/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP: 100,000 coroutines exceed ThreadSanitizer's thread limit"
    exit 0
fi
if [ ! -x "$exe" ]; then
    echo "SKIP: compact_sleepers is not built (CIO_BUILD_EXAMPLES=OFF?)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-compact-example.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

timeout 120 "$exe" >"$tmp/out" 2>"$tmp/err"
status=$?
failed=0
if [ $status -ne 0 ]; then
    echo "FAIL: exit status $status"
    failed=1
fi
if [ "$(cat "$tmp/out")" != "333328333350000" ]; then
    echo "FAIL: stdout is '$(cat "$tmp/out")', expected 333328333350000"
    failed=1
fi
if [ -s "$tmp/err" ]; then
    echo "FAIL: stderr:"
    cat "$tmp/err"
    failed=1
fi
[ $failed -eq 0 ] && echo "ok: 100,000 compact tasks, sum of squares right"
exit $failed
