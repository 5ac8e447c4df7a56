#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/files.h"
#include "table/table.h"

namespace plinth::table {

// Apache Parquet files with flat schemas. Reading supports the physical types BOOLEAN, INT32,
// INT64, INT96, FLOAT, DOUBLE, BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY, the encodings PLAIN,
// RLE, PLAIN_DICTIONARY, RLE_DICTIONARY, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
// DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT, data pages v1 and v2, and the codecs UNCOMPRESSED,
// SNAPPY, GZIP, ZSTD, LZ4_RAW and BROTLI. Types map to columns as:
//   BOOLEAN -> bool; INT32/INT64 -> int64; FLOAT/DOUBLE -> float64;
//   DECIMAL (any physical type) and FLOAT16 -> float64;
//   DATE, TIMESTAMP (milli/micro/nano) and INT96 -> timestamp (UTC nanoseconds);
//   BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY -> string (the raw bytes unless STRING-annotated).
// Timestamps outside what int64 nanoseconds hold (years 1677-2262) read as null, with a warning.
// Nested columns (lists, maps, structs) are not supported yet: the file's flat columns read,
// a warning names the others, and columns() marks them unsupported.

struct ParquetReadOptions {
  // Only these columns, in this order (empty: every flat column). Unknown or nested names throw.
  std::vector<std::string> columns;
  // Column chunks decoded in parallel (0: one thread per core).
  size_t jobs = 0;
};

// What `plinth table schema` shows about one column of a Parquet file.
struct ParquetColumnInfo {
  std::string name;      // dotted path for nested leaves
  std::string physical;  // e.g. "INT64"
  std::string logical;   // e.g. "TIMESTAMP(NANOS, UTC)", "" if none
  bool optional = false;
  bool supported = false;  // false for nested columns
};

// Room for the rows of row groups not read yet, summed over files by
// ParquetReader::add_remaining_size before one reservation.
struct ParquetSize {
  size_t rows = 0;
  std::vector<uint64_t> string_bytes;  // per column: the bytes its pages hold uncompressed
  std::vector<bool> dictionary;        // per column: dictionary-encoded in some row group
  // Makes room in `columns` (one per reader column, in order) for that many more rows.
  void reserve(std::vector<Column>& columns) const;
};

// Reads one row group per batch, decoding only the selected columns. A remote file's next row
// groups download in the background while one decodes (up to 64 MiB ahead, plus less than a
// row group), and that window can continue into the file read after it (prefetch_into).
class ParquetReader : public BatchReader {
 public:
  // Reads and checks the footer. Throws Error(kInvalidInput/kCorrupted) naming the file.
  // `path` may be an s3:// URI: the footer is read with one ranged request, then each batch's
  // column chunks (only the selected columns') with several requests in flight.
  ParquetReader(const std::filesystem::path& path, const ParquetReadOptions& options = {});
  explicit ParquetReader(std::unique_ptr<storage::RandomAccessFile> file,
                         const ParquetReadOptions& options = {});
  ~ParquetReader() override;

  const Schema& schema() const override;
  std::optional<Table> next() override;
  // Passes over the next row group without reading its column chunks.
  std::optional<size_t> skip() override;
  // All row groups not read yet, as one table: each decoded straight into its place.
  Table read_remaining() override;

  size_t num_rows() const;
  std::optional<double> fraction_read() const override;
  size_t num_row_groups() const;
  std::string created_by() const;
  // Every leaf column of the file, flat or nested, in schema order.
  std::vector<ParquetColumnInfo> columns() const;

  // For one table out of several files with no copy per batch (DatasetReader): the rows not
  // read yet, what they need (add_remaining_size), and appending them, row group by row group,
  // to `columns` (one per schema() column, of its type).
  size_t remaining_rows() const;
  void add_remaining_size(ParquetSize& size) const;
  void append_remaining(std::vector<Column>& columns);
  // Lets the prefetch window run on into `next`'s row groups (the file read after this one,
  // which must outlive the link) once this file's remaining ones no longer fill it; nullptr
  // unlinks.
  void prefetch_into(ParquetReader* next);

 private:
  struct Impl;
  explicit ParquetReader(std::unique_ptr<Impl> impl);
  friend Table parse_parquet(std::string bytes, const ParquetReadOptions& options);
  std::unique_ptr<Impl> impl_;
};

Table read_parquet(const std::filesystem::path& path, const ParquetReadOptions& options = {});
// A Parquet file held in memory (fuzzing, tests).
Table parse_parquet(std::string bytes, const ParquetReadOptions& options = {});

enum class ParquetCodec { kUncompressed, kSnappy, kGzip, kZstd, kLz4Raw, kBrotli };
// "none"/"uncompressed", "snappy", "gzip", "zstd", "lz4" (LZ4_RAW), "brotli"; throws
// Error(kInvalidInput).
ParquetCodec parse_codec(const std::string& name);

struct ParquetWriteOptions {
  ParquetCodec codec = ParquetCodec::kSnappy;
  int compression_level = 0;  // 0: the codec's default (ZSTD 3, GZIP 6, BROTLI 8)
  // Rows per row group: the unit a reader streams, so it bounds readers' memory.
  size_t row_group_rows = 128 * 1024;
  // String and int64 columns with few distinct values are dictionary-encoded.
  bool dictionary = true;
  size_t jobs = 0;  // column chunks encoded in parallel (0: one thread per core)
};

// Writes a flat Parquet file: every column OPTIONAL; float64 as DOUBLE, int64 as INT64, bool
// as BOOLEAN, string as BYTE_ARRAY (STRING), timestamp as INT64 TIMESTAMP(NANOS, UTC). Each
// column chunk has statistics (min, max, null count) and page CRCs.
class ParquetWriter {
 public:
  ParquetWriter(const std::filesystem::path& path, Schema schema,
                const ParquetWriteOptions& options = {});
  ~ParquetWriter();
  // Buffers rows; writes a row group whenever row_group_rows are buffered.
  void write(const Table& batch);
  // Writes the last row group and the footer, then makes the file visible under its name.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

void write_parquet(const Table& table, const std::filesystem::path& path,
                   const ParquetWriteOptions& options = {});

}  // namespace plinth::table
