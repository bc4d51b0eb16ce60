#!/bin/sh
# difftest.sh BUILD_DIR SOURCE_DIR
#
# The differential tester with a fixed seed: a few hundred random programs
# of tasks, sleeps, awaits, cancels, gathers, waits, timeouts, shields, locks,
# semaphores, queues and events, run on CPython's asyncio and on cio (virtual
# time on both sides), their event logs compared line for line. Known,
# documented differences (tests/diff/KNOWN.md) are accepted; a new one fails
# the test with the seed and the smallest program that shows it. `make soak`
# runs the same with a random seed for as long as asked.
#
# ctest-labels: novalgrind
# ctest-timeout: 600

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
build=$1
src=$2

python=
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1; then
        python=$(command -v "$p")
        break
    fi
done
if [ -z "$python" ]; then
    echo "SKIPPED: python3 not found (scripts/install-deps.sh installs it)"
    exit 0
fi
if ! "$python" -c 'import asyncio; asyncio.timeout; asyncio.Runner' 2>/dev/null; then
    echo "SKIPPED: $python has no asyncio.timeout/Runner (Python >= 3.11 needed)"
    exit 0
fi
diffrun=$build/tests/diff/diffrun
if [ ! -x "$diffrun" ]; then
    echo "SKIPPED: $diffrun is not built (jansson missing?)"
    exit 0
fi

# Fewer programs under the sanitizers (slower, and the other core is busy).
count=200
case $(grep -s '^CIO_SANITIZE:' "$build/CMakeCache.txt") in
*=address) count=80 ;;
*=thread) count=50 ;;
esac

run=
if command -v timeout >/dev/null 2>&1; then
    run="timeout 540"
fi
unset CIO_DEBUG
exec $run "$python" "$src/tests/diff/difftest.py" --python "$python" \
    --diffrun "$diffrun" --seed 20261207 --count $count --show 2 \
    --shrink-seconds 60
