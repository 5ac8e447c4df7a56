# The two commands in the README: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
export OMP_WAIT_POLICY = PASSIVE

.PHONY: setup build test demo tour bench bench-dvc bench-remotes bench-tables bench-drift bench-pipeline bench-experiments bench-tracking bench-mlflow bench-wandb bench-ui bench-models bench-serving bench-onnx bench-python fuzz format clean

setup:
	scripts/setup.sh

build:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

test: setup build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: setup build
	PLINTH=$(abspath $(BUILD))/plinth scripts/demo.sh

# Every command one at a time (the demo before the handbook's project existed).
tour: setup build
	PLINTH=$(abspath $(BUILD))/plinth scripts/tour.sh

bench: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/data_versioning.sh

# Plinth against the real DVC from .venv-test (setup installs it); see docs/benchmarks.md.
bench-dvc: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/dvc.sh

bench-drift: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/drift.sh

bench-models: setup build
	PLINTH=$(abspath $(BUILD))/plinth MODEL_ENGINE_BENCH=$(abspath $(BUILD))/model_engine_bench bench/models.sh

bench-remotes: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/remotes.sh

bench-tables: setup build
	PLINTH=$(abspath $(BUILD))/plinth TABLE_IO_BENCH=$(abspath $(BUILD))/table_io_bench bench/tables.sh

# libFuzzer targets for the Parquet and CSV readers, the model server's request handling and
# the ONNX loader, built with clang, ASan and UBSan in build-fuzz/ and run side by side for
# FUZZ_SECONDS each.
# New inputs go to build-fuzz/corpus/; the seeds in tests/fuzz/corpus/ are only read. A crash
# leaves crash-* files in build-fuzz/.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS = parquet csv serve onnx
fuzz:
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLINTH_FUZZ=ON
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS:%=%_fuzz)
	cd build-fuzz && pids=""; \
	  for t in $(FUZZ_TARGETS); do \
	    mkdir -p corpus/$$t; \
	    ./$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 corpus/$$t ../tests/fuzz/corpus/$$t & pids="$$pids $$!"; \
	  done; \
	  ok=0; for p in $$pids; do wait $$p || ok=1; done; exit $$ok

bench-pipeline: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/pipeline_repro.sh

# exp run --run-all against the real dvc exp run --run-all (.venv-test); see docs/benchmarks.md.
bench-experiments: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/experiments.sh

bench-tracking: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/tracking.sh

bench-mlflow: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/mlflow.sh

bench-wandb: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/wandb.sh

# The web UI against MLflow's own UI in the same browser; see docs/benchmarks.md.
bench-ui: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/ui.sh

bench-serving: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/serving.sh

bench-onnx: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/onnx.sh

# The Python package against XGBoost's and MLflow's Python predict, and Spark with Plinth inside
# against the handbook's pandas_udf; see docs/benchmarks.md.
bench-python: setup build
	PLINTH=$(abspath $(BUILD))/plinth bench/python.sh

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-python
