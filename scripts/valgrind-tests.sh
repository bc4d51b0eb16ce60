#!/usr/bin/env bash
# Run the tests of a build directory under valgrind (ctest -T memcheck).
# Left out: tests labelled big or novalgrind (too large for valgrind),
# install (it builds programs), script and bench (they would check sh). A test fails if valgrind finds
# a memory error or a definite leak (--error-exitcode=99); the valgrind
# reports of failing tests are printed after ctest's summary.
#   usage: scripts/valgrind-tests.sh BUILD_DIR [extra ctest args...]
# Suppressions, if any, live in tests/valgrind.supp.
set -uo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 BUILD_DIR [ctest args...]" >&2
    exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
build=$1
shift
vg=$(command -v valgrind) || { echo "valgrind is not installed (make deps)" >&2; exit 1; }

opts="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
opts+=" --show-leak-kinds=definite --num-callers=30"
supp=()
if [ -f "$src/tests/valgrind.supp" ]; then
    supp=(--overwrite "MemoryCheckSuppressionFile=$src/tests/valgrind.supp")
fi

cd "$build" || exit 2
rm -f Testing/Temporary/MemoryChecker.*.log
ctest --output-on-failure -j"${JOBS:-2}" -LE '^(big|novalgrind|install|script|bench)$' \
    --overwrite "MemoryCheckCommand=$vg" \
    --overwrite "MemoryCheckCommandOptions=$opts" \
    "${supp[@]}" -T memcheck "$@"
rc=$?
if [ $rc -ne 0 ]; then
    for log in Testing/Temporary/MemoryChecker.*.log; do
        [ -f "$log" ] || continue
        if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$log"; then
            echo "=== valgrind report: $build/$log"
            cat "$log"
        fi
    done
fi
exit $rc
