#pragma once

#include <filesystem>
#include <memory>

#include "table/csv.h"
#include "table/parquet.h"
#include "table/table.h"

namespace plinth::table {

// Table files by extension: .csv and .tsv (tab-separated) are CSV; .parquet and .pq are
// Parquet. Anything else throws Error(kInvalidInput) naming the file.
enum class FileFormat { kCsv, kParquet };
FileFormat format_of(const std::filesystem::path& path);

struct ReadOptions {
  std::vector<std::string> columns;  // empty: all
  CsvReadOptions csv;                // delimiter, header, types (columns comes from above)
  size_t jobs = 0;
};

// A streaming reader for either format. `path` may also be an s3://bucket/key URI, a local
// folder or an s3:// prefix: then every table file under it is read (see dataset.h).
std::unique_ptr<BatchReader> open_table(const std::filesystem::path& path,
                                        const ReadOptions& options = {});
Table read_table(const std::filesystem::path& path, const ReadOptions& options = {});

class TableWriter {
 public:
  virtual ~TableWriter() = default;
  virtual void write(const Table& batch) = 0;
  // Without close() the file is not created (it is written atomically).
  virtual void close() = 0;
};

struct WriteOptions {
  CsvWriteOptions csv;
  ParquetWriteOptions parquet;
};

// `path` may be an s3:// URI: the table is uploaded on close() and appears only when complete.
std::unique_ptr<TableWriter> open_table_writer(const std::filesystem::path& path, Schema schema,
                                               const WriteOptions& options = {});
void write_table(const Table& table, const std::filesystem::path& path,
                 const WriteOptions& options = {});

}  // namespace plinth::table
