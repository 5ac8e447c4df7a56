#pragma once

#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "table/table.h"
#include "table/table_io.h"

namespace plinth::table {

// One table file of a dataset, with the hive partition values of its folders
// (".../dt=2026-03-30/country=FR/part-0.parquet" -> {dt, 2026-03-30}, {country, FR}).
struct DatasetFile {
  std::string uri;
  uint64_t size = 0;
  std::vector<std::pair<std::string, std::string>> partitions;
};

// The table files a path or URI names: a file or an S3 object itself; under a local folder or
// an s3:// prefix, every .parquet, .pq, .csv and .tsv file at any depth, in name order,
// leaving out hidden files and folders (names starting with '.' or '_', such as Spark's
// _SUCCESS and _temporary/). Throws Error(kNotFound) naming `uri` when there are none.
std::vector<DatasetFile> list_dataset(const std::string& uri);

// A digest of what `uri` names: a local file's md5 (DVC's content hash); for an s3:// object,
// prefix or local folder, the md5 of its listing (each file's URI and size), which changes when
// a file is added, removed or rewritten with another size, without reading the data.
std::string dataset_digest(const std::string& uri);

// Reads the files of a dataset one after the other as one table: each file's columns, then a
// column per partition key (int64 when every value is an integer, else string; the value
// __HIVE_DEFAULT_PARTITION__ is null). Every file must have the first file's columns and
// types: one that differs throws Error(kInvalidInput) naming it, the first file and the
// difference. With options.columns, partition keys may be among the names asked for.
// The next Parquet files' footers are read ahead in the background, and a remote file's
// prefetch window runs on into the next file's row groups, so requests stay in flight across
// file boundaries.
class DatasetReader : public BatchReader {
 public:
  DatasetReader(std::string uri, std::vector<DatasetFile> files, const ReadOptions& options);
  ~DatasetReader() override;

  const Schema& schema() const override { return schema_; }
  std::optional<Table> next() override;
  std::optional<size_t> skip() override;
  // Every remaining file into one table: all footers first (several in flight), then each row
  // group decoded straight into its place in the final columns.
  Table read_remaining() override;

  // The file the last batch came from, and the row in it where that batch started.
  const std::string& current_file() const { return files_[current_].uri; }
  size_t current_row() const { return batch_row_; }
  const std::vector<DatasetFile>& files() const { return files_; }
  // The files before the current one and the current file's own fraction, weighed by size.
  std::optional<double> fraction_read() const override;

 private:
  // A file after the current one, being opened in the background.
  struct Ahead {
    std::future<std::unique_ptr<BatchReader>> opening;
    std::unique_ptr<BatchReader> reader;  // once opened
    std::exception_ptr error;             // or why it could not be
    bool ready();
  };
  bool advance();                 // moves to the next file; false after the last
  void open_ahead(size_t files);  // starts opening up to `files` Parquet files after the current
  void link_ahead();              // continues prefetch windows into the opened files
  std::unique_ptr<BatchReader> take_next();  // the next file's reader, schema checked
  void add_partitions(Table& batch) const;

  std::string uri_;
  std::vector<DatasetFile> files_;
  std::vector<uint64_t> bytes_before_;  // [i]: the size of files_[0, i); [size]: of them all
  ReadOptions options_;
  ReadOptions file_options_;           // options_ with the file columns only
  std::vector<std::string> keys_;      // partition keys
  std::vector<ColumnType> key_types_;  // of the partition columns
  std::vector<size_t> order_;          // output column i = file column or partition
  Schema file_schema_, schema_;
  std::unique_ptr<BatchReader> reader_;
  std::deque<Ahead> ahead_;  // files current_ + 1, current_ + 2, ...
  size_t linked_ = 0;        // how many of ahead_ the prefetch chain reaches
  size_t current_ = 0, next_row_ = 0, batch_row_ = 0;
};

// A dataset reader over what `uri` names (see list_dataset).
std::unique_ptr<DatasetReader> open_dataset(const std::string& uri,
                                            const ReadOptions& options = {});

}  // namespace plinth::table
