// libFuzzer target: any bytes given to the CSV reader either parse or throw plinth::Error.
// The first byte picks the delimiter, header mode and batch size, so the fuzzer also explores
// records cut at batch and part boundaries.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "table/csv.h"

// Warnings (e.g. timestamps out of range) are expected on random input; they would only
// slow the fuzzer down.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  plinth::table::CsvReadOptions options;
  options.delimiter = data[0] & 1 ? ';' : ',';
  options.header = !(data[0] & 2);
  options.sample_rows = data[0] & 4 ? 1 : 1000;
  options.batch_bytes = 1;  // the reader's minimum (64 KiB)
  options.jobs = data[0] & 8 ? 2 : 1;
  try {
    plinth::table::parse_csv(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
                             options);
  } catch (const plinth::Error&) {
  }
  return 0;
}
