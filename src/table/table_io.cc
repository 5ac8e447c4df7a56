#include "table/table_io.h"

#include <stdlib.h>

#include "core/error.h"
#include "storage/files.h"
#include "table/dataset.h"

namespace plinth::table {

namespace {

// CsvWriter or ParquetWriter behind the TableWriter interface.
template <typename Writer, typename Options>
class FormatWriter : public TableWriter {
 public:
  FormatWriter(const std::filesystem::path& path, Schema schema, const Options& o)
      : writer_(path, std::move(schema), o) {}
  void write(const Table& batch) override { writer_.write(batch); }
  void close() override { writer_.close(); }

 private:
  Writer writer_;
};

bool is_tsv(const std::filesystem::path& path) { return path.extension() == ".tsv"; }

// A table bound for an s3:// URI: written to a local temporary file, then uploaded on close()
// as a multipart upload, so the object appears only when complete.
class UploadingWriter : public TableWriter {
 public:
  UploadingWriter(std::string uri, Schema schema, const WriteOptions& options)
      : uri_(std::move(uri)) {
    storage::S3Location where = storage::parse_s3_uri(uri_);
    if (where.key.empty() || where.key.ends_with('/'))
      throw Error(ErrorCode::kInvalidInput, uri_ + ": name an object to write, not a prefix");
    std::string dir = (std::filesystem::temp_directory_path() / "plinth-upload-XXXXXX").string();
    if (!::mkdtemp(dir.data())) throw system_error("create a folder in", dir, errno);
    dir_ = dir;
    local_ = dir_ / std::filesystem::path(where.key).filename();
    writer_ = open_table_writer(local_, std::move(schema), options);
  }
  ~UploadingWriter() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void write(const Table& batch) override { writer_->write(batch); }
  void close() override {
    writer_->close();
    storage::upload_file(local_, uri_);
  }

 private:
  std::string uri_;
  std::filesystem::path dir_, local_;
  std::unique_ptr<TableWriter> writer_;
};

}  // namespace

FileFormat format_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".csv" || ext == ".tsv") return FileFormat::kCsv;
  if (ext == ".parquet" || ext == ".pq") return FileFormat::kParquet;
  throw Error(ErrorCode::kInvalidInput,
              path.string() + ": unknown table format; name the file .csv, .tsv or .parquet");
}

std::unique_ptr<BatchReader> open_table(const std::filesystem::path& path,
                                        const ReadOptions& options) {
  if (storage::is_s3_uri(path.string()) || std::filesystem::is_directory(path))
    return open_dataset(path.string(), options);
  if (format_of(path) == FileFormat::kParquet) {
    ParquetReadOptions p;
    p.columns = options.columns;
    p.jobs = options.jobs;
    return std::make_unique<ParquetReader>(path, p);
  }
  CsvReadOptions c = options.csv;
  c.columns = options.columns;
  c.jobs = options.jobs;
  if (is_tsv(path)) c.delimiter = '\t';
  return open_csv(path, c);
}

Table read_table(const std::filesystem::path& path, const ReadOptions& options) {
  return read_all(*open_table(path, options));
}

std::unique_ptr<TableWriter> open_table_writer(const std::filesystem::path& path, Schema schema,
                                               const WriteOptions& options) {
  if (storage::is_s3_uri(path.string())) {
    format_of(path);
    return std::make_unique<UploadingWriter>(path.string(), std::move(schema), options);
  }
  if (format_of(path) == FileFormat::kParquet)
    return std::make_unique<FormatWriter<ParquetWriter, ParquetWriteOptions>>(
        path, std::move(schema), options.parquet);
  CsvWriteOptions c = options.csv;
  if (is_tsv(path)) c.delimiter = '\t';
  return std::make_unique<FormatWriter<CsvWriter, CsvWriteOptions>>(path, std::move(schema), c);
}

void write_table(const Table& table, const std::filesystem::path& path,
                 const WriteOptions& options) {
  auto writer = open_table_writer(path, table.schema(), options);
  writer->write(table);
  writer->close();
}

}  // namespace plinth::table
