# Thin wrapper over CMake. Every target first installs missing Debian packages
# (install-deps.sh does nothing when all are present).
BUILD ?= build
JOBS  ?= $(shell nproc)
ARGS  ?=

.PHONY: all deps build run test bench baseline test-sanitize clean

all: build

deps:
	@bash install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DALLOCBENCH_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The main job: every backend on every workload. Pass flags with ARGS="--reps 9".
run: build
	$(BUILD)/allocbench run $(ARGS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

# Re-record baselines/workloads.json, the deterministic figures `make test` gates on.
baseline: build
	cmake --build $(BUILD) --target baseline

# Speed and overhead goals, printed as figures (several minutes).
bench: build
	python3 tests/bench/bench.py $(BUILD)

# The driver and the system worker under ASan+UBSan, then under TSan.
test-sanitize: deps
	cmake --preset asan >/dev/null && cmake --build --preset asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)
	cmake --preset tsan >/dev/null && cmake --build --preset tsan -j$(JOBS)
	ctest --preset tsan -j$(JOBS)

clean:
	rm -rf $(BUILD) build-asan build-tsan
