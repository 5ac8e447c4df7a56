#include "server/internal/wandb_artifacts.h"

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "core/hash.h"
#include "core/random_id.h"
#include "tracking/names.h"

// Writing W&B artifacts: creating, uploading, committing, using. Reads are in
// wandb_artifact_reads.cc.
namespace plinth::server::internal {

using nlohmann::json;
using tracking::SqlValue;

namespace {

constexpr char kUsedTag[] = "wandb.used_artifacts";
constexpr char kLoggedArtifactsTag[] = "mlflow.loggedArtifacts";  // MLflow's tables

std::string required_text(const json& obj, const char* key, const char* operation) {
  std::string v = json_text(obj, key);
  if (v.empty())
    throw Error(ErrorCode::kInvalidInput,
                std::string(operation) + " needs '" + key + "' in its input");
  return v;
}

// An artifact's name part as W&B allows it: letters, digits, '-', '_' and '.'.
void check_artifact_name(const std::string& what, const std::string& name) {
  static const std::regex kName("[A-Za-z0-9_.-]{1,128}");
  if (!std::regex_match(name, kName))
    throw Error(ErrorCode::kInvalidInput,
                "Invalid W&B artifact " + what + " '" + name +
                    "': use letters, digits, '-', '_' and '.' (at most 128 characters)");
}

// The manifest's base64 MD5 as hex; "" when it is not one.
std::string manifest_digest(const json& contents) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [path, entry] : contents.items())
    entries.emplace_back(path, entry.is_object() ? json_text(entry, "digest") : "");
  std::sort(entries.begin(), entries.end());
  std::string text = "wandb-artifact-manifest-v1\n";
  for (const auto& [path, digest] : entries) text += path + ":" + digest + "\n";
  return core::md5_hex(text);
}

}  // namespace

json WandbArtifacts::create(const json& input) {
  if (!input.is_object())
    throw Error(ErrorCode::kInvalidInput, "CreateArtifact needs an 'input' object");
  std::string entity = json_text(input, "entityName");
  std::string project = required_text(input, "projectName", "CreateArtifact");
  std::string run_name = required_text(input, "runName", "CreateArtifact");
  std::string collection = required_text(input, "artifactCollectionName", "CreateArtifact");
  std::string type = required_text(input, "artifactTypeName", "CreateArtifact");
  std::string digest = required_text(input, "digest", "CreateArtifact");
  check_artifact_name("name", collection);
  check_artifact_name("type", type);
  auto run = runs_.find(entity.empty() ? kDefaultEntity : entity, project, run_name);
  if (!run)
    throw Error(ErrorCode::kNotFound,
                "CreateArtifact: no W&B run " + run_name + " in " + project +
                    ": artifacts are logged by a run (wandb.init, then run.log_artifact)");
  json aliases = json::array();
  for (const auto& a : input.value("aliases", json::array()))
    if (a.is_object() && !json_text(a, "alias").empty()) aliases.push_back(json_text(a, "alias"));
  int64_t exp = std::stoll(run->info.experiment_id);

  std::lock_guard lock(mutex_);
  std::string existing;
  {
    tracking::Transaction tx(db_);
    // The same content again: the committed version (deduplicated), or a pending one the
    // client is still uploading (CreateArtifact sent again after a retry).
    db_.query(
        "SELECT id FROM wandb_artifacts WHERE experiment_id = ? AND collection = ? AND "
        "digest = ? AND (state = 'COMMITTED' OR run_id = ?) ORDER BY state",
        {exp, collection, digest, run->info.run_id}, [&](const tracking::Row& r) {
          if (existing.empty()) existing = r.text(0);
        });
    tx.commit();
  }
  Row row;
  if (!existing.empty()) {
    row = *find(existing);
    if (row.state == "COMMITTED") apply_aliases(row, aliases);
  } else {
    row.id = core::random_hex(24);
    row.experiment_id = exp;
    row.entity = entity.empty() ? kDefaultEntity : entity;
    row.project = project;
    row.collection = collection;
    row.type = type;
    row.state = "PENDING";
    row.digest = digest;
    row.run_id = run->info.run_id;
    row.description = json_text(input, "description");
    row.metadata = json_text(input, "metadata");
    if (auto s = input.find("historyStep"); s != input.end() && s->is_number_integer())
      row.history_step = s->get<int64_t>();
    row.pending_aliases = aliases.dump();
    row.created = row.updated = tracking::now_ms();
    tracking::Transaction tx(db_);
    db_.exec(
        std::string("INSERT INTO wandb_artifacts (") + kColumns +
            ") VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?, 0, 0, ?, ?, NULL)",
        {row.id, exp, row.entity, project, collection, type, row.state, digest, row.run_id,
         row.description, row.metadata, row.history_step ? SqlValue(*row.history_step) : SqlValue(),
         row.pending_aliases, row.created, row.updated});
    tx.commit();
  }
  json out = fragment(row, "");
  auto latest = resolve(exp, collection + ":latest");
  out["artifactSequence"]["latestArtifact"] = latest ? json{{"id", latest->id}} : json(nullptr);
  return {{"artifact", out}};
}

json WandbArtifacts::create_manifest(const json& input, const std::string& base) {
  if (!input.is_object())
    throw Error(ErrorCode::kInvalidInput, "CreateArtifactManifest needs an 'input' object");
  Row row = require(required_text(input, "artifactID", "CreateArtifactManifest"),
                    "CreateArtifactManifest");
  std::string url = base + "/wandb/manifest/" + row.id + "?" +
                    signer_.query("manifest-put\n" + row.id, kUrlLifetimeSeconds);
  return {{"artifactManifest",
           {{"id", row.id},
            {"file",
             {{"id", row.id},
              {"name", "wandb_manifest.json"},
              {"uploadUrl", url},
              {"uploadHeaders", json::array()},
              {"directUrl", nullptr}}}}}};
}

json WandbArtifacts::create_files(const json& input, const std::string& base) {
  auto list = input.is_object() ? input.find("artifactFiles") : input.end();
  if (list == input.end() || !list->is_array())
    throw Error(ErrorCode::kInvalidInput, "CreateArtifactFiles needs 'artifactFiles', a list");
  json edges = json::array();
  std::map<std::string, Row> rows;
  for (const auto& f : *list) {
    std::string id = f.is_object() ? json_text(f, "artifactID") : "";
    if (!rows.count(id)) rows.emplace(id, require(id, "CreateArtifactFiles"));
    const Row& row = rows.at(id);
    std::string md5 = md5_base64_to_hex(json_text(f, "md5"));
    if (md5.empty())
      throw Error(ErrorCode::kInvalidInput, "CreateArtifactFiles: file '" + json_text(f, "name") +
                                                "' has no base64 MD5 in 'md5'");
    bool stored = false;
    {
      tracking::Transaction tx(db_);
      stored = tracking::query_integer(
                   db_, "SELECT 1 FROM wandb_artifact_blobs WHERE experiment_id = ? AND md5 = ?",
                   {row.experiment_id, md5}, 0) == 1;
      tx.commit();
    }
    json url = nullptr;  // null: already stored, the client uploads nothing
    if (!stored)
      url = base + "/wandb/artifact-file/" + row.id + "/" + md5 + "?" +
            signer_.query("file-put\n" + row.id + "\n" + md5, kUrlLifetimeSeconds);
    edges.push_back({{"node",
                      {{"id", row.id + "/" + md5},
                       {"name", json_text(f, "name")},
                       {"displayName", json_text(f, "name")},
                       {"storagePath", "wandb-blobs/" + md5},
                       {"uploadUrl", url},
                       {"uploadHeaders", json::array()},
                       {"uploadMultipartUrls", nullptr},
                       {"artifact", {{"id", row.id}}}}}});
  }
  return {{"files", {{"edges", edges}}}};
}

void WandbArtifacts::put_file(const std::string& artifact_id, const std::string& md5_hex,
                              const std::map<std::string, std::string>& query,
                              const std::string& body) {
  signer_.check("file-put\n" + artifact_id + "\n" + md5_hex, query,
                "ask for a new URL (CreateArtifactFiles)");
  Row row = require(artifact_id, "upload");
  std::string got = core::md5_hex(body);
  if (got != md5_hex)
    throw Error(ErrorCode::kInvalidInput, "The uploaded file's MD5 is " + got +
                                              ", but this URL is for a file with MD5 " + md5_hex +
                                              ": upload the file the URL was made for");
  artifacts_.put(blob_path(row.experiment_id, md5_hex), body);
  tracking::Transaction tx(db_);
  db_.exec(
      "INSERT INTO wandb_artifact_blobs (experiment_id, md5, size) VALUES (?, ?, ?) "
      "ON CONFLICT (experiment_id, md5) DO NOTHING",
      {row.experiment_id, md5_hex, static_cast<int64_t>(body.size())});
  tx.commit();
}

void WandbArtifacts::put_manifest(const std::string& artifact_id,
                                  const std::map<std::string, std::string>& query,
                                  const std::string& body) {
  signer_.check("manifest-put\n" + artifact_id, query,
                "ask for a new URL (CreateArtifactManifest)");
  Row row = require(artifact_id, "manifest upload");
  json manifest = json::parse(body, nullptr, false);
  if (!manifest.is_object() || !manifest.contains("contents") || !manifest["contents"].is_object())
    throw Error(ErrorCode::kInvalidInput,
                "The artifact manifest is not a JSON object with a 'contents' object");
  std::string digest = manifest_digest(manifest["contents"]);
  if (digest != row.digest)
    throw Error(ErrorCode::kInvalidInput,
                "The manifest's digest is " + digest + " but artifact " + row.id +
                    " was created with digest " + row.digest +
                    ": upload the manifest the artifact was created from");
  tracking::Transaction tx(db_);
  db_.exec("UPDATE wandb_artifacts SET manifest = ?, update_time = ? WHERE id = ?",
           {body, tracking::now_ms(), artifact_id});
  tx.commit();
}

json WandbArtifacts::commit(const json& input) {
  std::string id = input.is_object() ? json_text(input, "artifactID") : "";
  std::lock_guard lock(mutex_);
  Row row = require(id, "CommitArtifact");
  if (row.state == "COMMITTED") return {{"artifact", fragment(row, "")}};
  json manifest = json::parse(row.manifest, nullptr, false);
  if (!manifest.is_object())
    throw Error(ErrorCode::kInvalidInput, "CommitArtifact: the manifest of artifact " + row.id +
                                              " was not uploaded; upload it first");
  int64_t size = 0, files = 0;
  for (const auto& [path, entry] : manifest["contents"].items()) {
    ++files;
    size += entry.value("size", int64_t{0});
    if (entry.contains("ref")) continue;  // a reference: the bytes stay where they are
    std::string md5 = md5_base64_to_hex(json_text(entry, "digest"));
    tracking::Transaction tx(db_);
    bool stored = tracking::query_integer(
                      db_, "SELECT 1 FROM wandb_artifact_blobs WHERE experiment_id = ? AND md5 = ?",
                      {row.experiment_id, md5}, 0) == 1;
    tx.commit();
    if (!stored)
      throw Error(ErrorCode::kInvalidInput, "CommitArtifact: file '" + path + "' of artifact " +
                                                row.collection +
                                                " was not uploaded; upload it first");
  }
  {
    tracking::Transaction tx(db_);
    row.version = tracking::query_integer(db_,
                                          "SELECT MAX(version) FROM wandb_artifacts WHERE "
                                          "experiment_id = ? AND collection = ?",
                                          {row.experiment_id, row.collection}, -1) +
                  1;
    tx.commit();
  }
  row.size = size;
  row.file_count = files;
  row.state = "COMMITTED";
  publish(row);  // files into the run first: a failure leaves the version uncommitted
  {
    tracking::Transaction tx(db_);
    db_.exec(
        "UPDATE wandb_artifacts SET state = 'COMMITTED', version = ?, size = ?, file_count = ?, "
        "update_time = ? WHERE id = ?",
        {*row.version, size, files, tracking::now_ms(), row.id});
    tx.commit();
  }
  if (row.type == "model") register_model(row);
  apply_aliases(row, json::parse(row.pending_aliases, nullptr, false));
  return {{"artifact", fragment(row, "")}};
}

// The version's files into the producing run's artifacts, and its tables as MLflow tables.
void WandbArtifacts::publish(const Row& row) {
  auto run = store_.get_run(row.run_id);
  std::string root = tracking::proxied_path(run.info.artifact_uri);
  std::string folder = "wandb-artifacts/" + row.collection + "/v" + std::to_string(*row.version);
  json manifest = json::parse(row.manifest);
  json logged = json::parse(
      [&] {
        for (const auto& t : run.tags)
          if (t.key == kLoggedArtifactsTag) return t.value;
        return std::string("[]");
      }(),
      nullptr, false);
  if (!logged.is_array()) logged = json::array();
  bool tables = false;
  for (const auto& [path, entry] : manifest["contents"].items()) {
    if (entry.contains("ref")) continue;
    std::string name = tracking::checked_artifact_path(path);
    auto bytes =
        artifacts_.get(blob_path(row.experiment_id, md5_base64_to_hex(json_text(entry, "digest"))));
    if (!bytes)
      throw Error(ErrorCode::kNotFound, "CommitArtifact: the stored bytes of '" + path +
                                            "' are missing from the artifact store");
    artifacts_.put(root + "/" + folder + "/" + name, *bytes);
    // A W&B table as MLflow keeps one (pandas' "split" layout), for mlflow.load_table.
    if (row.type == "run_table" && name.ends_with(".table.json") &&
        name.find('/') == std::string::npos) {
      json table = json::parse(*bytes, nullptr, false);
      if (!table.is_object() || !table.contains("columns") || !table.contains("data")) continue;
      std::string file = name.substr(0, name.size() - 11) + ".json";
      artifacts_.put(root + "/" + file,
                     json{{"columns", table["columns"]}, {"data", table["data"]}}.dump());
      json item = {{"path", file}, {"type", "table"}};
      if (std::find(logged.begin(), logged.end(), item) == logged.end()) logged.push_back(item);
      tables = true;
    }
  }
  artifacts_.put(root + "/" + folder + "/wandb_manifest.json", row.manifest);
  if (tables) {
    // Spelled as MLflow's client writes it, so its LIKE filter in load_table matches.
    std::string value = "[";
    for (size_t i = 0; i < logged.size(); ++i)
      value += (i ? ", " : "") + std::string("{\"path\": ") + logged[i]["path"].dump() +
               ", \"type\": " + logged[i]["type"].dump() + "}";
    store_.log_batch(row.run_id, {}, {}, {{kLoggedArtifactsTag, value + "]"}});
  }
}

// A model artifact is also a version of the registered model of its name.
void WandbArtifacts::register_model(Row& row) {
  try {
    registry_.get_model(row.collection);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    registry_.create_model(row.collection, {}, "");
  }
  auto run = store_.get_run(row.run_id);
  std::string version = std::to_string(*row.version);
  registry::NewModelVersion v;
  v.name = row.collection;
  v.source = run.info.artifact_uri + "/wandb-artifacts/" + row.collection + "/v" + version;
  v.run_id = row.run_id;
  v.description = row.description;
  v.user_id = row.entity;
  v.tags = {
      {"wandb.artifact", row.entity + "/" + row.project + "/" + row.collection + ":v" + version}};
  row.model_version = registry_.create_version(v).version;
  tracking::Transaction tx(db_);
  db_.exec("UPDATE wandb_artifacts SET model_version = ? WHERE id = ?",
           {*row.model_version, row.id});
  tx.commit();
}

// Moves `aliases` (W&B's "latest" and the user's) to `row`; on a registered model version the
// user's become MLflow aliases too (MLflow reserves "latest" and "vN").
void WandbArtifacts::apply_aliases(const Row& row, const json& aliases) {
  if (!aliases.is_array()) return;
  static const std::regex kVersion("v[0-9]+");
  std::vector<std::string> moved;
  {
    tracking::Transaction tx(db_);
    for (const auto& a : aliases) {
      if (!a.is_string() || std::regex_match(a.get<std::string>(), kVersion)) continue;
      db_.exec(
          "INSERT INTO wandb_artifact_aliases (experiment_id, collection, alias, artifact_id) "
          "VALUES (?, ?, ?, ?) ON CONFLICT (experiment_id, collection, alias) DO UPDATE SET "
          "artifact_id = excluded.artifact_id",
          {row.experiment_id, row.collection, a.get<std::string>(), row.id});
      moved.push_back(a.get<std::string>());
    }
    tx.commit();
  }
  if (!row.model_version) return;
  for (const auto& alias : moved)
    if (alias != "latest")
      registry_.set_alias(row.collection, alias, std::to_string(*row.model_version));
}

json WandbArtifacts::use(const json& input) {
  if (!input.is_object())
    throw Error(ErrorCode::kInvalidInput, "UseArtifact needs an 'input' object");
  Row row = require(required_text(input, "artifactID", "UseArtifact"), "UseArtifact");
  std::string entity = json_text(input, "entityName");
  auto run = runs_.find(entity.empty() ? kDefaultEntity : entity,
                        required_text(input, "projectName", "UseArtifact"),
                        required_text(input, "runName", "UseArtifact"));
  if (run) {
    // The run's inputs, as "entity/project/collection:vN" in a JSON list.
    std::string name = row.entity + "/" + row.project + "/" + row.collection + ":v" +
                       (row.version ? std::to_string(*row.version) : std::string("?"));
    json used = json::array();
    for (const auto& t : run->tags)
      if (t.key == kUsedTag) used = json::parse(t.value, nullptr, false);
    if (!used.is_array()) used = json::array();
    if (std::find(used.begin(), used.end(), name) == used.end()) used.push_back(name);
    store_.log_batch(run->info.run_id, {}, {}, {{kUsedTag, used.dump()}});
  }
  return {{"artifact", {{"id", row.id}}}};
}

}  // namespace plinth::server::internal
