#include "model/score.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/preprocess.h"
#include "table/table_io.h"

namespace plinth::model {

std::pair<size_t, size_t> parse_shard(const std::string& text) {
  auto slash = text.find('/');
  try {
    if (slash != std::string::npos) {
      size_t pos = 0;
      size_t i = std::stoul(text.substr(0, slash), &pos);
      size_t n = std::stoul(text.substr(slash + 1));
      if (pos == slash && n > 0 && i < n) return {i, n};
    }
  } catch (const std::logic_error&) {
  }
  throw Error(ErrorCode::kInvalidInput,
              "--shard '" + text + "': expected I/N with 0 <= I < N, e.g. 0/4 for the first of 4");
}

ScoreSummary score(const ScoreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  ModelPackage package = read_package(o.model);
  size_t threads = o.threads ? o.threads : core::default_jobs();
  std::string source = o.input.string();
  table::ReadOptions read;
  read.jobs = threads;
  auto reader = table::open_table(o.input, read);
  check_inputs(package.preprocessing, reader->schema(), source);
  Predictor predictor(package, o.engine, threads);

  ScoreSummary summary;
  summary.engine = predictor.engine_name();
  table::Schema outputs = package.output_schema();
  table::Schema schema;
  std::vector<size_t> kept;
  for (size_t i = 0; i < reader->schema().size(); ++i) {
    const auto& f = reader->schema()[i];
    bool clash = std::any_of(outputs.begin(), outputs.end(),
                             [&](const table::Field& out) { return out.name == f.name; });
    if (clash) {
      summary.dropped.push_back(f.name);
      continue;
    }
    kept.push_back(i);
    schema.push_back(f);
  }
  schema.insert(schema.end(), outputs.begin(), outputs.end());
  table::WriteOptions write;
  write.parquet.jobs = threads;
  auto writer = table::open_table_writer(o.output, schema, write);

  size_t row_offset = 0;
  for (size_t b = 0;; ++b) {
    std::optional<table::Table> batch = reader->next();
    if (!batch) break;
    size_t first_row = row_offset;
    row_offset += batch->num_rows();
    if (b % o.shard_count != o.shard_index) continue;
    std::string first_invalid;
    std::vector<uint8_t> invalid =
        constraint_violations(package, *batch, first_row, source, &first_invalid);
    size_t n_invalid = std::count(invalid.begin(), invalid.end(), 1);
    if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kError)
      throw Error(ErrorCode::kInvalidInput, first_invalid);
    if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kSkip) {
      std::vector<size_t> valid_rows;
      for (size_t i = 0; i < invalid.size(); ++i)
        if (!invalid[i]) valid_rows.push_back(i);
      batch = take_rows(*batch, valid_rows);
    }
    summary.invalid += n_invalid;
    Scores s = predictor.predict(*batch, source);
    for (const auto& [col, n] : s.unknown) summary.unknown[col] += n;
    std::vector<table::Column> cols;
    for (size_t i : kept) cols.push_back(std::move(batch->columns()[i]));
    for (auto& c : predictor.outputs(s)) {
      if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kNull) {
        c.valid.resize(s.rows);
        for (size_t i = 0; i < s.rows; ++i) c.valid[i] = !invalid[i];
      }
      cols.push_back(std::move(c));
    }
    writer->write(table::Table(std::move(cols)));
    summary.rows += s.rows;
    ++summary.batches;
  }
  writer->close();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace plinth::model
