#include "table/table_io.h"

#include "core/error.h"

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
