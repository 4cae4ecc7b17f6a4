# Thin wrapper over CMake/CTest. `make run` and `make test` bootstrap the machine first (idempotent, fast when
# everything is present), so a fresh Debian 12 machine needs nothing else.
BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all build asan bootstrap bootstrap-bench run test test-unit test-asan bench install clean

all: build

build:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

asan:
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBW_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

bootstrap:
	@scripts/bootstrap

# The demo (examples/demo): a shop database served over Streamable HTTP on $(LISTEN), with connection instructions.
LISTEN ?= 127.0.0.1:8080
run: bootstrap build
	BULWARK_DEMO_DB=$${BULWARK_DEMO_DB:-$(abspath $(BUILD))/demo.db} examples/demo/run $(BUILD)/bulwark $(LISTEN)

# Every test, twice: the normal build, then the ASan+UBSan build.
test: bootstrap build asan
	cd $(BUILD) && ctest --output-on-failure -j 2
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j 2

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

bench: bootstrap-bench build
	bench/stdio/run
	bench/http/run
	bench/sql/run

bootstrap-bench:
	@scripts/bootstrap --bench

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
