# OpenInfusion - the entry points of the README.
#   make demo    the main job: the example library and DERS checks, then the live system
#                (broker, infusiond, simulated pumps, EHR simulator) until Ctrl-C
#   make check   build everything (gcc -Werror, clang ASan+UBSan + fuzzers) and run all tests
#   make fuzz    run every fuzz target for FUZZ_SECONDS each (default 60)
#   make bench   build optimised and run the benchmarks
SHELL := /bin/sh
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all demo check build build-gcc build-asan test-gcc test-asan fuzz bench clean bootstrap

all: build-gcc

bootstrap:
	@sh scripts/bootstrap

build-gcc: bootstrap
	@cmake -S . -B build/gcc -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOI_BENCH=ON >/dev/null
	@cmake --build build/gcc -j $(JOBS)

build-asan: bootstrap
	@cmake -S . -B build/asan -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DOI_SANITIZE=ON -DOI_FUZZ=ON -DOI_BENCH=OFF >/dev/null
	@cmake --build build/asan -j $(JOBS)

test-gcc: build-gcc
	@cd build/gcc && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	@cd build/asan && ctest --output-on-failure -j $(JOBS)

check: test-gcc test-asan

demo: build-gcc
	@sh scripts/demo build/gcc
	@sh scripts/demo-live build/gcc

fuzz: build-asan
	@sh scripts/fuzz build/asan $(FUZZ_SECONDS)

bench: bootstrap
	@cmake -S . -B build/release -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build/release -j $(JOBS) --target bench_ders
	@sh scripts/bench build/release

clean:
	rm -rf build
