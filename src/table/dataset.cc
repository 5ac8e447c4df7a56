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

bool is_parquet(const DatasetFile& file) {
  return file.uri.ends_with(".parquet") || file.uri.ends_with(".pq");
}

// Appends `rows` rows holding a partition's value to its column: a dictionary of the values
// for string keys, so a table of many files keeps one code per row.
void append_partition(Column& c, const std::string& value, size_t rows) {
  if (rows == 0) return;
  if (value == kHiveNull) {
    for (size_t r = 0; r < rows; ++r) c.push_null();
    return;
  }
  size_t before = c.size();
  if (c.type == ColumnType::kInt64) {
    c.i64.insert(c.i64.end(), rows, std::stoll(value));
  } else if (before == 0 || c.has_dictionary()) {
    size_t code = 0;
    while (code < c.dict.size() && c.dict[code] != value) ++code;
    if (code == c.dict.size()) c.dict.push_back(value);
    c.codes.insert(c.codes.end(), rows, static_cast<int32_t>(code));
  } else {
    for (size_t r = 0; r < rows; ++r) c.str.push_back(value);
  }
  if (!c.valid.empty()) c.valid.resize(before + rows, 1);
}

// Parquet footers read ahead of the file being read (streaming), and at once for a whole read.
constexpr size_t kFilesAhead = 4;
constexpr size_t kFootersInFlight = 8;

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
  file_options_ = options_;
  file_options_.columns.clear();
  for (const auto& c : options_.columns)
    if (!is_key(c)) file_options_.columns.push_back(c);
  reader_ = open_file(files_[0], file_options_);
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

bool DatasetReader::Ahead::ready() {
  if (reader || error) return true;
  if (opening.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
  try {
    reader = opening.get();
  } catch (...) {
    error = std::current_exception();
  }
  return true;
}

void DatasetReader::open_ahead(size_t n) {
  for (size_t f = current_ + 1 + ahead_.size(); f < files_.size() && ahead_.size() < n; ++f) {
    if (!is_parquet(files_[f])) break;  // CSV files open when their turn comes
    Ahead a;
    a.opening = std::async(std::launch::async, [file = files_[f], options = file_options_] {
      return open_file(file, options);
    });
    ahead_.push_back(std::move(a));
  }
}

void DatasetReader::link_ahead() {
  while (linked_ < ahead_.size() && ahead_[linked_].ready()) {
    BatchReader* from = linked_ == 0 ? reader_.get() : ahead_[linked_ - 1].reader.get();
    auto* a = dynamic_cast<ParquetReader*>(from);
    auto* b = dynamic_cast<ParquetReader*>(ahead_[linked_].reader.get());
    if (!a || !b) break;
    a->prefetch_into(b);
    ++linked_;
  }
}

std::unique_ptr<BatchReader> DatasetReader::take_next() {
  std::unique_ptr<BatchReader> reader;
  if (ahead_.empty()) {
    reader = open_file(files_[current_], file_options_);
  } else {
    Ahead a = std::move(ahead_.front());
    ahead_.pop_front();
    linked_ = linked_ > 0 ? linked_ - 1 : 0;
    if (a.opening.valid()) a.opening.wait();
    a.ready();
    if (a.error) std::rethrow_exception(a.error);
    reader = std::move(a.reader);
  }
  if (reader->schema() != file_schema_)
    throw Error(ErrorCode::kInvalidInput,
                files_[current_].uri + " has other columns or types than " + files_[0].uri + " (" +
                    schema_difference(file_schema_, reader->schema()) +
                    "); the files of one input must share a schema: move it out of " + uri_ +
                    " or rewrite it");
  return reader;
}

bool DatasetReader::advance() {
  if (current_ + 1 >= files_.size()) return false;
  ++current_;
  reader_ = take_next();
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
    Column c(keys_[k], key_types_[k]);
    append_partition(c, files_[current_].partitions[k].second, rows);
    out.push_back(std::move(c));
  }
  batch = Table(std::move(out));
}

std::optional<Table> DatasetReader::next() {
  for (;;) {
    open_ahead(kFilesAhead);
    link_ahead();
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
    open_ahead(kFilesAhead);
    if (auto rows = reader_->skip()) {
      next_row_ += *rows;
      return rows;
    }
    if (!advance()) return std::nullopt;
  }
}

Table DatasetReader::read_remaining() {
  // Every remaining file's reader: footers several at a time, errors in file order.
  std::vector<std::unique_ptr<BatchReader>> readers;
  readers.push_back(std::move(reader_));
  size_t first = current_;
  while (current_ + 1 < files_.size()) {
    open_ahead(kFootersInFlight);
    ++current_;
    readers.push_back(take_next());
  }
  // The final columns, with room for every row the footers announce.
  std::vector<Column> file_cols, key_cols;
  for (const auto& f : file_schema_) file_cols.emplace_back(f.name, f.type);
  for (size_t k = 0; k < keys_.size(); ++k) key_cols.emplace_back(keys_[k], key_types_[k]);
  ParquetSize size;
  for (size_t i = 0; i < readers.size(); ++i)
    if (auto* p = dynamic_cast<ParquetReader*>(readers[i].get())) {
      p->add_remaining_size(size);
      if (i + 1 < readers.size())
        p->prefetch_into(dynamic_cast<ParquetReader*>(readers[i + 1].get()));
    }
  size.reserve(file_cols);
  for (Column& c : key_cols) c.reserve(size.rows, 0, true);
  // Each file's row groups decoded into place, its partition values after them.
  for (size_t i = 0; i < readers.size(); ++i) {
    size_t rows = 0;
    if (auto* p = dynamic_cast<ParquetReader*>(readers[i].get())) {
      rows = p->remaining_rows();
      p->append_remaining(file_cols);
    } else {
      while (auto batch = readers[i]->next()) {
        for (size_t k = 0; k < file_cols.size(); ++k)
          file_cols[k].append(batch->column(k), 0, batch->num_rows());
        rows += batch->num_rows();
      }
    }
    for (size_t k = 0; k < keys_.size(); ++k)
      append_partition(key_cols[k], files_[first + i].partitions[k].second, rows);
    if (i + 1 < readers.size()) readers[i].reset();  // its decoding threads, its bytes
  }
  reader_ = std::move(readers.back());
  std::vector<Column> out;
  for (size_t i : order_)
    out.push_back(
        std::move(i < file_schema_.size() ? file_cols[i] : key_cols[i - file_schema_.size()]));
  return Table(std::move(out));
}

std::unique_ptr<DatasetReader> open_dataset(const std::string& uri, const ReadOptions& options) {
  return std::make_unique<DatasetReader>(uri, list_dataset(uri), options);
}

}  // namespace plinth::table
