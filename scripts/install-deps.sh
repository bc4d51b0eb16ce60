#!/usr/bin/env bash
# Install the Debian/Ubuntu packages cio needs to build and test.
# Idempotent: when everything is present it prints one line and exits 0.
#   root + apt-get:  installs exactly the missing packages
#   not root:        prints the sudo command to run and exits 1
#   not Debian-like: prints what is needed and exits 1
set -euo pipefail

packages=(cmake pkg-config gcc libc6-dev make libuv1-dev libcurl4-openssl-dev
          libjansson-dev libssl-dev libcmocka-dev valgrind)
# net: the redis_fd example (hiredis) and its test's server; python3 picks
# free ports in tests
packages+=(libhiredis-dev redis-server python3)
# extra packages a target needs (make lint: clang-format clang-tidy cppcheck)
packages+=("$@")

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$status" = "install ok installed" ] || missing+=("$p")
    done
else
    echo "install-deps: this is not a Debian-like system (no dpkg-query)." >&2
    echo "install-deps: cio needs: a C11 compiler, make, CMake >= 3.18, pkg-config," >&2
    echo "  and the development files of libuv, libcurl (OpenSSL), jansson, OpenSSL 3," >&2
    echo "  cmocka; valgrind for 'make valgrind'." >&2
    echo "install-deps: install them with your package manager, then re-run make." >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all build dependencies present"
    exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: apt-get not found; install these packages by hand: ${missing[*]}" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: not running as root; run this, then re-run make:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
