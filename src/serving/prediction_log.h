#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "table/table.h"

namespace plinth::serving {

// Where and how `plinth serve --log-predictions DIR` keeps the requests it answered, so that
// drift reports and retraining can read them back as ordinary Parquet tables.
struct PredictionLogOptions {
  std::filesystem::path dir;  // created if missing
  // Share of requests logged, 0 < rate <= 1. The decision is a hash of the request id, not a
  // random draw: the same id is always kept or always skipped, in every replica and every
  // model that sees it (a shadow model logs the same requests as the live one), and all rows
  // of one request are kept or skipped together.
  double sample_rate = 1.0;
  size_t rows_per_file = 100000;  // rotate after this many rows
  // ... or when the open file is this old (checked on append and by the writer thread).
  double seconds_per_file = 3600;
  // Rows waiting for the writer beyond this are dropped (and counted) rather than letting a
  // stalled disk grow the server's memory without bound.
  size_t max_buffered_rows = 100000;
  // Put into every file name (e.g. the pod's host name) so that replicas sharing one folder
  // never pick the same name. Letters, digits, '-', '_' and '.' only; empty: none.
  std::string file_tag;
};

// An append-only log of predictions in Parquet files under options.dir, named
//   predictions-20261127T120000Z-000001.parquet     (UTC time the file was opened, sequence)
//   predictions-20261127T120000Z-TAG-000001.parquet (with file_tag)
// so that names sort by time. Columns: request_id (string), timestamp (timestamp, UTC
// nanoseconds: when append() was called), the input columns, then the output columns.
//
// Each file is written under a temporary name ending in ".tmp" and renamed when complete, so a
// reader listing *.parquet never sees half a file. A file holds at most rows_per_file rows and is
// closed once it is seconds_per_file old; rows still buffered at a crash are lost.
//
// A failed write (folder gone or not writable, disk full) never throws out of this class: the
// rows of the failed file, and the rest of the batch being written, are counted in dropped(), the
// first failure of a run of failures is logged as a warning, and the first success after it as
// info. Writing resumes by itself.
class PredictionLog {
 public:
  // `inputs`: the model's input columns; `outputs`: its output columns (e.g. is_fraud bool,
  // fraud_probability float64). Throws Error(kInvalidInput) for options out of range or a
  // column name used twice (request_id and timestamp are taken), and Error naming the folder
  // when it cannot be created.
  PredictionLog(PredictionLogOptions options, table::Schema inputs, table::Schema outputs);
  ~PredictionLog();  // writes what is buffered
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  // Thread-safe and cheap on the request path: a sampling check, then one copy of the rows
  // into a buffer under a short lock; files are written by a background thread.
  // `inputs` holds at least the input columns (by name; extra columns are ignored); `outputs`
  // the output columns in order, each with inputs.num_rows() rows; all rows of one request
  // share `request_id`. An input column that is missing, or whose type cannot be converted
  // (int64 and bool widen to float64, bool to int64), is logged as nulls with one warning per
  // column. Throws Error(kInternal) when `outputs` does not match the output schema in count,
  // rows or type: that is the caller's bug, not the request's.
  void append(const table::Table& inputs, const std::vector<table::Column>& outputs,
              const std::string& request_id);

  // Writes the buffered rows now and closes the open file, so that every row appended before
  // the call is in a visible file (or counted in dropped()) when it returns. Used by tests and
  // on shutdown; never throws.
  void flush();

  // Rows given to append() and sampled in, that will never reach a file.
  size_t dropped() const { return dropped_.load(); }
  // Rows in files that have been renamed to their final name.
  size_t written() const { return written_.load(); }

  // Whether a request with this id is logged at `rate` (the hash described above).
  static bool sampled(std::string_view request_id, double rate);

 private:
  struct OpenFile;

  void run_writer();
  // Moves the buffered rows into files; closes the open file when `close` or when it is old.
  void write_pending(bool close);
  void open_file();
  void close_file();
  void note_drop(size_t rows, const std::string& why);
  void note_success();
  std::filesystem::path next_file_path();

  const PredictionLogOptions options_;
  const table::Schema inputs_;
  const table::Schema outputs_;
  table::Schema schema_;  // request_id, timestamp, inputs, outputs

  // Request path: the rows not yet handed to the writer.
  std::mutex buffer_mutex_;
  std::condition_variable wake_writer_;
  std::vector<table::Column> buffer_;
  size_t buffered_rows_ = 0;
  bool writer_woken_ = false;
  bool stopping_ = false;
  std::unique_ptr<std::atomic<bool>[]> warned_input_;  // one per input column

  // Writer side: at most one thread at a time (the writer thread or flush()).
  std::mutex file_mutex_;
  std::unique_ptr<OpenFile> file_;
  uint64_t sequence_ = 0;
  // steady_clock nanoseconds when the open file is due to close; 0 when none is open.
  std::atomic<int64_t> file_deadline_{0};

  std::atomic<size_t> dropped_{0};
  std::atomic<size_t> written_{0};
  std::atomic<bool> failing_{false};
  std::atomic<size_t> dropped_in_burst_{0};

  std::thread writer_;  // last: starts after everything above is initialised
};

}  // namespace plinth::serving
