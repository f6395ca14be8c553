# Skiff: the README's two commands are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps configure build test demo bench fuzz clean format

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@ninja -C $(BUILD) -j $(JOBS)

test: build fuzz-build
	@cd $(BUILD) && ctest --output-on-failure -j 1 $(CTEST_ARGS)
	@cd $(BUILD)-fuzz && ctest --output-on-failure -j 1

demo: build
	@./scripts/demo.sh $(BUILD)/src/cli/skiff

bench: build
	@./bench/run.sh $(BUILD)

# libFuzzer targets need clang: a separate build tree with only the decoders.
fuzz-build: deps
	@CC=clang CXX=clang++ cmake -S . -B $(BUILD)-fuzz -G Ninja -DSKIFF_FUZZ=ON >/dev/null
	@ninja -C $(BUILD)-fuzz -j $(JOBS)

fuzz: fuzz-build
	@cd $(BUILD)-fuzz && ctest --output-on-failure

format:
	@find src tests bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
