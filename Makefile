# The two commands in the README: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
export OMP_WAIT_POLICY = PASSIVE

.PHONY: setup build test demo bench bench-remotes bench-tracking format clean

setup:
	scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

test: setup build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: setup build
	PLINTH=$(abspath $(BUILD))/plinth scripts/demo.sh

bench: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/data_versioning.sh

bench-remotes: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/remotes.sh

bench-tracking: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/tracking.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD)
