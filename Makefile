# Thin wrapper over CMake. Every target first installs the Debian packages it needs that are
# missing (install-deps.sh says which and why, and does nothing when all are present).
BUILD ?= build
JOBS  ?= $(shell nproc)
ARGS  ?=
ITEMS ?=
FUZZ_SECONDS ?= 60
CONFIGURE = cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DALLOCBENCH_WERROR=ON >/dev/null

PREFIX ?= /usr/local

.PHONY: all build build-all run test bench baseline test-sanitize fuzz install package clean

all: build-all

# What running needs: allocbench, its workers, launcher and preloaded libraries.
build:
	@bash install-deps.sh run
	@$(CONFIGURE)
	@cmake --build $(BUILD) -j$(JOBS) --target allocbench

# Everything, the tests included.
build-all:
	@bash install-deps.sh test
	@$(CONFIGURE)
	@cmake --build $(BUILD) -j$(JOBS)

# The main job: every backend on every workload. Pass flags with ARGS="--reps 9".
run: build
	$(BUILD)/allocbench run $(ARGS)

# allocbench and everything it runs, into PREFIX (bin/allocbench, lib/allocbench/).
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# A .deb of the same files, for /usr (build/allocbench_*.deb).
package: build
	@bash install-deps.sh package
	cd $(BUILD) && cpack

test: build-all
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# Re-record baselines/workloads.json, the deterministic figures `make test` gates on.
baseline: build-all
	cmake --build $(BUILD) --target baseline

# Speed and overhead goals, printed as figures (several minutes); ITEMS="5 6" runs some.
bench: build-all
	/usr/bin/python3 tests/bench/bench.py $(BUILD) $(ITEMS)  # Debian's, with python3-scipy

# The driver and the system worker under ASan+UBSan, then under TSan.
test-sanitize:
	@bash install-deps.sh test
	cmake --preset asan >/dev/null && cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)
	cmake --preset tsan >/dev/null && cmake --build --preset tsan -j$(JOBS)
	ctest --preset tsan -j$(JOBS)

# The libFuzzer targets (results reader, flag parsers), FUZZ_SECONDS each, seeded from
# tests/fuzz/corpus; a crash leaves its input in build-fuzz/artifacts/ and fails.
FUZZ_RUN = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -artifact_prefix=build-fuzz/artifacts/
fuzz:
	@bash install-deps.sh fuzz
	cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j$(JOBS) --target fuzz_results_file fuzz_flags fuzz_trace
	@mkdir -p build-fuzz/corpus/results build-fuzz/corpus/flags build-fuzz/corpus/trace build-fuzz/artifacts
	build-fuzz/tests/fuzz/fuzz_results_file $(FUZZ_RUN) build-fuzz/corpus/results tests/fuzz/corpus/results
	build-fuzz/tests/fuzz/fuzz_flags $(FUZZ_RUN) build-fuzz/corpus/flags tests/fuzz/corpus/flags
	build-fuzz/tests/fuzz/fuzz_trace $(FUZZ_RUN) build-fuzz/corpus/trace tests/fuzz/corpus/trace

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
