#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "registry/registry.h"
#include "server/internal/wandb_runs.h"
#include "server/internal/wandb_urls.h"
#include "tracking/artifact_store.h"
#include "tracking/database.h"
#include "tracking/store.h"

namespace plinth::server::internal {

// W&B artifacts (spec wandb-protocol.md §1.4 items 9-16) in the tracking database (tables
// wandb_artifacts, wandb_artifact_aliases, wandb_artifact_blobs) and the artifact store:
// - a version is created PENDING, its files are uploaded by content (MD5, checked on upload)
//   to the experiment's wandb-blobs/ folder, once per experiment: a file already stored gets
//   no upload URL; then its manifest, then CommitArtifact numbers it (v0, v1, ... per
//   collection), moves its aliases ("latest" and the user's) and copies its files into the
//   producing run's artifacts at wandb-artifacts/<collection>/v<N>/, where the MLflow client
//   reads them. An artifact whose manifest digest is already committed in its collection is
//   answered COMMITTED at once (the SDK then uploads nothing) and gets the new aliases.
// - a committed `model` artifact becomes a version of the registered model of the same name;
//   a `run_table` artifact's tables become MLflow tables of the run (mlflow.load_table).
// Thread-safe.
class WandbArtifacts {
 public:
  WandbArtifacts(tracking::Database& db, tracking::Store& store, tracking::ArtifactStore& artifacts,
                 registry::Registry& registry, WandbRuns& runs, const UrlSigner& signer)
      : db_(db),
        store_(store),
        artifacts_(artifacts),
        registry_(registry),
        runs_(runs),
        signer_(signer) {}

  // GraphQL answers. `base` is the server's base URL, for the URLs handed out.
  nlohmann::json create(const nlohmann::json& input);
  nlohmann::json create_manifest(const nlohmann::json& input, const std::string& base);
  nlohmann::json create_files(const nlohmann::json& input, const std::string& base);
  nlohmann::json commit(const nlohmann::json& input);
  nlohmann::json use(const nlohmann::json& input);
  // The `project(name, entityName)` field as the artifact queries select it: `artifact` and
  // `artifactCollectionMembership` for variable `name` ("collection:alias"), and
  // `artifactCollection { artifactMembership { files } }` for `collection` and `alias`.
  // null when the project does not exist.
  nlohmann::json project(const std::string& entity, const std::string& project,
                         const nlohmann::json& variables, const std::string& base);
  // The `artifact(id)` field: the artifact with its manifest's and files' download URLs.
  nlohmann::json artifact(const std::string& id, const std::string& base);

  // The experiment id of the artifact `id`; nullopt for an unknown id.
  std::optional<std::string> artifact_experiment(const std::string& id);

  // The signed URLs' targets. Throw Error(kPermission) for a bad or expired URL.
  void put_file(const std::string& artifact_id, const std::string& md5_hex,
                const std::map<std::string, std::string>& query, const std::string& body);
  void put_manifest(const std::string& artifact_id, const std::map<std::string, std::string>& query,
                    const std::string& body);
  std::string get_file(const std::string& artifact_id, const std::string& md5_hex,
                       const std::map<std::string, std::string>& query);
  std::string get_manifest(const std::string& artifact_id,
                           const std::map<std::string, std::string>& query);

 private:
  struct Row {
    std::string id, entity, project, collection, type, state, digest, run_id, description, metadata,
        manifest, pending_aliases;
    int64_t experiment_id = 0, size = 0, file_count = 0, created = 0, updated = 0;
    std::optional<int64_t> version, history_step, model_version;
  };
  static constexpr char kColumns[] =
      "id, experiment_id, entity, project, collection, type, version, state, digest, run_id, "
      "description, metadata, history_step, manifest, pending_aliases, size, file_count, "
      "creation_time, update_time, model_version";
  std::optional<Row> find(const std::string& id);
  std::optional<Row> resolve(int64_t experiment_id, const std::string& name);
  Row require(const std::string& id, const char* operation);
  std::optional<int64_t> experiment_of(const std::string& entity, const std::string& project);
  std::string blob_path(int64_t experiment_id, const std::string& md5_hex);
  nlohmann::json fragment(const Row& row, const std::string& base);
  nlohmann::json files_page(const Row& row, const std::string& base);
  void register_model(Row& row);
  void apply_aliases(const Row& row, const nlohmann::json& aliases);
  void publish(const Row& row);

  tracking::Database& db_;
  tracking::Store& store_;
  tracking::ArtifactStore& artifacts_;
  registry::Registry& registry_;
  WandbRuns& runs_;
  const UrlSigner& signer_;
  std::mutex mutex_;  // numbering and aliases: one commit at a time
};

// The string at `key` of a JSON object, or "".
std::string json_text(const nlohmann::json& obj, const char* key);
// A base64 MD5 (as W&B manifests hold them) in hex; "" when it is not one.
std::string md5_base64_to_hex(const std::string& b64);

}  // namespace plinth::server::internal
