# cio - a thin wrapper over CMake for the README's commands.
#
#   make deps       install missing Debian packages (scripts/install-deps.sh)
#   make build      configure build/ (RelWithDebInfo) once, then build it
#   make test       build, then run every test with ctest
#   make demo       build, then run the notebook's cells (examples/seed)
#   make bench      Release build in build-release/, then bench/run (cio beside
#                   the peers; BENCH_ARGS="--runs 3 --only w1,w3" passes options)
#   make install    build, then install (PREFIX=/opt/x to choose where)
#   make asan       ASan+UBSan Debug build in build-asan/, run the tests
#   make tsan       TSan build in build-tsan/, run the tests
#   make ucontext   ucontext context-switch build in build-ucontext/, run the tests
#   make soak       the differential tester (tests/diff) against asyncio with a
#                   random seed: SOAK_SECONDS=600 (default), or SOAK_PROGRAMS=N;
#                   SOAK_SEED=S repeats a run. Prints the seed and the
#                   smallest program that behaves differently, if any
#   make valgrind   run the tests of build/ under valgrind (not those labelled
#                   big, novalgrind, install, script or bench)
#   make coverage   gcov build in build-coverage/, the tests (not those labelled
#                   big or install), then lcov's line coverage of src/
#   make clang      the suite built with clang in build-clang/, and run
#   make aarch64    the context switch's unit test cross-built for aarch64 in
#                   build-aarch64/ and run under qemu-aarch64
#   make format-check / format / tidy / cppcheck   lint targets of build/
#   make lint       all three checks, as CI runs them
#   make clean      remove all build directories

CC := cc
export CC
MAKEFLAGS += --no-print-directory
JOBS ?= 2
CMAKE ?= cmake
CTEST ?= ctest
CTEST_ARGS ?=
BENCH_ARGS ?=
PREFIX ?=
SOAK_SECONDS ?= 600
SOAK_PROGRAMS ?=
SOAK_SEED ?=

BUILD_DIRS := build build-asan build-tsan build-ucontext build-release \
	build-coverage build-clang build-aarch64

.PHONY: all help deps configure build test demo bench install asan tsan ucontext \
	valgrind format format-check tidy cppcheck lint clean soak coverage clang \
	aarch64

all: build

help:
	@awk '/^#/ { sub(/^# ?/, ""); print; next } { exit }' Makefile

deps:
	@bash scripts/install-deps.sh

# $(call configure,DIR,CMAKE-ARGS): configure DIR unless it already is.
define configure
	@if [ ! -f $(1)/CMakeCache.txt ]; then \
		echo "$(CMAKE) -S . -B $(1) $(2)"; \
		$(CMAKE) -S . -B $(1) -DCMAKE_C_COMPILER=$(CC) $(2) || \
			{ rm -f $(1)/CMakeCache.txt; exit 1; }; \
	fi
endef

# $(call ctest,DIR): run the tests of DIR; ctest prints its summary line.
define ctest
	cd $(1) && $(CTEST) --output-on-failure -j$(JOBS) $(CTEST_ARGS)
endef

configure: deps
	$(call configure,build,-DCMAKE_BUILD_TYPE=RelWithDebInfo)

build: configure
	$(CMAKE) --build build -j$(JOBS)

test: build
	$(call ctest,build)

demo: build
	@bash scripts/demo.sh build

bench: deps
	$(call configure,build-release,-DCMAKE_BUILD_TYPE=Release -DCIO_BUILD_TESTS=OFF)
	$(CMAKE) --build build-release -j$(JOBS)
	@if [ -f bench/run ]; then \
		echo "bench/run build-release $(BENCH_ARGS)"; \
		CIO_BUILD_DIR=build-release bash bench/run build-release $(BENCH_ARGS); \
	else \
		echo "bench: no benchmarks yet (bench/run does not exist)"; \
	fi

install: build
	$(CMAKE) --install build $(if $(PREFIX),--prefix $(PREFIX))

asan: deps
	$(call configure,build-asan,-DCMAKE_BUILD_TYPE=Debug -DCIO_SANITIZE=address)
	$(CMAKE) --build build-asan -j$(JOBS)
	$(call ctest,build-asan)

tsan: deps
	$(call configure,build-tsan,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIO_SANITIZE=thread)
	$(CMAKE) --build build-tsan -j$(JOBS)
	$(call ctest,build-tsan)

ucontext: deps
	$(call configure,build-ucontext,-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCIO_UCONTEXT=ON)
	$(CMAKE) --build build-ucontext -j$(JOBS)
	$(call ctest,build-ucontext)

soak: build
	python3 tests/diff/difftest.py --diffrun build/tests/diff/diffrun \
		$(if $(SOAK_PROGRAMS),--count $(SOAK_PROGRAMS),--seconds $(SOAK_SECONDS)) \
		$(if $(SOAK_SEED),--seed $(SOAK_SEED)) --show 5 --shrink-seconds 300

valgrind: build
	@JOBS=$(JOBS) bash scripts/valgrind-tests.sh build $(CTEST_ARGS)

format format-check tidy cppcheck: configure
	$(CMAKE) --build build --target $@

# Everything CI checks besides the tests: formatting, cppcheck, clang-tidy.
lint:
	@bash scripts/install-deps.sh clang-format clang-tidy cppcheck
	$(call configure,build,-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	$(CMAKE) --build build --target format-check
	$(CMAKE) --build build --target cppcheck
	$(CMAKE) --build build --target tidy

clean:
	rm -rf $(BUILD_DIRS)

# ---- coverage, a second compiler, the aarch64 context switch -------------

COVERAGE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=--coverage \
	-DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage

# The summary's "lines......: NN.N%" is the line coverage of src/.
coverage: deps
	@bash scripts/install-deps.sh lcov
	$(call configure,build-coverage,$(COVERAGE_FLAGS))
	$(CMAKE) --build build-coverage -j$(JOBS)
	lcov --quiet --zerocounters --directory build-coverage
	cd build-coverage && $(CTEST) --output-on-failure -j$(JOBS) -LE 'big|install' $(CTEST_ARGS)
	lcov --quiet --capture --directory build-coverage \
		--include '$(CURDIR)/src/*' --output-file build-coverage/coverage.info
	lcov --summary build-coverage/coverage.info

clang: CC := clang
clang: deps
	@bash scripts/install-deps.sh clang
	$(call configure,build-clang,-DCMAKE_BUILD_TYPE=RelWithDebInfo)
	$(CMAKE) --build build-clang -j$(JOBS)
	$(call ctest,build-clang)

# Debian has no cmocka for arm64 without multiarch: tests/cross/cmocka.h
# stands in for the part the test uses.
AARCH64_CC ?= aarch64-linux-gnu-gcc
AARCH64_SRCS := tests/unit/coro.c src/coro/coro.c src/coro/stack.c \
	src/coro/overflow.c src/coro/linux.c src/coro/compact.c \
	src/coro/switch_aarch64.S
aarch64:
	@bash scripts/install-deps.sh gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
	@mkdir -p build-aarch64
	$(AARCH64_CC) -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc \
		-Iinclude -Itests/cross -o build-aarch64/unit_coro $(AARCH64_SRCS) -pthread -lm
	qemu-aarch64 -L /usr/aarch64-linux-gnu build-aarch64/unit_coro
