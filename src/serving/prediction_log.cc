#include "serving/prediction_log.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <ctime>
#include <set>

#include "core/error.h"
#include "core/utc_time.h"
#include "table/parquet.h"

namespace plinth::serving {
namespace fs = std::filesystem;
using table::Column;
using table::ColumnType;

namespace {

// How often the writer thread moves buffered rows into the open file at the latest, and how
// many buffered rows wake it earlier.
constexpr auto kWriteInterval = std::chrono::seconds(1);
constexpr size_t kWriteBatchRows = 8192;

int64_t steady_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t unix_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// FNV-1a, then splitmix64's finalizer so that ids differing in one character spread evenly.
uint64_t id_hash(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

Column empty_column(const table::Field& f) { return Column(f.name, f.type); }

Column null_column(const table::Field& f, size_t rows) {
  Column c = empty_column(f);
  for (size_t i = 0; i < rows; ++i) c.push_null();
  return c;
}

// `from` converted to `type` where no value changes meaning; nullopt otherwise.
std::optional<Column> widened(const Column& from, const table::Field& to) {
  Column c = empty_column(to);
  c.valid = from.valid;
  if (to.type == ColumnType::kFloat64 && from.type == ColumnType::kInt64) {
    c.f64.assign(from.i64.begin(), from.i64.end());
  } else if (to.type == ColumnType::kFloat64 && from.type == ColumnType::kBool) {
    c.f64.assign(from.b.begin(), from.b.end());
  } else if (to.type == ColumnType::kInt64 && from.type == ColumnType::kBool) {
    c.i64.assign(from.b.begin(), from.b.end());
  } else {
    return std::nullopt;
  }
  return c;
}

void check_file_tag(const std::string& tag) {
  for (char ch : tag)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      throw Error(
          ErrorCode::kInvalidInput,
          "prediction log file tag '" + tag + "' may hold only letters, digits, '-', '_' and '.'");
}

}  // namespace

struct PredictionLog::OpenFile {
  std::unique_ptr<table::ParquetWriter> writer;
  fs::path path;
  size_t rows = 0;
};

PredictionLog::PredictionLog(PredictionLogOptions options, table::Schema inputs,
                             table::Schema outputs)
    : options_(std::move(options)), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  if (!(options_.sample_rate > 0 && options_.sample_rate <= 1))
    throw Error(ErrorCode::kInvalidInput,
                "prediction log sample rate " + std::to_string(options_.sample_rate) +
                    " is out of range: give a share above 0 and at most 1 (e.g. 0.1)");
  if (options_.rows_per_file == 0 || options_.max_buffered_rows == 0)
    throw Error(ErrorCode::kInvalidInput,
                "prediction log rows per file and buffered rows must be at least 1");
  if (!(options_.seconds_per_file > 0))
    throw Error(ErrorCode::kInvalidInput, "prediction log seconds per file must be above 0");
  if (options_.dir.empty())
    throw Error(ErrorCode::kInvalidInput, "prediction log folder is empty: name a folder");
  check_file_tag(options_.file_tag);

  schema_ = {{"request_id", ColumnType::kString}, {"timestamp", ColumnType::kTimestamp}};
  schema_.insert(schema_.end(), inputs_.begin(), inputs_.end());
  schema_.insert(schema_.end(), outputs_.begin(), outputs_.end());
  std::set<std::string> names;
  for (const auto& f : schema_)
    if (!names.insert(f.name).second)
      throw Error(ErrorCode::kInvalidInput,
                  "prediction log column '" + f.name +
                      "' appears twice (request_id and timestamp are the log's own columns); "
                      "rename the model's input or output column");

  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec || !fs::is_directory(options_.dir))
    throw Error(ErrorCode::kIo, "cannot create prediction log folder '" + options_.dir.string() +
                                    "': " + (ec ? ec.message() : "a file has that name"));

  for (const auto& f : schema_) buffer_.push_back(empty_column(f));
  warned_input_ = std::make_unique<std::atomic<bool>[]>(inputs_.size());
  writer_ = std::thread([this] { run_writer(); });
}

PredictionLog::~PredictionLog() {
  {
    std::lock_guard lock(buffer_mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
  write_pending(/*close=*/true);
}

bool PredictionLog::sampled(std::string_view request_id, double rate) {
  if (rate >= 1) return true;
  // The top 53 bits as a uniform number in [0, 1).
  double u = static_cast<double>(id_hash(request_id) >> 11) * 0x1.0p-53;
  return u < rate;
}

void PredictionLog::append(const table::Table& inputs, const std::vector<Column>& outputs,
                           const std::string& request_id) {
  const size_t rows = inputs.num_rows();
  if (rows == 0 || !sampled(request_id, options_.sample_rate)) return;
  if (outputs.size() != outputs_.size())
    throw Error(ErrorCode::kInternal, "prediction log got " + std::to_string(outputs.size()) +
                                          " output columns, expected " +
                                          std::to_string(outputs_.size()));

  // The source of every logged column; conversions are made here, outside the lock.
  std::vector<Column> made;
  made.reserve(2 + inputs_.size() + outputs_.size());
  std::vector<const Column*> sources;
  sources.reserve(schema_.size());
  made.push_back(empty_column(schema_[0]));
  made.back().str.reserve(rows, rows * request_id.size());
  for (size_t i = 0; i < rows; ++i) made.back().str.push_back(request_id);
  sources.push_back(&made.back());
  made.push_back(empty_column(schema_[1]));
  made.back().i64.assign(rows, unix_nanos());
  sources.push_back(&made.back());

  auto add_source = [&](const Column* c, const table::Field& f, std::atomic<bool>* warned) {
    if (c && c->type == f.type) {
      sources.push_back(c);
      return;
    }
    std::optional<Column> w = c ? widened(*c, f) : std::nullopt;
    if (!w && warned && !warned->exchange(true))
      spdlog::warn(
          "prediction log: input column '{}' is {} in requests, expected {}; it is "
          "logged as nulls",
          f.name, c ? table::type_name(c->type) : "missing", table::type_name(f.type));
    made.push_back(w ? std::move(*w) : null_column(f, rows));
    sources.push_back(&made.back());
  };
  for (size_t i = 0; i < inputs_.size(); ++i) {
    auto at = inputs.find(inputs_[i].name);
    add_source(at ? &inputs.column(*at) : nullptr, inputs_[i], &warned_input_[i]);
  }
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs[i].size() != rows)
      throw Error(ErrorCode::kInternal, "prediction log output column '" + outputs_[i].name +
                                            "' has " + std::to_string(outputs[i].size()) +
                                            " rows, inputs have " + std::to_string(rows));
    if (outputs[i].type != outputs_[i].type && !widened(outputs[i], outputs_[i]))
      throw Error(ErrorCode::kInternal,
                  "prediction log output column '" + outputs_[i].name + "' is " +
                      std::string(table::type_name(outputs[i].type)) + ", expected " +
                      std::string(table::type_name(outputs_[i].type)));
    add_source(&outputs[i], outputs_[i], nullptr);
  }

  bool accepted = false, wake = false;
  {
    std::lock_guard lock(buffer_mutex_);
    if (buffered_rows_ + rows <= options_.max_buffered_rows) {
      for (size_t i = 0; i < buffer_.size(); ++i) buffer_[i].append(*sources[i], 0, rows);
      buffered_rows_ += rows;
      accepted = true;
    }
    int64_t deadline = file_deadline_.load();
    wake = !accepted || buffered_rows_ >= kWriteBatchRows ||
           (deadline != 0 && steady_nanos() >= deadline);
    if (wake) writer_woken_ = true;
  }
  if (wake) wake_writer_.notify_one();
  if (!accepted)
    note_drop(rows, "the writer falls behind (" + std::to_string(options_.max_buffered_rows) +
                        " rows are waiting)");
}

void PredictionLog::flush() { write_pending(/*close=*/true); }

void PredictionLog::run_writer() {
  std::unique_lock lock(buffer_mutex_);
  while (!stopping_) {
    auto wake_at = std::chrono::steady_clock::now() + kWriteInterval;
    if (int64_t deadline = file_deadline_.load())
      wake_at = std::min(wake_at,
                         std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
    wake_writer_.wait_until(lock, wake_at, [&] { return stopping_ || writer_woken_; });
    if (stopping_) break;
    writer_woken_ = false;
    lock.unlock();
    write_pending(/*close=*/false);
    lock.lock();
  }
}

void PredictionLog::write_pending(bool close) {
  std::lock_guard file_lock(file_mutex_);
  std::vector<Column> taken;
  {
    std::lock_guard lock(buffer_mutex_);
    taken.swap(buffer_);
    for (const auto& f : schema_) buffer_.push_back(empty_column(f));
    buffered_rows_ = 0;
  }
  const table::Table rows(std::move(taken));
  const size_t n = rows.num_rows();
  size_t done = 0;
  try {
    if (file_ && steady_nanos() >= file_deadline_.load()) close_file();
    while (done < n) {
      if (!file_) open_file();
      size_t take = std::min(options_.rows_per_file - file_->rows, n - done);
      file_->writer->write(done == 0 && take == n ? rows : rows.slice(done, take));
      file_->rows += take;
      done += take;
      if (file_->rows >= options_.rows_per_file) close_file();
    }
    if (close && file_) close_file();
  } catch (const std::exception& e) {
    size_t lost = (file_ ? file_->rows : 0) + (n - done);
    std::string where = file_ ? file_->path.string() : options_.dir.string();
    file_.reset();  // deletes the temporary file
    file_deadline_ = 0;
    note_drop(lost, std::string("writing ") + where + " failed: " + e.what());
  }
}

fs::path PredictionLog::next_file_path() {
  std::string stamp = core::format_utc_now("%Y%m%dT%H%M%SZ");
  std::string tag = options_.file_tag.empty() ? "" : options_.file_tag + "-";
  for (;;) {
    char seq[32];
    std::snprintf(seq, sizeof seq, "%06llu", static_cast<unsigned long long>(++sequence_));
    fs::path p = options_.dir / ("predictions-" + stamp + "-" + tag + seq + ".parquet");
    // Never replace a file an earlier run wrote in the same second.
    if (!fs::exists(p)) return p;
  }
}

void PredictionLog::open_file() {
  fs::create_directories(options_.dir);  // again, in case it was removed while serving
  auto f = std::make_unique<OpenFile>();
  f->path = next_file_path();
  table::ParquetWriteOptions o;
  o.jobs = 1;  // one background thread is the budget; requests need the cores
  o.row_group_rows = std::min<size_t>(options_.rows_per_file, 64 * 1024);
  f->writer = std::make_unique<table::ParquetWriter>(f->path, schema_, o);
  file_ = std::move(f);
  // At most 30 years, so that the nanoseconds fit in int64.
  double seconds = std::min(options_.seconds_per_file, 1e9);
  file_deadline_ = steady_nanos() + static_cast<int64_t>(std::llround(seconds * 1e9));
}

void PredictionLog::close_file() {
  file_->writer->close();
  written_ += file_->rows;
  file_.reset();
  file_deadline_ = 0;
  note_success();
}

void PredictionLog::note_drop(size_t rows, const std::string& why) {
  dropped_ += rows;
  dropped_in_burst_ += rows;
  if (!failing_.exchange(true))
    spdlog::warn("prediction log: {}; dropping rows until a write succeeds", why);
}

void PredictionLog::note_success() {
  if (failing_.exchange(false))
    spdlog::info("prediction log: writing again after dropping {} rows",
                 dropped_in_burst_.exchange(0));
}

}  // namespace plinth::serving
