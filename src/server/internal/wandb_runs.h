#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tracking/store.h"

namespace plinth::server::internal {

// W&B runs kept as MLflow runs in the tracking store (docs/wandb.md): the entity/project is
// the experiment "entity/project", the client's run id is tag wandb.run_id, the config
// flattened with dots are params, history rows are metrics stepped by _step; when the run ends,
// summary values that differ from the history's latest are metrics at the summary's step. Which
// history and events lines are stored (a count, and the ranges that came ahead of a gap) are
// tags written in the same batch as their metrics, so a re-sent chunk is skipped line by line, a
// chunk out of order fills its gap later, and nothing is logged twice, across restarts too.
// Thread-safe.
class WandbRuns {
 public:
  explicit WandbRuns(tracking::Store& store) : store_(store) {}

  // UpsertBucket's `input` → its `upsertBucket` answer ({bucket, inserted}).
  nlohmann::json upsert_bucket(const nlohmann::json& input);
  // The MLflow run of a W&B run, or nullopt.
  std::optional<tracking::Run> find(const std::string& entity, const std::string& project,
                                    const std::string& name);
  // The experiment id of W&B project `entity/project`, or nullopt when it does not exist.
  std::optional<std::string> experiment(const std::string& entity, const std::string& project);
  // Applies one file_stream request body (spec wandb-protocol.md §1.4 item 6) to `run`.
  void file_stream(const tracking::Run& run, const nlohmann::json& body);

 private:
  std::string experiment_id(const std::string& entity, const std::string& project, bool create);
  void set_tags(const tracking::Run& run, const nlohmann::json& input);
  void log_config(const tracking::Run& run, const nlohmann::json& config);
  void log_lines(const std::string& run_id, const nlohmann::json& file, bool events);
  // Keeps the latest summary (tag wandb.summary) and returns it; null when unreadable.
  nlohmann::json keep_summary(const std::string& run_id, const nlohmann::json& file);
  void log_summary(const std::string& run_id, const nlohmann::json& summary);

  tracking::Store& store_;
  std::mutex mutex_;  // one writer per server: find-or-create and line counts stay consistent
};

// The entity a run gets when the client names none (the Viewer's entity).
inline constexpr char kDefaultEntity[] = "plinth";

}  // namespace plinth::server::internal
