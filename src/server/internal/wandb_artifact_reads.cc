#include <openssl/evp.h>

#include <regex>

#include "core/error.h"
#include "core/utc_time.h"
#include "server/internal/wandb_artifacts.h"

// Reading W&B artifacts: finding versions by id, alias or number, and the GraphQL answers the
// SDK's artifact queries get.
namespace plinth::server::internal {

using nlohmann::json;

std::string json_text(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The manifest's base64 MD5 as hex; "" when it is not one.
std::string md5_base64_to_hex(const std::string& b64) {
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

namespace {

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
      std::string md5 = md5_base64_to_hex(json_text(entry, "digest"));
      std::string url = base + "/wandb/artifact-file/" + row.id + "/" + md5 + "?" +
                        signer_.query("file-get\n" + row.id + "\n" + md5, kUrlLifetimeSeconds);
      edges.push_back({{"node",
                        {{"__typename", "File"},
                         {"id", row.id + "/" + md5},
                         {"name", path},
                         {"url", url},
                         {"directUrl", url},
                         {"sizeBytes", entry.value("size", int64_t{0})},
                         {"digest", json_text(entry, "digest")},
                         {"md5", json_text(entry, "digest")}}}});
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
  if (!json_text(variables, "runId").empty()) out["run"] = {{"stopped", false}};
  std::string name = json_text(variables, "name");
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
  std::string collection = json_text(variables, "collection");
  if (!collection.empty()) {
    std::string alias = json_text(variables, "alias");
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
