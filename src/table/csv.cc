#include "table/csv.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <functional>

#include "core/error.h"
#include "core/file_io.h"
#include "core/thread_pool.h"
#include "storage/files.h"
#include "table/internal/mapped_file.h"
#include "table/timestamp.h"

namespace plinth::table {

namespace {

// A syntax or type error at a byte offset of the current buffer; turned into an Error with
// the file's line number by the reader.
struct CsvProblem {
  size_t offset;
  std::string what;
};

struct CsvField {
  std::string_view text;
  bool quoted;
};

bool is_null_text(std::string_view t) { return t.empty() || t == "NA" || t == "null"; }

// Quotes keep "", "NA" and "null" as text in a string column only: elsewhere they are nulls,
// as pyarrow.csv and pandas read them (a tool that quotes every field writes nulls as "").
bool is_null(const CsvField& f, ColumnType type) {
  return is_null_text(f.text) && (!f.quoted || type != ColumnType::kString);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view skip_plus(std::string_view t) {
  return t.size() > 1 && t[0] == '+' && t[1] != '-' ? t.substr(1) : t;
}

bool parse_int(std::string_view t, int64_t& v) {
  t = skip_plus(t);
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  return r.ec == std::errc() && r.ptr == t.data() + t.size();
}

// A plain decimal such as "-12.3456" with at most 19 digits whose value without the point fits
// in 53 bits: that integer and the power of ten are exact doubles, so one IEEE division gives
// the correctly rounded value, the same double from_chars returns (Clinger's fast path), in a
// fraction of its time. False for anything else (exponents, inf, nan, long numbers).
bool parse_plain_decimal(std::string_view t, double& v) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char *p = t.data(), *end = p + t.size();
  bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t m = 0;
  const char* first = p;
  while (p < end && static_cast<unsigned>(*p - '0') < 10) m = m * 10 + (*p++ - '0');
  size_t int_digits = p - first, frac_digits = 0;
  if (int_digits == 0) return false;
  if (p < end && *p == '.') {
    const char* f = ++p;
    while (p < end && static_cast<unsigned>(*p - '0') < 10) m = m * 10 + (*p++ - '0');
    frac_digits = p - f;
    if (frac_digits == 0) return false;
  }
  if (p != end || int_digits + frac_digits > 19 || m > (1ULL << 53)) return false;
  double d = static_cast<double>(m);
  if (frac_digits) d /= kPow10[frac_digits];
  v = negative ? -d : d;
  return true;
}

bool parse_double(std::string_view t, double& v) {
  t = skip_plus(t);
  if (parse_plain_decimal(t, v)) return true;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  return r.ec == std::errc() && r.ptr == t.data() + t.size() && !t.empty();
}

bool parse_bool(std::string_view t, uint8_t& v) {
  if (iequals(t, "true") || t == "1") return v = 1, true;
  if (iequals(t, "false") || t == "0") return v = 0, true;
  return false;
}

// Appends a non-null value; false when `t` is not of the column's type.
bool put_value(Column& c, std::string_view t) {
  switch (c.type) {
    case ColumnType::kFloat64: {
      double v;
      if (!parse_double(t, v)) return false;
      c.f64.push_back(v);
      break;
    }
    case ColumnType::kInt64: {
      int64_t v;
      if (!parse_int(t, v)) return false;
      c.i64.push_back(v);
      break;
    }
    case ColumnType::kBool: {
      uint8_t v;
      if (!parse_bool(t, v)) return false;
      c.b.push_back(v);
      break;
    }
    case ColumnType::kTimestamp: {
      auto v = parse_timestamp(t);
      if (!v) return false;
      c.i64.push_back(*v);
      break;
    }
    case ColumnType::kString:
      c.str.push_back(t);
      break;
  }
  if (!c.valid.empty()) c.valid.push_back(1);
  return true;
}

// Splits bytes into records of fields. Fields point into the input, or, for quoted fields
// with doubled quotes, into per-field scratch strings valid until the next call.
class RecordParser {
 public:
  enum Result { kRecord, kEnd, kIncomplete };

  // Blank lines are skipped when `skip_blank`; otherwise a blank line is a record of one
  // empty field (a null in a one-column file).
  RecordParser(std::string_view data, char delimiter, bool at_eof, bool skip_blank = true)
      : begin_(data.data()),
        p_(data.data()),
        end_(data.data() + data.size()),
        delim_(delimiter),
        at_eof_(at_eof),
        skip_blank_(skip_blank) {
    for (char c : {delimiter, '\n', '"'}) ends_field_[static_cast<unsigned char>(c)] = true;
  }

  size_t offset() const { return p_ - begin_; }

  // kIncomplete: the record runs past the data and more may follow; offset() is its start.
  Result next(std::vector<CsvField>& fields) {
    fields.clear();
    while (skip_blank_ && p_ < end_ &&
           (*p_ == '\n' || (*p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n')))
      p_ += *p_ == '\r' ? 2 : 1;
    if (p_ >= end_) return kEnd;
    const char* record = p_;
    for (;;) {
      CsvField f;
      if (p_ < end_ && *p_ == '"') {
        if (!quoted_field(fields.size(), f)) return incomplete(record);
      } else {
        const char* s = p_;
        p_ = field_end(p_);
        if (p_ < end_ && *p_ == '"')
          throw CsvProblem{offset(),
                           "a quote inside an unquoted field; quote the whole field and "
                           "double the quotes inside it"};
        const char* e = p_;
        if (e > s && e[-1] == '\r') --e;
        f = {{s, static_cast<size_t>(e - s)}, false};
      }
      fields.push_back(f);
      if (p_ < end_ && *p_ == '\r' && p_ + 1 < end_ && p_[1] == '\n') ++p_;
      if (p_ >= end_) return at_eof_ ? kRecord : incomplete(record);
      if (*p_ == delim_) {
        ++p_;
        continue;
      }
      if (*p_ == '\n') {
        ++p_;
        return kRecord;
      }
      throw CsvProblem{offset(), "unexpected character after a closing quote"};
    }
  }

 private:
  Result incomplete(const char* record) {
    p_ = record;
    return kIncomplete;
  }

  // The first delimiter, newline or quote at or after `q`, or end_. Eight bytes at a time: a
  // byte equal to one of them is a zero byte of the word XOR that byte repeated, and the lowest
  // flagged byte of the classic zero-byte test is always exact.
  const char* field_end(const char* q) const {
    if constexpr (std::endian::native == std::endian::little) {
      constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
      auto zero_bytes = [](uint64_t w) { return (w - kOnes) & ~w & kHighs; };
      uint64_t delims = kOnes * static_cast<unsigned char>(delim_);
      while (end_ - q >= 8) {
        uint64_t w;
        std::memcpy(&w, q, sizeof w);
        uint64_t hits =
            zero_bytes(w ^ delims) | zero_bytes(w ^ (kOnes * '\n')) | zero_bytes(w ^ (kOnes * '"'));
        if (hits) return q + (std::countr_zero(hits) >> 3);
        q += 8;
      }
    }
    // The rest byte by byte, in a local cursor (through p_ the compiler would store it per byte).
    while (q < end_ && !ends_field_[static_cast<unsigned char>(*q)]) ++q;
    return q;
  }

  // False when the closing quote is not in the data yet.
  bool quoted_field(size_t index, CsvField& f) {
    const char* start = p_ + 1;
    const char* q = start;
    bool doubled = false;
    for (;;) {
      const char* hit = static_cast<const char*>(std::memchr(q, '"', end_ - q));
      if (!hit || (hit + 1 == end_ && !at_eof_)) {
        if (!at_eof_) return false;
        throw CsvProblem{offset(), "a quoted field is never closed"};
      }
      if (hit + 1 < end_ && hit[1] == '"') {
        doubled = true;
        q = hit + 2;
        continue;
      }
      f = {{start, static_cast<size_t>(hit - start)}, true};
      p_ = hit + 1;
      break;
    }
    if (doubled) {
      if (scratch_.size() <= index) scratch_.resize(index + 1);
      std::string& s = scratch_[index];
      s.clear();
      for (size_t i = 0; i < f.text.size(); ++i) {
        s.push_back(f.text[i]);
        if (f.text[i] == '"') ++i;
      }
      f.text = s;
    }
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  char delim_;
  bool at_eof_;
  bool skip_blank_;
  bool ends_field_[256] = {};        // the delimiter, newline and quote: one load per byte to test
  std::deque<std::string> scratch_;  // stable addresses: earlier fields point into it
};

// First record boundary (just past a newline outside quotes) at or after `target`, scanning
// from `pos` where quotes are balanced; data.size() if there is none.
size_t boundary_after(std::string_view data, size_t pos, size_t target) {
  bool in_quotes = false;
  while (pos < target) {
    const void* q = std::memchr(data.data() + pos, '"', target - pos);
    if (!q) {
      pos = target;
      break;
    }
    in_quotes = !in_quotes;
    pos = static_cast<const char*>(q) - data.data() + 1;
  }
  for (; pos < data.size(); ++pos) {
    if (data[pos] == '"')
      in_quotes = !in_quotes;
    else if (data[pos] == '\n' && !in_quotes)
      return pos + 1;
  }
  return data.size();
}

ColumnType infer_type(const std::vector<std::string>& sample) {
  bool any = false, is_bool = true, is_int = true, is_float = true, is_ts = true;
  for (const auto& v : sample) {
    any = true;
    uint8_t b;
    int64_t i;
    double d;
    is_bool = is_bool && (iequals(v, "true") || iequals(v, "false")) && parse_bool(v, b);
    is_int = is_int && parse_int(v, i);
    is_float = is_float && parse_double(v, d);
    is_ts = is_ts && parse_timestamp(v).has_value();
  }
  if (!any) return ColumnType::kString;
  if (is_bool) return ColumnType::kBool;
  if (is_int) return ColumnType::kInt64;
  if (is_float) return ColumnType::kFloat64;
  if (is_ts) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

class CsvReader : public BatchReader {
 public:
  CsvReader(std::unique_ptr<MappedFile> bytes, std::string name, CsvReadOptions options)
      : bytes_(std::move(bytes)),
        data_(bytes_->view()),
        name_(std::move(name)),
        options_(std::move(options)),
        pool_(options_.jobs ? options_.jobs : core::default_jobs()) {
    read_header_and_infer();
  }

  const Schema& schema() const override { return schema_; }

  // Each part of a window parsed in parallel is a batch of its own, so that reading a whole
  // file copies every value only once more (in read_all).
  std::optional<Table> next() override {
    size_t window = std::max<size_t>(options_.batch_bytes, 1 << 16);
    while (ready_.empty()) {
      if (pos_ >= data_.size()) return std::nullopt;
      std::string_view rest = data_.substr(pos_);
      bool at_eof = rest.size() <= window;
      size_t used = parse_window(rest.substr(0, window), at_eof);
      if (used == 0) {
        window *= 2;  // one record is longer than the window
        continue;
      }
      bytes_->release(pos_, used);
      pos_ += used;
    }
    Table t = std::move(ready_.front().table);
    returned_end_ = ready_.front().end;
    ready_.pop_front();
    return t;
  }

  std::optional<double> fraction_read() const override {
    return data_.empty() ? 1.0 : static_cast<double>(returned_end_) / data_.size();
  }

 private:
  // `offset` is relative to pos_.
  [[noreturn]] void fail(size_t offset, const std::string& what) {
    std::string_view before = data_.substr(0, pos_ + offset);
    size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
    throw Error(ErrorCode::kInvalidInput, name_ + ":" + std::to_string(line) + ": " + what);
  }

  void read_header_and_infer() {
    RecordParser parser(data_, options_.delimiter, true);
    std::vector<CsvField> fields;
    std::vector<std::vector<std::string>> sample;
    std::vector<std::string> names;
    try {
      auto r = parser.next(fields);
      if (r == RecordParser::kEnd)
        throw Error(ErrorCode::kInvalidInput, name_ +
                                                  ": the file is empty; a CSV file needs "
                                                  "at least a header line");
      for (size_t i = 0; i < fields.size(); ++i) {
        std::string n = options_.header ? std::string(fields[i].text) : "";
        names.push_back(n.empty() ? "column_" + std::to_string(i + 1) : n);
      }
      if (options_.header) pos_ = parser.offset();
      RecordParser sampler(data_.substr(pos_), options_.delimiter, true, names.size() > 1);
      sample.resize(names.size());
      size_t rows = 0;
      for (; rows < options_.sample_rows; ++rows) {
        if (sampler.next(fields) != RecordParser::kRecord) break;
        for (size_t i = 0; i < std::min(fields.size(), names.size()); ++i)
          if (!is_null_text(fields[i].text)) sample[i].emplace_back(fields[i].text);
      }
      if (rows > 0) record_bytes_ = std::max<size_t>(1, sampler.offset() / rows);
    } catch (const CsvProblem& p) {
      fail(p.offset, p.what);
    }
    for (size_t i = 0; i < names.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (names[i] == names[j])
          throw Error(ErrorCode::kInvalidInput, name_ + ": the header names column '" + names[i] +
                                                    "' twice; rename one of them");
    for (const auto& [col, type] : options_.types)
      if (std::find(names.begin(), names.end(), col) == names.end())
        check_columns_exist(named_schema(names), {col}, name_);
    std::vector<std::string> wanted = options_.columns.empty() ? names : options_.columns;
    check_columns_exist(named_schema(names), wanted, name_);
    num_fields_ = names.size();
    slot_.assign(names.size(), -1);
    for (size_t k = 0; k < wanted.size(); ++k) {
      size_t i = std::find(names.begin(), names.end(), wanted[k]) - names.begin();
      slot_[i] = static_cast<int>(k);
      auto it = options_.types.find(names[i]);
      schema_.push_back(
          {names[i], it != options_.types.end() ? it->second : infer_type(sample[i])});
    }
  }

  static Schema named_schema(const std::vector<std::string>& names) {
    Schema s;
    for (const auto& n : names) s.push_back({n, ColumnType::kString});
    return s;
  }

  // Parses the complete records of `data` (starting at pos_) in parallel into ready_; returns
  // the bytes used, 0 if not even one record is complete.
  size_t parse_window(std::string_view data, bool at_eof) {
    size_t parts = data.size() < (1 << 20) ? 1 : pool_.size() * 4;
    std::vector<size_t> bounds{0};
    for (size_t k = 1; k < parts; ++k) {
      size_t b =
          boundary_after(data, bounds.back(), std::max(bounds.back(), data.size() * k / parts));
      if (b >= data.size()) break;
      bounds.push_back(b);
    }
    bounds.push_back(data.size());
    size_t n = bounds.size() - 1;
    std::vector<std::vector<Column>> results(n);
    std::vector<size_t> consumed(n);
    std::vector<std::optional<CsvProblem>> problems(n);
    pool_.parallel_for(n, [&](size_t k) {
      std::string_view part = data.substr(bounds[k], bounds[k + 1] - bounds[k]);
      try {
        consumed[k] = parse_part(part, k + 1 < n || at_eof, results[k]);
      } catch (CsvProblem& p) {
        p.offset += bounds[k];
        problems[k] = std::move(p);
      }
    });
    for (auto& p : problems)
      if (p) fail(p->offset, p->what);
    size_t used = bounds[n - 1] + consumed[n - 1];
    if (used > 0)
      for (size_t k = 0; k < n; ++k)
        ready_.push_back({Table(std::move(results[k])), pos_ + bounds[k] + consumed[k]});
    return used;
  }

  // Parses `part` into columns; returns the bytes used (all of them unless the last record
  // is incomplete and more input may follow).
  size_t parse_part(std::string_view part, bool at_eof, std::vector<Column>& cols) {
    // Room for the rows the part probably holds, so the columns do not grow by copying.
    size_t expected_rows = part.size() / record_bytes_ + 16;
    for (const auto& f : schema_) {
      cols.emplace_back(f.name, f.type);
      cols.back().reserve(expected_rows);
    }
    RecordParser parser(part, options_.delimiter, at_eof, num_fields_ > 1);
    std::vector<CsvField> fields;
    for (;;) {
      size_t start = parser.offset();
      auto r = parser.next(fields);
      if (r == RecordParser::kEnd) return part.size();
      if (r == RecordParser::kIncomplete) return start;
      if (fields.size() != num_fields_)
        throw CsvProblem{start, "a record has " + std::to_string(fields.size()) +
                                    " fields, the header has " + std::to_string(num_fields_)};
      for (size_t i = 0; i < fields.size(); ++i) {
        if (slot_[i] < 0) continue;
        Column& c = cols[slot_[i]];
        if (is_null(fields[i], c.type)) {
          c.push_null();
        } else if (!put_value(c, fields[i].text)) {
          throw CsvProblem{start, "column '" + c.name + "': '" + std::string(fields[i].text) +
                                      "' is not a " + std::string(type_name(c.type)) +
                                      " (types are inferred from the first rows; override "
                                      "with --type " +
                                      c.name + "=string or another type)"};
        }
      }
    }
  }

  std::unique_ptr<MappedFile> bytes_;
  std::string_view data_;
  std::string name_;
  CsvReadOptions options_;
  core::ThreadPool pool_;
  size_t pos_ = 0;  // where the next batch starts
  Schema schema_;
  size_t num_fields_ = 0;
  std::vector<int> slot_;  // field index -> output column, or -1
  struct Batch {
    Table table;
    size_t end;  // the offset just past its last record
  };
  std::deque<Batch> ready_;
  size_t returned_end_ = 0;   // the end of the last batch returned
  size_t record_bytes_ = 64;  // average record length in the sample
};

bool needs_quotes(std::string_view s, char delim) {
  if (is_null_text(s)) return true;
  for (char c : s)
    if (c == delim || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

void format_value(const Column& c, size_t row, char delim, std::string& out) {
  if (c.is_null(row)) return;
  char buf[32];
  switch (c.type) {
    case ColumnType::kFloat64: {
      // "NaN", whatever its sign: polars infers a float column from it, not from "nan".
      if (std::isnan(c.f64[row])) {
        out.append("NaN");
        break;
      }
      char* end = std::to_chars(buf, buf + sizeof buf, c.f64[row]).ptr;
      out.append(buf, end);
      // 3.0 as "3.0", not "3": a column of whole numbers must read back as float64, here
      // and in pyarrow, polars and pandas.
      if (std::all_of(buf, end, [](char ch) { return ch == '-' || (ch >= '0' && ch <= '9'); }))
        out.append(".0");
      break;
    }
    case ColumnType::kInt64:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, c.i64[row]).ptr);
      break;
    case ColumnType::kBool:
      out += c.b[row] ? "true" : "false";
      break;
    case ColumnType::kTimestamp:
      out += format_timestamp(c.i64[row]);
      break;
    case ColumnType::kString: {
      std::string_view s = c.string_at(row);
      if (!needs_quotes(s, delim)) {
        out += s;
        break;
      }
      out += '"';
      for (char ch : s) {
        if (ch == '"') out += '"';
        out += ch;
      }
      out += '"';
      break;
    }
  }
}

void format_rows(const Table& t, size_t begin, size_t end, char delim, std::string& out) {
  for (size_t r = begin; r < end; ++r) {
    for (size_t i = 0; i < t.num_columns(); ++i) {
      if (i) out += delim;
      format_value(t.column(i), r, delim, out);
    }
    out += '\n';
  }
}

std::string format_header(const Schema& schema, char delim) {
  Column names("", ColumnType::kString);
  for (const auto& f : schema) names.str.push_back(f.name);
  std::string out;
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i) out += delim;
    format_value(names, i, delim, out);
  }
  return out + "\n";
}

}  // namespace

std::unique_ptr<BatchReader> open_csv(const std::filesystem::path& path,
                                      const CsvReadOptions& options) {
  // An S3 object is read whole: CSV has no index to read parts of it by.
  auto bytes = storage::is_s3_uri(path.string())
                   ? std::make_unique<MappedFile>(storage::read_s3_object(path.string()))
                   : std::make_unique<MappedFile>(path);
  return std::make_unique<CsvReader>(std::move(bytes), path.string(), options);
}

Table read_csv(const std::filesystem::path& path, const CsvReadOptions& options) {
  return read_all(*open_csv(path, options));
}

Table parse_csv(std::string_view text, const CsvReadOptions& options, const std::string& name) {
  CsvReader reader(std::make_unique<MappedFile>(std::string(text)), name, options);
  return read_all(reader);
}

struct CsvWriter::Impl {
  Impl(const std::filesystem::path& path, Schema s, CsvWriteOptions o)
      : file(path), schema(std::move(s)), options(o) {}
  core::AtomicFile file;
  Schema schema;
  CsvWriteOptions options;
  core::ThreadPool pool;
};

CsvWriter::CsvWriter(const std::filesystem::path& path, Schema schema, CsvWriteOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(schema), options)) {
  impl_->file.write(format_header(impl_->schema, options.delimiter));
}

CsvWriter::~CsvWriter() = default;

void CsvWriter::write(const Table& batch) {
  if (batch.schema() != impl_->schema)
    throw Error(ErrorCode::kInternal, "CSV writer got a batch with a different schema");
  constexpr size_t kRowsPerPart = 16384;
  size_t rows = batch.num_rows();
  size_t parts = (rows + kRowsPerPart - 1) / kRowsPerPart;
  size_t step = impl_->pool.size() * 2;
  for (size_t first = 0; first < parts; first += step) {
    size_t n = std::min(step, parts - first);
    std::vector<std::string> text(n);
    impl_->pool.parallel_for(n, [&](size_t k) {
      size_t begin = (first + k) * kRowsPerPart;
      format_rows(batch, begin, std::min(rows, begin + kRowsPerPart), impl_->options.delimiter,
                  text[k]);
    });
    for (const auto& t : text) impl_->file.write(t);
  }
}

void CsvWriter::close() { impl_->file.commit(core::default_file_mode()); }

std::string format_csv(const Table& table, const CsvWriteOptions& options) {
  std::string out = format_header(table.schema(), options.delimiter);
  format_rows(table, 0, table.num_rows(), options.delimiter, out);
  return out;
}

}  // namespace plinth::table
