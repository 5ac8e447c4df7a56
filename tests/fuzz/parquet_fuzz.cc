// libFuzzer target: any bytes given to the Parquet reader either read or throw plinth::Error;
// never a crash, hang or sanitizer report. Build and run with `make fuzz` (docs/tables.md).
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "table/parquet.h"

// Warnings (e.g. timestamps out of range) are expected on random input; they would only
// slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plinth::table::ParquetReadOptions options;
  options.jobs = 1;
  try {
    plinth::table::parse_parquet(std::string(reinterpret_cast<const char*>(data), size), options);
  } catch (const plinth::Error&) {
  }
  return 0;
}
