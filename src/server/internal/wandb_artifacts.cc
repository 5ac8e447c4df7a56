#include "server/internal/wandb_artifacts.h"

#include <openssl/evp.h>

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/random_id.h"
#include "core/utc_time.h"
#include "tracking/names.h"

namespace plinth::server::internal {

using nlohmann::json;
using tracking::Row;
using tracking::SqlValue;

struct WandbArtifacts::Row {
  std::string id, entity, project, collection, type, state, digest, run_id, description, metadata,
      manifest, pending_aliases;
  int64_t experiment_id = 0, size = 0, file_count = 0, created = 0, updated = 0;
  std::optional<int64_t> version, history_step, model_version;
};

namespace {

constexpr char kColumns[] =
    "id, experiment_id, entity, project, collection, type, version, state, digest, run_id, "
    "description, metadata, history_step, manifest, pending_aliases, size, file_count, "
    "creation_time, update_time, model_version";
constexpr char kUsedTag[] = "wandb.used_artifacts";
constexpr char kLoggedArtifactsTag[] = "mlflow.loggedArtifacts";  // MLflow's tables

std::string text(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string required_text(const json& obj, const char* key, const char* operation) {
  std::string v = text(obj, key);
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
std::string md5_b64_to_hex(const std::string& b64) {
  if (b64.size() != 24) return "";
  unsigned char out[24];
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(b64.data()), 24);
  if (n != 18) return "";  // 16 bytes plus the two '=' of padding
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 16; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

std::string iso_time(int64_t ms) {
  return core::format_utc(static_cast<std::time_t>(ms / 1000), "%Y-%m-%dT%H:%M:%SZ");
}

json null_or(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json project_info(const std::string& experiment_id, const std::string& entity,
                  const std::string& project) {
  return {{"id", experiment_id},
          {"internalId", experiment_id},
          {"name", project},
          {"entityName", entity},
          {"entity", {{"id", entity}, {"name", entity}}}};
}

// The hex MD5 the SDK computes over a manifest's entries (its "MANIFEST_MD5" digest).
std::string manifest_digest(const json& contents) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [path, entry] : contents.items())
    entries.emplace_back(path, entry.is_object() ? text(entry, "digest") : "");
  std::sort(entries.begin(), entries.end());
  std::string text = "wandb-artifact-manifest-v1\n";
  for (const auto& [path, digest] : entries) text += path + ":" + digest + "\n";
  return core::md5_hex(text);
}

}  // namespace

std::optional<WandbArtifacts::Row> WandbArtifacts::find(const std::string& id) {
  std::optional<Row> out;
  tracking::Transaction tx(db_);
  db_.query(std::string("SELECT ") + kColumns + " FROM wandb_artifacts WHERE id = ?", {id},
            [&](const tracking::Row& r) {
              Row a;
              a.id = r.text(0);
              a.experiment_id = r.integer(1);
              a.entity = r.text(2);
              a.project = r.text(3);
              a.collection = r.text(4);
              a.type = r.text(5);
              if (!r.is_null(6)) a.version = r.integer(6);
              a.state = r.text(7);
              a.digest = r.text(8);
              a.run_id = r.text(9);
              a.description = r.text(10);
              a.metadata = r.text(11);
              if (!r.is_null(12)) a.history_step = r.integer(12);
              a.manifest = r.text(13);
              a.pending_aliases = r.text(14);
              a.size = r.integer(15);
              a.file_count = r.integer(16);
              a.created = r.integer(17);
              a.updated = r.integer(18);
              if (!r.is_null(19)) a.model_version = r.integer(19);
              out = a;
            });
  tx.commit();
  return out;
}

WandbArtifacts::Row WandbArtifacts::require(const std::string& id, const char* operation) {
  auto row = find(id);
  if (!row)
    throw Error(ErrorCode::kNotFound, std::string(operation) + ": no W&B artifact with id '" + id +
                                          "'; create it with CreateArtifact first");
  return *row;
}

// "collection:alias" or "collection:vN" (the alias "latest" when there is no ':').
std::optional<WandbArtifacts::Row> WandbArtifacts::resolve(int64_t experiment_id,
                                                           const std::string& name) {
  size_t colon = name.rfind(':');
  std::string collection = name.substr(0, colon);
  std::string alias = colon == std::string::npos ? "latest" : name.substr(colon + 1);
  std::string id;
  static const std::regex kVersion("v([0-9]{1,12})");
  std::smatch m;
  {
    tracking::Transaction tx(db_);
    if (std::regex_match(alias, m, kVersion)) {
      db_.query(
          "SELECT id FROM wandb_artifacts WHERE experiment_id = ? AND collection = ? AND "
          "version = ?",
          {experiment_id, collection, static_cast<int64_t>(std::stoll(m[1]))},
          [&](const tracking::Row& r) { id = r.text(0); });
    } else {
      db_.query(
          "SELECT artifact_id FROM wandb_artifact_aliases WHERE experiment_id = ? AND "
          "collection = ? AND alias = ?",
          {experiment_id, collection, alias}, [&](const tracking::Row& r) { id = r.text(0); });
    }
    tx.commit();
  }
  if (id.empty()) return std::nullopt;
  return find(id);
}

std::optional<int64_t> WandbArtifacts::experiment_of(const std::string& entity,
                                                     const std::string& project) {
  try {
    return std::stoll(
        store_.get_experiment_by_name((entity.empty() ? kDefaultEntity : entity) + "/" + project)
            .experiment_id);
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return std::nullopt;
    throw;
  }
}

std::string WandbArtifacts::blob_path(int64_t experiment_id, const std::string& md5_hex) {
  auto exp = store_.get_experiment(std::to_string(experiment_id));
  return tracking::proxied_path(exp.artifact_location) + "/wandb-blobs/" + md5_hex;
}

json WandbArtifacts::create(const json& input) {
  if (!input.is_object())
    throw Error(ErrorCode::kInvalidInput, "CreateArtifact needs an 'input' object");
  std::string entity = text(input, "entityName");
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
    if (a.is_object() && !text(a, "alias").empty()) aliases.push_back(text(a, "alias"));
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
    row.description = text(input, "description");
    row.metadata = text(input, "metadata");
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
    std::string id = f.is_object() ? text(f, "artifactID") : "";
    if (!rows.count(id)) rows.emplace(id, require(id, "CreateArtifactFiles"));
    const Row& row = rows.at(id);
    std::string md5 = md5_b64_to_hex(text(f, "md5"));
    if (md5.empty())
      throw Error(ErrorCode::kInvalidInput,
                  "CreateArtifactFiles: file '" + text(f, "name") + "' has no base64 MD5 in 'md5'");
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
                       {"name", text(f, "name")},
                       {"displayName", text(f, "name")},
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
  std::string id = input.is_object() ? text(input, "artifactID") : "";
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
    std::string md5 = md5_b64_to_hex(text(entry, "digest"));
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
        artifacts_.get(blob_path(row.experiment_id, md5_b64_to_hex(text(entry, "digest"))));
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
  std::string entity = text(input, "entityName");
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

json WandbArtifacts::fragment(const Row& row, const std::string& base) {
  std::string exp = std::to_string(row.experiment_id);
  json project = project_info(exp, row.entity, row.project);
  json collection = {{"__typename", "ArtifactSequence"},
                     {"id", exp + "/" + row.collection},
                     {"name", row.collection},
                     {"project", project}};
  json aliases = json::array();
  {
    tracking::Transaction tx(db_);
    db_.query("SELECT alias FROM wandb_artifact_aliases WHERE artifact_id = ? ORDER BY alias",
              {row.id}, [&](const tracking::Row& r) {
                aliases.push_back({{"__typename", "ArtifactAlias"},
                                   {"id", row.id + ":" + r.text(0)},
                                   {"alias", r.text(0)},
                                   {"artifactCollection", collection},
                                   {"artifactCollectionName", row.collection}});
              });
    tx.commit();
  }
  json manifest = nullptr;
  if (!base.empty() && !row.manifest.empty())
    manifest = {
        {"id", row.id},
        {"file",
         {{"id", row.id},
          {"directUrl", base + "/wandb/manifest/" + row.id + "?" +
                            signer_.query("manifest-get\n" + row.id, kUrlLifetimeSeconds)}}}};
  return {{"__typename", "Artifact"},
          {"id", row.id},
          {"name", row.collection + ":v" + (row.version ? std::to_string(*row.version) : "")},
          {"artifactSequence", collection},
          {"versionIndex", row.version ? json(*row.version) : json(nullptr)},
          {"artifactType", {{"id", row.type}, {"name", row.type}}},
          {"description", null_or(row.description)},
          {"metadata", null_or(row.metadata)},
          {"ttlDurationSeconds", -2},
          {"ttlIsInherited", true},
          {"tags", json::array()},
          {"historyStep", row.history_step ? json(*row.history_step) : json(nullptr)},
          {"state", row.state},
          {"size", row.size},
          {"digest", row.digest},
          {"digestAlgorithm", "MANIFEST_MD5"},
          {"commitHash", row.digest.substr(0, 20)},
          {"fileCount", row.file_count},
          {"createdAt", iso_time(row.created)},
          {"updatedAt", iso_time(row.updated)},
          {"aliases", aliases},
          {"currentManifest", manifest}};
}

json WandbArtifacts::files_page(const Row& row, const std::string& base) {
  json manifest = json::parse(row.manifest, nullptr, false);
  json edges = json::array();
  if (manifest.is_object())
    for (const auto& [path, entry] : manifest["contents"].items()) {
      if (entry.contains("ref")) continue;
      std::string md5 = md5_b64_to_hex(text(entry, "digest"));
      std::string url = base + "/wandb/artifact-file/" + row.id + "/" + md5 + "?" +
                        signer_.query("file-get\n" + row.id + "\n" + md5, kUrlLifetimeSeconds);
      edges.push_back({{"node",
                        {{"__typename", "File"},
                         {"id", row.id + "/" + md5},
                         {"name", path},
                         {"url", url},
                         {"directUrl", url},
                         {"sizeBytes", entry.value("size", int64_t{0})},
                         {"digest", text(entry, "digest")},
                         {"md5", text(entry, "digest")}}}});
    }
  return {
      {"pageInfo", {{"__typename", "PageInfo"}, {"endCursor", nullptr}, {"hasNextPage", false}}},
      {"edges", edges}};
}

json WandbArtifacts::project(const std::string& entity, const std::string& project,
                             const json& variables, const std::string& base) {
  auto exp = experiment_of(entity, project);
  if (!exp) return nullptr;
  std::string e = entity.empty() ? kDefaultEntity : entity;
  json out = project_info(std::to_string(*exp), e, project);
  // RunStoppedStatus (SDKs to 0.23): nothing stops a run from the server.
  if (!text(variables, "runId").empty()) out["run"] = {{"stopped", false}};
  std::string name = text(variables, "name");
  if (!name.empty()) {
    auto row = resolve(*exp, name);
    json artifact = row ? fragment(*row, base) : json(nullptr);
    out["artifact"] = artifact;
    out["artifactCollectionMembership"] =
        row ? json{{"__typename", "ArtifactCollectionMembership"},
                   {"id", row->id},
                   {"versionIndex", artifact["versionIndex"]},
                   {"createdAt", artifact["createdAt"]},
                   {"aliases", artifact["aliases"]},
                   {"artifactCollection", artifact["artifactSequence"]},
                   {"artifact", artifact}}
            : json(nullptr);
  }
  std::string collection = text(variables, "collection");
  if (!collection.empty()) {
    std::string alias = text(variables, "alias");
    auto row = resolve(*exp, collection + ":" + (alias.empty() ? "latest" : alias));
    json membership = nullptr;
    if (row) {
      membership = fragment(*row, base);
      membership["files"] = files_page(*row, base);
    }
    out["artifactCollection"] = row ? json{{"__typename", "ArtifactSequence"},
                                           {"id", std::to_string(*exp) + "/" + collection},
                                           {"name", collection},
                                           {"artifactMembership", membership}}
                                    : json(nullptr);
  }
  return out;
}

std::optional<std::string> WandbArtifacts::artifact_experiment(const std::string& id) {
  auto row = find(id);
  if (!row) return std::nullopt;
  return std::to_string(row->experiment_id);
}

json WandbArtifacts::artifact(const std::string& id, const std::string& base) {
  auto row = find(id);
  if (!row) return nullptr;
  json out = fragment(*row, base);
  out["files"] = files_page(*row, base);  // SDKs to 0.2x list the files to download here
  return out;
}

std::string WandbArtifacts::get_file(const std::string& artifact_id, const std::string& md5_hex,
                                     const std::map<std::string, std::string>& query) {
  signer_.check("file-get\n" + artifact_id + "\n" + md5_hex, query,
                "ask for the artifact's files again");
  Row row = require(artifact_id, "download");
  auto bytes = artifacts_.get(blob_path(row.experiment_id, md5_hex));
  if (!bytes)
    throw Error(ErrorCode::kNotFound,
                "Artifact " + row.collection + " has no stored file " + "with MD5 " + md5_hex);
  return *bytes;
}

std::string WandbArtifacts::get_manifest(const std::string& artifact_id,
                                         const std::map<std::string, std::string>& query) {
  signer_.check("manifest-get\n" + artifact_id, query, "ask for the artifact again");
  Row row = require(artifact_id, "download");
  if (row.manifest.empty())
    throw Error(ErrorCode::kNotFound, "Artifact " + row.id + " has no manifest yet");
  return row.manifest;
}

}  // namespace plinth::server::internal
