#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "table/table.h"

namespace plinth::table {

// RFC 4180 CSV: fields separated by `delimiter`, records by LF or CRLF; a field in double
// quotes may hold delimiters, newlines and doubled quotes (""). Empty fields, NA and null are
// nulls, except that quoted ones are text in a string column ("" is the empty string there).
struct CsvReadOptions {
  char delimiter = ',';
  // Without a header the columns are named column_1, column_2, ...
  bool header = true;
  // Column types by name; other columns get a type inferred from the first `sample_rows`
  // records: bool (true/false), int64, float64, timestamp (ISO 8601), else string. A column
  // with only nulls in the sample is a string column.
  std::map<std::string, ColumnType> types;
  size_t sample_rows = 1000;
  // Only these columns, in this order (empty: all). Unknown names throw Error(kNotFound).
  std::vector<std::string> columns;
  // Bytes read and parsed at once (one batch); parsing is split across `jobs` threads
  // (0: one per core).
  size_t batch_bytes = 32 << 20;
  size_t jobs = 0;
};

// Streams a CSV file in batches of about `batch_bytes`. A value that does not parse as its
// column's type throws Error(kInvalidInput) naming the file, line, column and value.
std::unique_ptr<BatchReader> open_csv(const std::filesystem::path& path,
                                      const CsvReadOptions& options = {});

// The whole file as one table.
Table read_csv(const std::filesystem::path& path, const CsvReadOptions& options = {});

// CSV text in memory (tests, fuzzing); `name` stands for the file in error messages.
Table parse_csv(std::string_view text, const CsvReadOptions& options = {},
                const std::string& name = "<memory>");

struct CsvWriteOptions {
  char delimiter = ',';
};

// Writes tables as CSV with a header line. Floats are written in their shortest form that
// reads back to the same double; timestamps as ISO 8601 UTC; nulls as empty fields. Strings
// are quoted when they need it, and when they would otherwise read back as null.
class CsvWriter {
 public:
  CsvWriter(const std::filesystem::path& path, Schema schema, CsvWriteOptions options = {});
  ~CsvWriter();
  void write(const Table& batch);
  // Makes the file visible under its name; without close() nothing is written.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `table` as CSV text.
std::string format_csv(const Table& table, const CsvWriteOptions& options = {});

}  // namespace plinth::table
