#!/bin/sh
# combine_demo.sh BUILD_DIR SOURCE_DIR
#
# Runs the combinators cell of the notebook (examples/seed/06_combinators.c)
# and compares its output with examples/seed/expected/06_combinators.txt:
# stdout exactly (the sleeps are 0.1 s apart, so the order is fixed), stderr
# empty, exit status 0.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
build=$1
want=$2/examples/seed/expected/06_combinators.txt
unset CIO_DEBUG

exe=
for dir in "$build/examples/seed" "$build/examples" "$build/bin" "$build"; do
    if [ -x "$dir/seed_06_combinators" ]; then
        exe=$dir/seed_06_combinators
        break
    fi
done
if [ -z "$exe" ]; then
    echo "SKIP: seed_06_combinators is not built (CIO_BUILD_EXAMPLES=OFF?)"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-combine-demo.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

run=
if command -v timeout >/dev/null 2>&1; then
    run="timeout 60"
fi
$run "$exe" >"$tmp/out" 2>"$tmp/err"
status=$?

failed=0
if [ $status -ne 0 ]; then
    echo "FAIL: exit status $status"
    failed=1
fi
if ! diff -u "$want" "$tmp/out"; then
    echo "FAIL: stdout differs"
    failed=1
fi
if [ -s "$tmp/err" ]; then
    echo "FAIL: unexpected output on stderr:"
    cat "$tmp/err"
    failed=1
fi
[ $failed -ne 0 ] || echo "ok   06_combinators"
exit $failed
