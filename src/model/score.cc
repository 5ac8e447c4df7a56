#include "model/score.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/error.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "model/preprocess.h"
#include "table/dataset.h"
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

namespace {

// The output schema: the input's columns but those named like an output, then the outputs.
table::Schema output_schema(const ModelPackage& package, const table::Schema& input,
                            std::vector<size_t>& kept, ScoreSummary& summary) {
  table::Schema outputs = package.output_schema(), schema;
  for (size_t i = 0; i < input.size(); ++i) {
    bool clash = std::any_of(outputs.begin(), outputs.end(),
                             [&](const table::Field& out) { return out.name == input[i].name; });
    if (clash) {
      summary.dropped.push_back(input[i].name);
      continue;
    }
    kept.push_back(i);
    schema.push_back(input[i]);
  }
  schema.insert(schema.end(), outputs.begin(), outputs.end());
  return schema;
}

// Checks constraints, scores and writes one batch.
void score_batch(const Predictor& predictor, const ScoreOptions& o, table::Table& batch,
                 size_t first_row, const std::string& source, const std::vector<size_t>& kept,
                 table::TableWriter& writer, ScoreSummary& summary) {
  std::string first_invalid;
  std::vector<uint8_t> invalid =
      constraint_violations(predictor.package(), batch, first_row, source, &first_invalid);
  size_t n_invalid = std::count(invalid.begin(), invalid.end(), 1);
  if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kError)
    throw Error(ErrorCode::kInvalidInput, first_invalid);
  if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kSkip) {
    std::vector<size_t> valid_rows;
    for (size_t i = 0; i < invalid.size(); ++i)
      if (!invalid[i]) valid_rows.push_back(i);
    batch = take_rows(batch, valid_rows);
  }
  summary.invalid += n_invalid;
  Scores s = predictor.predict(batch, source);
  for (const auto& [col, n] : s.unknown) summary.unknown[col] += n;
  std::vector<table::Column> cols;
  for (size_t i : kept) cols.push_back(std::move(batch.columns()[i]));
  for (auto& c : predictor.outputs(s)) {
    if (n_invalid && o.on_invalid == ScoreOptions::OnInvalid::kNull) {
      c.valid.resize(s.rows);
      for (size_t i = 0; i < s.rows; ++i) c.valid[i] = !invalid[i];
    }
    cols.push_back(std::move(c));
  }
  writer.write(table::Table(std::move(cols)));
  summary.rows += s.rows;
  ++summary.batches;
}

// Where the output goes: --output itself, or a name for this shard under a folder or prefix.
std::string output_uri(const ScoreOptions& o) {
  std::string out = o.output.string();
  if (!out.ends_with('/')) return out;
  char name[64];
  std::snprintf(name, sizeof name, "part-%05zu-of-%05zu.parquet", o.shard_index, o.shard_count);
  return out + name;
}

}  // namespace

ScoreSummary score(const ScoreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  ModelPackage package = read_package(o.model);
  size_t threads = o.threads ? o.threads : core::default_jobs();
  table::ReadOptions read;
  read.jobs = threads;
  auto reader = table::open_dataset(o.input.string(), read);
  Predictor predictor(package, o.engine, threads);
  ScoreSummary summary;
  summary.engine = predictor.engine_name();
  // The first file fixes the schema; the output exists even when this shard gets no rows.
  const table::Schema& schema = reader->schema();
  check_inputs(package.preprocessing, schema, reader->current_file());
  std::vector<size_t> kept;
  table::WriteOptions write;
  write.parquet.jobs = threads;
  auto writer =
      table::open_table_writer(output_uri(o), output_schema(package, schema, kept, summary), write);
  std::optional<core::Progress> progress;
  if (o.show_progress) progress.emplace("Scoring", 0, core::ProgressUnit::kItems, "rows");
  // Batches (a Parquet file's row groups, a CSV file's chunks) are numbered across the files
  // in name order; shard I takes those numbered I, I + N, I + 2N, ... and passes over the
  // others without decoding them.
  for (size_t b = 0;; ++b) {
    size_t rows_before = summary.rows;
    if (b % o.shard_count != o.shard_index) {
      if (!reader->skip()) break;
    } else {
      std::optional<table::Table> batch = reader->next();
      if (!batch) break;
      score_batch(predictor, o, *batch, reader->current_row(), reader->current_file(), kept,
                  *writer, summary);
    }
    if (!progress) continue;
    if (auto fraction = reader->fraction_read()) progress->set_fraction(*fraction);
    progress->add(summary.rows - rows_before);
  }
  writer->close();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace plinth::model
