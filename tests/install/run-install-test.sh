#!/usr/bin/env bash
# The install test: install a built tree into a temporary prefix and build
# tests/install/hello.c against it the three ways a user would:
#   (a) cc $(pkg-config --cflags --libs cio)            shared libcio
#   (b) find_package(cio) + cio::cio / cio::cio_static   CMake package
#   (c) pkg-config --static, linking libcio.a             static libcio
# Each program must print "hello from cio <version>: slept 1 ms".
#
# usage: run-install-test.sh SOURCE_DIR BUILD_DIR
# env:   CC (default cc), CIO_INSTALL_TEST_CFLAGS (e.g. sanitizer flags the
#        build was made with; they are needed to link against it)
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
    exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cc=${CC:-cc}
# shellcheck disable=SC2206 # word splitting intended
extra=(${CIO_INSTALL_TEST_CFLAGS:-})

fail() {
    echo "install test FAILED: $*" >&2
    exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cio-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "-- installing $build into $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

# Find what the install produced (lib/ or lib/<multiarch>/).
mapfile -t pcs < <(find "$prefix" -name cio.pc -path '*/pkgconfig/*')
[ ${#pcs[@]} -eq 1 ] || fail "expected one installed cio.pc, found ${#pcs[@]}"
pcdir=$(dirname "${pcs[0]}")
for f in "$prefix/include/cio.h" "$prefix/include/cio/core.h"; do
    [ -f "$f" ] || fail "header not installed: ${f#"$prefix"/}"
done
mapfile -t cfgs < <(find "$prefix" -name cioConfig.cmake)
[ ${#cfgs[@]} -eq 1 ] || fail "expected one installed cioConfig.cmake, found ${#cfgs[@]}"
[ -f "$(dirname "${cfgs[0]}")/cioConfigVersion.cmake" ] ||
    fail "cioConfigVersion.cmake not installed"

export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists cio || fail "pkg-config cannot read $pcdir/cio.pc"
version=$(pkg-config --modversion cio)
libdir=$(pkg-config --variable=libdir cio)
[ -f "$libdir/libcio.a" ] || fail "libcio.a not in pkg-config's libdir $libdir"
ls "$libdir"/libcio.so.* >/dev/null 2>&1 || fail "libcio.so.* not in $libdir"
expected="hello from cio $version: slept 1 ms"

# check NAME PROGRAM SHARED(yes|no): run it, compare output, check linkage.
check() {
    local name=$1 prog=$2 shared=$3 out deps
    out=$(LD_LIBRARY_PATH="$libdir" "$prog") || fail "$name: program exited with $?"
    [ "$out" = "$expected" ] ||
        fail "$name: printed '$out', expected '$expected'"
    # (not ldd | grep -q: with pipefail, grep's early exit fails the pipe)
    deps=$(LD_LIBRARY_PATH="$libdir" ldd "$prog") || fail "$name: ldd failed"
    if [ "$shared" = yes ]; then
        [[ $deps == *libcio.so* ]] || fail "$name: not linked with libcio.so"
    else
        [[ $deps != *libcio.so* ]] || fail "$name: linked with libcio.so, expected libcio.a"
    fi
    echo "ok   $name: $out"
}

# (a) pkg-config, shared
# shellcheck disable=SC2046 # word splitting intended
"$cc" "${extra[@]}" -o "$tmp/hello_pc_shared" "$src/tests/install/hello.c" \
    $(pkg-config --cflags --libs cio) || fail "(a) compiling with pkg-config failed"
check "(a) pkg-config shared" "$tmp/hello_pc_shared" yes

# (b) CMake package
cmake -S "$src/tests/install/cmake-project" -B "$tmp/cmake-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="${extra[*]}" -DCMAKE_EXE_LINKER_FLAGS="${extra[*]}" \
    >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; fail "(b) configuring the find_package(cio) project failed"; }
cmake --build "$tmp/cmake-build" >>"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log" >&2; fail "(b) building the find_package(cio) project failed"; }
check "(b) cmake cio::cio" "$tmp/cmake-build/hello_shared" yes
check "(b) cmake cio::cio_static" "$tmp/cmake-build/hello_static" no

# (c) pkg-config --static: libcio.a (-l:libcio.a picks the archive even
# though libcio.so sits beside it), with the private dependencies.
static_libs=()
for w in $(pkg-config --static --libs cio); do
    if [ "$w" = -lcio ]; then static_libs+=(-l:libcio.a); else static_libs+=("$w"); fi
done
# shellcheck disable=SC2046 # word splitting intended
"$cc" "${extra[@]}" -o "$tmp/hello_pc_static" "$src/tests/install/hello.c" \
    $(pkg-config --cflags cio) "${static_libs[@]}" || fail "(c) compiling with pkg-config --static failed"
check "(c) pkg-config --static" "$tmp/hello_pc_static" no

echo "install test passed"
