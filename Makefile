# The two set-up commands of the README: `make demo` and `make test`. Each installs
# what it needs and is safe to run twice.
JOBS ?= $(shell nproc)
BUILD := build

.PHONY: all setup build test demo bench clean

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

demo: build
	@scripts/demo

bench: build
	@scripts/bench

clean:
	rm -rf $(BUILD)
