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

namespace {

// The files to score: `input` itself, or the CSV and Parquet files directly in it, by name.
std::vector<std::filesystem::path> input_files(const std::filesystem::path& input) {
  if (!std::filesystem::is_directory(input)) return {input};
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(input)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() &&
        (ext == ".csv" || ext == ".tsv" || ext == ".parquet" || ext == ".pq"))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw Error(ErrorCode::kNotFound,
                "no .csv or .parquet files in " + input.string() + "; nothing to score");
  return files;
}

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

}  // namespace

ScoreSummary score(const ScoreOptions& o) {
  auto start = std::chrono::steady_clock::now();
  ModelPackage package = read_package(o.model);
  size_t threads = o.threads ? o.threads : core::default_jobs();
  std::vector<std::filesystem::path> files = input_files(o.input);
  bool shard_files = std::filesystem::is_directory(o.input);
  table::ReadOptions read;
  read.jobs = threads;
  Predictor predictor(package, o.engine, threads);
  ScoreSummary summary;
  summary.engine = predictor.engine_name();
  // The first file fixes the schema; the output exists even when this shard gets no rows.
  table::Schema first_schema = table::open_table(files.front(), read)->schema();
  check_inputs(package.preprocessing, first_schema, files.front().string());
  std::vector<size_t> kept;
  table::WriteOptions write;
  write.parquet.jobs = threads;
  auto writer = table::open_table_writer(
      o.output, output_schema(package, first_schema, kept, summary), write);

  for (size_t k = 0; k < files.size(); ++k) {
    if (shard_files && k % o.shard_count != o.shard_index) continue;
    std::string source = files[k].string();
    auto reader = table::open_table(files[k], read);
    if (reader->schema() != first_schema)
      throw Error(ErrorCode::kInvalidInput, source + " has other columns or types than " +
                                                files.front().string() +
                                                "; the files of one input must share a schema");
    size_t row_offset = 0;
    for (size_t b = 0;; ++b) {
      std::optional<table::Table> batch = reader->next();
      if (!batch) break;
      size_t first_row = row_offset;
      row_offset += batch->num_rows();
      if (!shard_files && b % o.shard_count != o.shard_index) continue;
      score_batch(predictor, o, *batch, first_row, source, kept, *writer, summary);
    }
  }
  writer->close();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace plinth::model
