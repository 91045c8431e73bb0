# The two set-up commands of the README: `make demo` and `make test`. Each installs
# what it needs and is safe to run twice.
JOBS ?= $(shell nproc)
BUILD := build

.PHONY: all setup build test test-asan demo bench soak clean

all: build

setup:
	@scripts/setup
	@scripts/fetch-duckdb
	@scripts/fetch-web-assets

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
# (not part of `make test`).
test-asan: setup
	@JOBS=$(JOBS) scripts/test-asan

demo: build
	@scripts/demo

bench: build
	@scripts/bench

# The soak test: the supervisor for SOAK_CYCLES working cycles with new releases, injected
# faults and the web app under wrk; 5-8 minutes (SOAK_CYCLES=3: about a minute).
# Other knobs (SOAK_SEED, SOAK_SCALE, SOAK_FAULT_PCT, SOAK_RSS_BOUND_PCT, ...): scripts/soak.
SOAK_CYCLES ?= 30
export SOAK_CYCLES SOAK_SEED SOAK_SCALE SOAK_FAIL_RATE SOAK_TRUNCATE_RATE SOAK_FAULT_PCT \
  SOAK_INTERVAL SOAK_WRK_THREADS SOAK_WRK_CONNECTIONS SOAK_SAMPLE_S SOAK_RSS_BOUND_PCT \
  SOAK_RSS_SLACK_MB SOAK_ROUND_TIMEOUT_S SOAK_KEEP
soak: build
	@MATERIA=$(CURDIR)/$(BUILD)/materia scripts/soak

# The fuzz targets of tests/fuzz/ (libFuzzer, clang, in build/fuzz), FUZZ_SECONDS each;
# fails naming the input when one crashes. See tests/fuzz/README.md.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: setup
	@FUZZ_BUILD_DIR=$(CURDIR)/$(BUILD)/fuzz FUZZ_JOBS=$(JOBS) scripts/fuzz --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
