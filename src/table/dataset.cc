#include "table/dataset.h"

#include <algorithm>
#include <charconv>

#include "core/error.h"
#include "core/hash.h"
#include "storage/files.h"

namespace plinth::table {
namespace {

constexpr std::string_view kHiveNull = "__HIVE_DEFAULT_PARTITION__";

bool is_table_file(const std::string& name) {
  for (const char* ext : {".parquet", ".pq", ".csv", ".tsv"})
    if (name.ends_with(ext)) return true;
  return false;
}

// Hive escapes '/', '=', '%' and others in values as %XX.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr == s.data() + i + 3) {
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool parses_as_int(const std::string& v) {
  int64_t x;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  return !v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size();
}

std::string schema_text(const Schema& schema) {
  std::string out;
  for (const auto& f : schema)
    out += (out.empty() ? "" : ", ") + f.name + " " + std::string(type_name(f.type));
  return out;
}

// How `other` differs from `first`, for people: the first column that is missing, extra or of
// another type.
std::string schema_difference(const Schema& first, const Schema& other) {
  for (const auto& f : first) {
    auto it = std::find_if(other.begin(), other.end(), [&](auto& o) { return o.name == f.name; });
    if (it == other.end()) return "it has no column '" + f.name + "'";
    if (it->type != f.type)
      return "column '" + f.name + "' is " + std::string(type_name(it->type)) + " there but " +
             std::string(type_name(f.type)) + " in the first";
  }
  for (const auto& o : other)
    if (std::none_of(first.begin(), first.end(), [&](auto& f) { return f.name == o.name; }))
      return "it has an extra column '" + o.name + "'";
  return "its columns are in another order (" + schema_text(other) + ")";
}

std::unique_ptr<BatchReader> open_file(const DatasetFile& file, const ReadOptions& options) {
  if (storage::is_s3_uri(file.uri) && format_of(file.uri) == FileFormat::kParquet) {
    ParquetReadOptions p;
    p.columns = options.columns;
    p.jobs = options.jobs;
    return std::make_unique<ParquetReader>(storage::open_s3_file(file.uri, file.size), p);
  }
  return open_table(file.uri, options);
}

}  // namespace

std::vector<DatasetFile> list_dataset(const std::string& uri) {
  storage::Listing listing = storage::list_files(uri);
  std::vector<DatasetFile> files;
  if (!listing.folder) {
    files.push_back({listing.files[0].uri, listing.files[0].size, {}});
    return files;
  }
  for (const auto& f : listing.files) {
    DatasetFile file{f.uri, f.size, {}};
    bool hidden = false;
    size_t start = 0;
    for (size_t slash; !hidden; start = slash + 1) {
      slash = f.relative.find('/', start);
      std::string_view part = std::string_view(f.relative).substr(start, slash - start);
      hidden = part.empty() || part[0] == '.' || part[0] == '_';
      if (slash == std::string::npos) break;
      auto eq = part.find('=');
      if (eq != std::string_view::npos && eq > 0)
        file.partitions.emplace_back(part.substr(0, eq), percent_decode(part.substr(eq + 1)));
    }
    if (!hidden && is_table_file(f.relative)) files.push_back(std::move(file));
  }
  if (files.empty())
    throw Error(ErrorCode::kNotFound, "no .parquet or .csv files under " + uri +
                                          " (hidden names starting with '.' or '_' are left out)");
  return files;
}

std::string dataset_digest(const std::string& uri) {
  if (!storage::is_s3_uri(uri) && !std::filesystem::is_directory(uri)) return core::md5_file(uri);
  std::string listing;
  for (const auto& f : list_dataset(uri)) listing += f.uri + "\t" + std::to_string(f.size) + "\n";
  return core::md5_hex(listing);
}

DatasetReader::DatasetReader(std::string uri, std::vector<DatasetFile> files,
                             const ReadOptions& options)
    : uri_(std::move(uri)), files_(std::move(files)), options_(options) {
  bytes_before_.push_back(0);
  for (const auto& f : files_) bytes_before_.push_back(bytes_before_.back() + f.size);
  for (const auto& [key, value] : files_[0].partitions) keys_.push_back(key);
  for (const auto& f : files_) {
    std::vector<std::string> keys;
    for (const auto& [key, value] : f.partitions) keys.push_back(key);
    if (keys != keys_)
      throw Error(ErrorCode::kInvalidInput, f.uri + " sits under other partition folders than " +
                                                files_[0].uri + "; every file under " + uri_ +
                                                " needs the same key=value folders");
  }
  for (size_t k = 0; k < keys_.size(); ++k) {
    bool ints = true;
    for (const auto& f : files_)
      ints = ints && (f.partitions[k].second == kHiveNull || parses_as_int(f.partitions[k].second));
    key_types_.push_back(ints ? ColumnType::kInt64 : ColumnType::kString);
  }
  auto is_key = [&](const std::string& n) {
    return std::find(keys_.begin(), keys_.end(), n) != keys_.end();
  };
  for (const auto& c : options_.columns)
    if (!is_key(c)) file_columns_.push_back(c);
  ReadOptions file_options = options_;
  file_options.columns = file_columns_;
  reader_ = open_file(files_[0], file_options);
  file_schema_ = reader_->schema();
  for (const auto& f : file_schema_)
    if (is_key(f.name))
      throw Error(ErrorCode::kInvalidInput,
                  files_[0].uri + " has a column '" + f.name +
                      "' and also sits in a partition folder of that name; rename one of them");
  // Output column i: file column order_[i], or partition key order_[i] - file columns.
  auto add_key = [&](const std::string& n) {
    size_t k = std::find(keys_.begin(), keys_.end(), n) - keys_.begin();
    order_.push_back(file_schema_.size() + k);
    schema_.push_back({n, key_types_[k]});
  };
  if (options_.columns.empty()) {
    for (size_t i = 0; i < file_schema_.size(); ++i)
      order_.push_back(i), schema_.push_back(file_schema_[i]);
    for (const auto& k : keys_) add_key(k);
  } else {
    size_t next_file_column = 0;
    for (const auto& c : options_.columns) {
      if (is_key(c)) {
        add_key(c);
      } else {
        order_.push_back(next_file_column);
        schema_.push_back(file_schema_[next_file_column++]);
      }
    }
  }
}

std::optional<double> DatasetReader::fraction_read() const {
  std::optional<double> current = reader_->fraction_read();
  if (!current) return std::nullopt;
  uint64_t total = bytes_before_.back();
  if (total == 0) return (current_ + *current) / files_.size();
  return (bytes_before_[current_] + *current * files_[current_].size) / total;
}

DatasetReader::~DatasetReader() = default;

bool DatasetReader::advance() {
  if (current_ + 1 >= files_.size()) return false;
  ++current_;
  ReadOptions file_options = options_;
  file_options.columns = file_columns_;
  reader_ = open_file(files_[current_], file_options);
  if (reader_->schema() != file_schema_)
    throw Error(ErrorCode::kInvalidInput,
                files_[current_].uri + " has other columns or types than " + files_[0].uri + " (" +
                    schema_difference(file_schema_, reader_->schema()) +
                    "); the files of one input must share a schema: move it out of " + uri_ +
                    " or rewrite it");
  next_row_ = 0;
  return true;
}

void DatasetReader::add_partitions(Table& batch) const {
  size_t rows = batch.num_rows();
  std::vector<Column> out;
  for (size_t i = 0; i < order_.size(); ++i) {
    if (order_[i] < file_schema_.size()) {
      out.push_back(std::move(batch.columns()[order_[i]]));
      continue;
    }
    size_t k = order_[i] - file_schema_.size();
    const std::string& value = files_[current_].partitions[k].second;
    Column c(keys_[k], key_types_[k]);
    if (value == kHiveNull) {
      for (size_t r = 0; r < rows; ++r) c.push_null();
    } else if (key_types_[k] == ColumnType::kInt64) {
      c.i64.assign(rows, std::stoll(value));
    } else if (rows > 0) {
      c.dict.push_back(value);
      c.codes.assign(rows, 0);
    }
    out.push_back(std::move(c));
  }
  batch = Table(std::move(out));
}

std::optional<Table> DatasetReader::next() {
  for (;;) {
    if (auto batch = reader_->next()) {
      batch_row_ = next_row_;
      next_row_ += batch->num_rows();
      add_partitions(*batch);
      return batch;
    }
    if (!advance()) return std::nullopt;
  }
}

std::optional<size_t> DatasetReader::skip() {
  for (;;) {
    if (auto rows = reader_->skip()) {
      next_row_ += *rows;
      return rows;
    }
    if (!advance()) return std::nullopt;
  }
}

std::unique_ptr<DatasetReader> open_dataset(const std::string& uri, const ReadOptions& options) {
  return std::make_unique<DatasetReader>(uri, list_dataset(uri), options);
}

}  // namespace plinth::table
