#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::table {

// The value types a column can hold. Timestamps are UTC nanoseconds since the Unix epoch.
enum class ColumnType { kFloat64, kInt64, kBool, kString, kTimestamp };

// "float64", "int64", "bool", "string", "timestamp".
std::string_view type_name(ColumnType type);
// The inverse of type_name; throws Error(kInvalidInput) naming `name` and the valid names.
ColumnType parse_type_name(std::string_view name);

// Variable-length byte strings stored back to back: no allocation per value.
class Strings {
 public:
  Strings() : offsets_{0} {}
  size_t size() const { return offsets_.size() - 1; }
  std::string_view operator[](size_t i) const {
    return {chars_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  void push_back(std::string_view s) {
    chars_.append(s);
    offsets_.push_back(chars_.size());
  }
  // Room for n strings of `bytes` bytes in all without reallocation.
  void reserve(size_t n, size_t bytes);
  size_t byte_size() const { return chars_.size(); }
  void append(const Strings& other, size_t begin, size_t end);
  bool operator==(const Strings& other) const {
    return offsets_ == other.offsets_ && chars_ == other.chars_;
  }

 private:
  std::vector<uint64_t> offsets_;
  std::string chars_;
};

// One typed column. Exactly one of the value vectors is used, chosen by `type`:
//   kFloat64 -> f64; kInt64, kTimestamp -> i64; kBool -> b (0 or 1);
//   kString  -> str, or, for a dictionary-encoded (categorical) column, dict + codes.
// `valid` is either empty (no nulls) or holds one byte per row, 0 for null. A null row still
// has a slot in the value vector, holding 0 or "".
struct Column {
  std::string name;
  ColumnType type = ColumnType::kFloat64;
  std::vector<double> f64;
  std::vector<int64_t> i64;
  std::vector<uint8_t> b;
  Strings str;
  Strings dict;
  std::vector<int32_t> codes;
  std::vector<uint8_t> valid;

  Column() = default;
  Column(std::string n, ColumnType t) : name(std::move(n)), type(t) {}

  size_t size() const;
  bool has_dictionary() const { return type == ColumnType::kString && !codes.empty(); }
  bool is_null(size_t row) const { return !valid.empty() && !valid[row]; }
  size_t null_count() const;
  // The string at `row`, through the dictionary when there is one.
  std::string_view string_at(size_t row) const {
    return has_dictionary() ? dict[codes[row]] : str[row];
  }

  // Appends one null row.
  void push_null();
  // Appends rows [begin, end) of `other`, which must have the same type.
  void append(const Column& other, size_t begin, size_t end);
  // Replaces dict + codes by plain strings.
  void materialize_strings();
  // Room for `rows` values (and `string_bytes` of plain strings, or with `dictionary` codes
  // too, for a string column that starts with a dictionary) without reallocation.
  void reserve(size_t rows, size_t string_bytes = 0, bool dictionary = false);
};

struct Field {
  std::string name;
  ColumnType type;
  bool operator==(const Field&) const = default;
};
using Schema = std::vector<Field>;

// A set of equally long named columns.
class Table {
 public:
  Table() = default;
  explicit Table(std::vector<Column> columns);

  size_t num_rows() const { return columns_.empty() ? 0 : columns_[0].size(); }
  size_t num_columns() const { return columns_.size(); }
  Schema schema() const;
  const std::vector<Column>& columns() const { return columns_; }
  std::vector<Column>& columns() { return columns_; }
  const Column& column(size_t i) const { return columns_[i]; }
  // Throws Error(kNotFound) naming the column and listing the ones there are.
  const Column& column(std::string_view name) const;
  std::optional<size_t> find(std::string_view name) const;

  // The named columns, in the given order. Unknown names throw Error(kNotFound).
  Table select(const std::vector<std::string>& names) const;
  // Rows [offset, offset + length), clamped to the table.
  Table slice(size_t offset, size_t length) const;
  // Appends the rows of `other`, which must have the same schema.
  void append(const Table& other);

 private:
  friend Table concat(std::vector<Table> parts);
  std::vector<Column> columns_;
};

// A source of tables read piece by piece (Parquet row groups, CSV chunks), so that large files
// stream with bounded memory. Every batch has schema().
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  virtual const Schema& schema() const = 0;
  // The next batch, or nullopt at the end. Throws Error naming the file on bad input.
  virtual std::optional<Table> next() = 0;
  // How far through its input the reader is, from 0 to 1, for progress bars: a Parquet file
  // counts the rows of the row groups read or passed over against its footer's row count, a
  // CSV file the bytes of the batches returned against its size. nullopt when it cannot tell.
  virtual std::optional<double> fraction_read() const { return std::nullopt; }
  // Passes over the next batch, returning its row count (nullopt at the end). Readers that can
  // do so without decoding (Parquet) override this.
  virtual std::optional<size_t> skip() {
    auto batch = next();
    return batch ? std::optional<size_t>(batch->num_rows()) : std::nullopt;
  }
  // All remaining batches as one table. This one concatenates them; readers that can build the
  // table without copying batches (Parquet, datasets of Parquet files) override it.
  virtual Table read_remaining();
};

// The tables one after the other (same schemas), copying each value once.
Table concat(std::vector<Table> parts);

// All remaining batches of `reader` as one table (reader.read_remaining()).
Table read_all(BatchReader& reader);

// Throws Error(kNotFound) for the first name not in `schema`, naming it, `file` and the
// columns there are.
void check_columns_exist(const Schema& schema, const std::vector<std::string>& names,
                         const std::string& file);

}  // namespace plinth::table
