#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "model/predictor.h"

// `plinth score`: batch scoring, streaming in the input's batches (Parquet row groups, CSV
// chunks) with bounded memory.
namespace plinth::model {

struct ScoreOptions {
  std::filesystem::path model, input, output;
  size_t threads = 0;  // 0: one per core
  // `input` is a file or an s3:// object, or a local folder or s3:// prefix whose table files
  // (one schema; hive partition folders become columns) are scored in name order. `output` is
  // a file or s3:// object; one ending in '/' is a folder or prefix, and the output is named
  // part-IIIII-of-NNNNN.parquet in it. Shard `shard_index` of `shard_count` scores the batches
  // (Parquet row groups, CSV chunks of a fixed size), numbered across the files in order, whose
  // number b has b % shard_count == shard_index: deterministic, and together the shards cover
  // the input exactly once.
  size_t shard_index = 0, shard_count = 1;
  Engine engine = Engine::kCompiled;
  // A row outside the package's declared constraints: kError stops scoring naming it, kSkip
  // leaves it out of the output, kNull writes it with null predictions.
  enum class OnInvalid { kError, kSkip, kNull } on_invalid = OnInvalid::kError;
  // A progress bar on stderr when it is a terminal (rows scored, rows/s, how far through the
  // input); off for machine-read output.
  bool show_progress = true;
};

struct ScoreSummary {
  size_t rows = 0, batches = 0;
  std::map<std::string, size_t> unknown;  // unknown categories scored as "other", by column
  std::string engine;
  double seconds = 0;
  std::vector<std::string> dropped;  // input columns named like an output, not passed through
  size_t invalid = 0;                // rows outside the constraints (skipped or nulled)
};

// Writes every input column and the package's outputs (output_schema) for each scored row.
// Throws Error listing missing input columns before reading any rows, and (with kError) naming
// the row and column of a value outside the declared constraints. The output appears only when
// complete.
ScoreSummary score(const ScoreOptions& options);

// "I/N" -> (I, N) with 0 <= I < N; throws Error(kInvalidInput).
std::pair<size_t, size_t> parse_shard(const std::string& text);

}  // namespace plinth::model
