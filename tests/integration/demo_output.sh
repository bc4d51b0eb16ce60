#!/bin/sh
# demo_output.sh BUILD_DIR SOURCE_DIR
#
# Runs the notebook cells of examples/seed/ and compares what they print
# with examples/seed/expected/:
#   <cell>.txt     the exact stdout. For 02_gr123 the timings may be off by up
#                  to 0.2 s (a loaded machine); the text must match exactly.
#                  For 03_sync_vs_async the first 11 lines (Synchronous: and
#                  Task 1..9 done in order, then Asynchronous:) must match
#                  exactly; the asynchronous lines after them come in a random
#                  order, so only the sorted lines are compared.
#   <cell>.stderr  the exact stderr, where a cell prints a diagnostic on
#                  purpose; every other cell must print nothing on stderr.
# Every cell must exit with status 0. Exits 1 with a diff on any mismatch.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
build=$1
expected=$2/examples/seed/expected

# Debug mode would add slow-task reports to stderr.
unset CIO_DEBUG

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-demo.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

run_with_timeout=
if command -v timeout >/dev/null 2>&1; then
    run_with_timeout="timeout 60"
fi

failed=0

fail() {
    echo "FAIL $cell: $*"
    failed=1
    cell_failed=1
}

# Where the build put seed_<cell>: examples/seed/ or examples/.
find_exe() {
    for dir in "$build/examples/seed" "$build/examples" "$build/bin" "$build"; do
        if [ -x "$dir/seed_$1" ]; then
            echo "$dir/seed_$1"
            return 0
        fi
    done
    return 1
}

# Lines equal, or equal but for an "at N seconds" within 0.2 s.
compare_timed() {
    awk -v tol=0.25 '
        function split_time(line, parts,   i) {
            i = match(line, /at [0-9]+\.[0-9] seconds$/)
            if (i == 0) return 0
            parts["text"] = substr(line, 1, i - 1)
            parts["time"] = substr(line, i + 3, RLENGTH - 11) + 0
            return 1
        }
        NR == FNR { want[FNR] = $0; nwant = FNR; next }
        {
            ngot = FNR
            if ($0 == want[FNR]) next
            if (split_time($0, g) && split_time(want[FNR], w) &&
                g["text"] == w["text"] && g["time"] - w["time"] <= tol &&
                w["time"] - g["time"] <= tol) next
            bad = 1
        }
        END { exit (bad || ngot != nwant) ? 1 : 0 }
    ' "$1" "$2"
}

for cell in 01_foo_bar 02_gr123 03_sync_vs_async 04_future_states \
            05_two_ways_to_run 07_producer_consumer; do
    cell_failed=0
    exe=$(find_exe "$cell") || { fail "no executable seed_$cell under $build"; continue; }
    out=$tmp/$cell.out
    err=$tmp/$cell.err

    $run_with_timeout "$exe" >"$out" 2>"$err"
    status=$?
    [ $status -eq 0 ] || fail "exit status $status"

    want=$expected/$cell.txt
    case $cell in
    02_gr123)
        if ! compare_timed "$want" "$out"; then
            fail "stdout differs (beyond 0.2 s in the timings)"
            diff -u "$want" "$out"
        fi
        ;;
    03_sync_vs_async)
        head -n 11 "$want" >"$tmp/want.head"
        head -n 11 "$out" >"$tmp/got.head"
        if ! diff -u "$tmp/want.head" "$tmp/got.head" >"$tmp/diff"; then
            fail "the synchronous part differs"
            cat "$tmp/diff"
        fi
        tail -n +12 "$want" | LC_ALL=C sort >"$tmp/want.sorted"
        tail -n +12 "$out" | LC_ALL=C sort >"$tmp/got.sorted"
        if ! diff -u "$tmp/want.sorted" "$tmp/got.sorted" >"$tmp/diff"; then
            fail "the asynchronous lines differ (compared sorted)"
            cat "$tmp/diff"
            echo "--- as printed:"
            cat "$out"
        fi
        ;;
    *)
        if ! diff -u "$want" "$out" >"$tmp/diff"; then
            fail "stdout differs"
            cat "$tmp/diff"
        fi
        ;;
    esac

    if [ -f "$expected/$cell.stderr" ]; then
        if ! diff -u "$expected/$cell.stderr" "$err" >"$tmp/diff"; then
            fail "stderr differs"
            cat "$tmp/diff"
        fi
    elif [ -s "$err" ]; then
        fail "unexpected output on stderr:"
        cat "$err"
    fi

    [ $cell_failed -ne 0 ] || echo "ok   $cell"
done

exit $failed
