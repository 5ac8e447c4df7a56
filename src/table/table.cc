#include "table/table.h"

#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"

namespace plinth::table {

namespace {

constexpr std::string_view kTypeNames[] = {"float64", "int64", "bool", "string", "timestamp"};

std::string column_list(const Schema& schema) {
  std::string out;
  for (const auto& f : schema) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

template <typename T>
void append_range(std::vector<T>& to, const std::vector<T>& from, size_t begin, size_t end) {
  to.insert(to.end(), from.begin() + begin, from.begin() + end);
}

}  // namespace

std::string_view type_name(ColumnType type) { return kTypeNames[static_cast<int>(type)]; }

ColumnType parse_type_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i)
    if (kTypeNames[i] == name) return static_cast<ColumnType>(i);
  throw Error(ErrorCode::kInvalidInput, "unknown column type '" + std::string(name) +
                                            "': use float64, int64, bool, string or timestamp");
}

void Strings::append(const Strings& other, size_t begin, size_t end) {
  uint64_t from = other.offsets_[begin];
  uint64_t shift = chars_.size() - from;
  chars_.append(other.chars_, from, other.offsets_[end] - from);
  for (size_t i = begin + 1; i <= end; ++i) offsets_.push_back(other.offsets_[i] + shift);
}

size_t Column::size() const {
  switch (type) {
    case ColumnType::kFloat64:
      return f64.size();
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return i64.size();
    case ColumnType::kBool:
      return b.size();
    case ColumnType::kString:
      return has_dictionary() ? codes.size() : str.size();
  }
  return 0;
}

size_t Column::null_count() const {
  return valid.empty() ? 0 : static_cast<size_t>(std::count(valid.begin(), valid.end(), 0));
}

void Column::push_null() {
  if (valid.empty()) valid.assign(size(), 1);
  switch (type) {
    case ColumnType::kFloat64:
      f64.push_back(0);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      i64.push_back(0);
      break;
    case ColumnType::kBool:
      b.push_back(0);
      break;
    case ColumnType::kString:
      materialize_strings();
      str.push_back({});
      break;
  }
  valid.push_back(0);
}

void Column::materialize_strings() {
  if (!has_dictionary()) return;
  Strings plain;
  for (int32_t code : codes) plain.push_back(dict[code]);
  str = std::move(plain);
  dict = Strings();
  codes.clear();
}

void Column::append(const Column& other, size_t begin, size_t end) {
  size_t before = size();
  if (!other.valid.empty() || !valid.empty()) {
    if (valid.empty()) valid.assign(before, 1);
    if (other.valid.empty())
      valid.insert(valid.end(), end - begin, 1);
    else
      append_range(valid, other.valid, begin, end);
  }
  switch (type) {
    case ColumnType::kFloat64:
      append_range(f64, other.f64, begin, end);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      append_range(i64, other.i64, begin, end);
      break;
    case ColumnType::kBool:
      append_range(b, other.b, begin, end);
      break;
    case ColumnType::kString:
      if (other.has_dictionary() && before == 0) dict = other.dict;
      if (other.has_dictionary() && (before == 0 || (has_dictionary() && dict == other.dict))) {
        append_range(codes, other.codes, begin, end);
        if (codes.empty()) dict = Strings();
      } else {
        materialize_strings();
        if (other.has_dictionary()) {
          for (size_t i = begin; i < end; ++i) str.push_back(other.dict[other.codes[i]]);
        } else {
          str.append(other.str, begin, end);
        }
      }
      break;
  }
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
  for (const auto& c : columns_)
    if (c.size() != num_rows())
      throw Error(ErrorCode::kInternal, "column '" + c.name + "' has " + std::to_string(c.size()) +
                                            " rows, expected " + std::to_string(num_rows()));
}

Schema Table::schema() const {
  Schema s;
  for (const auto& c : columns_) s.push_back({c.name, c.type});
  return s;
}

std::optional<size_t> Table::find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name == name) return i;
  return std::nullopt;
}

const Column& Table::column(std::string_view name) const {
  auto i = find(name);
  if (!i)
    throw Error(ErrorCode::kNotFound,
                "no column '" + std::string(name) + "'; the columns are: " + column_list(schema()));
  return columns_[*i];
}

Table Table::select(const std::vector<std::string>& names) const {
  std::vector<Column> out;
  for (const auto& n : names) out.push_back(column(n));
  return Table(std::move(out));
}

Table Table::slice(size_t offset, size_t length) const {
  size_t begin = std::min(offset, num_rows());
  size_t end = begin + std::min(length, num_rows() - begin);
  std::vector<Column> out;
  for (const auto& c : columns_) {
    Column part(c.name, c.type);
    part.append(c, begin, end);
    out.push_back(std::move(part));
  }
  return Table(std::move(out));
}

void Table::append(const Table& other) {
  if (columns_.empty()) {
    *this = other;
    return;
  }
  if (other.schema() != schema())
    throw Error(ErrorCode::kInvalidInput, "cannot append a table with columns (" +
                                              column_list(other.schema()) + ") to one with (" +
                                              column_list(schema()) + ")");
  for (size_t i = 0; i < columns_.size(); ++i)
    columns_[i].append(other.columns_[i], 0, other.num_rows());
}

void Strings::reserve(size_t n, size_t bytes) {
  offsets_.reserve(n + 1);
  chars_.reserve(bytes);
}

void Column::reserve(size_t rows, size_t string_bytes, bool dictionary) {
  switch (type) {
    case ColumnType::kFloat64:
      f64.reserve(rows);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      i64.reserve(rows);
      break;
    case ColumnType::kBool:
      b.reserve(rows);
      break;
    case ColumnType::kString:
      if (has_dictionary() || dictionary) codes.reserve(rows);
      if (!has_dictionary()) str.reserve(rows, string_bytes);
      break;
  }
}

Table concat(std::vector<Table> parts) {
  if (parts.empty()) return Table();
  if (parts.size() == 1) return std::move(parts[0]);
  Table out = std::move(parts[0]);
  if (out.columns_.empty()) {
    for (size_t p = 1; p < parts.size(); ++p) out.append(parts[p]);
    return out;
  }
  Schema schema = out.schema();
  size_t rows = out.num_rows();
  for (size_t p = 1; p < parts.size(); ++p) {
    if (parts[p].schema() != schema)
      throw Error(ErrorCode::kInvalidInput, "cannot append a table with columns (" +
                                                column_list(parts[p].schema()) + ") to one with (" +
                                                column_list(schema) + ")");
    rows += parts[p].num_rows();
  }
  // Each column is copied once, freeing the parts as it goes; columns are independent, so a
  // large table (a whole CSV file read in parallel pieces) is copied one column per core.
  auto copy_column = [&](size_t k) {
    Column& c = out.columns_[k];
    size_t bytes = c.str.byte_size();
    for (size_t p = 1; p < parts.size(); ++p) bytes += parts[p].columns_[k].str.byte_size();
    c.reserve(rows, bytes);
    if (!c.valid.empty()) c.valid.reserve(rows);
    for (size_t p = 1; p < parts.size(); ++p) {
      Column& from = parts[p].columns_[k];
      c.append(from, 0, from.size());
      from = Column();
    }
  };
  constexpr size_t kParallelValues = 1 << 20;
  size_t jobs = std::min(core::default_jobs(), out.columns_.size());
  if (rows * out.columns_.size() < kParallelValues || jobs < 2) {
    for (size_t k = 0; k < out.columns_.size(); ++k) copy_column(k);
  } else {
    core::ThreadPool pool(jobs);
    pool.parallel_for(out.columns_.size(), copy_column);
  }
  return out;
}

Table BatchReader::read_remaining() {
  std::vector<Table> batches;
  while (auto batch = next()) batches.push_back(std::move(*batch));
  if (batches.empty()) {
    std::vector<Column> cols;
    for (const auto& f : schema()) cols.emplace_back(f.name, f.type);
    return Table(std::move(cols));
  }
  return concat(std::move(batches));
}

Table read_all(BatchReader& reader) { return reader.read_remaining(); }

void check_columns_exist(const Schema& schema, const std::vector<std::string>& names,
                         const std::string& file) {
  for (const auto& n : names) {
    bool found = std::any_of(schema.begin(), schema.end(), [&](auto& f) { return f.name == n; });
    if (!found)
      throw Error(ErrorCode::kNotFound,
                  file + ": no column '" + n + "'; the columns are: " + column_list(schema));
  }
}

}  // namespace plinth::table
