// Model versions in the tracking database: registration (of a run's files or a logged model),
// stages, tags, search.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "registry/internal/changes.h"
#include "registry/internal/sql_registry.h"
#include "tracking/search.h"

namespace plinth::registry {
namespace {

using internal::invalid;
using internal::parse_version;
using internal::record_version_change;
using internal::require;
using internal::SqlRegistry;
using tracking::OrderKey;
using tracking::Row;
using tracking::SortValue;
using tracking::Transaction;
using Json = nlohmann::json;

// `value` as Python's json.dumps writes it (", " and ": " separators, ASCII only), which is how
// MLflow's server writes the mlflow.modelVersions tag.
std::string python_json(const nlohmann::ordered_json& value) {
  std::string out;
  if (value.is_array()) {
    for (const auto& item : value) out += (out.empty() ? "" : ", ") + python_json(item);
    return "[" + out + "]";
  }
  if (value.is_object()) {
    for (const auto& [k, v] : value.items())
      out += (out.empty() ? "" : ", ") + python_json(k) + ": " + python_json(v);
    return "{" + out + "}";
  }
  return value.dump(-1, ' ', true);
}

// Records version `version` of `name` in the logged model's mlflow.modelVersions tag (a JSON
// list of {"name", "version"}), as MLflow's server does when a version registers a logged model.
void link_logged_model(tracking::Store& store, const std::string& model_id, const std::string& name,
                       int64_t version) {
  nlohmann::ordered_json versions = nlohmann::ordered_json::array();
  for (const auto& t : store.get_logged_model(model_id).tags)
    if (t.key == "mlflow.modelVersions")
      versions = nlohmann::ordered_json::parse(t.value, nullptr, false);
  if (!versions.is_array()) versions = nlohmann::ordered_json::array();
  nlohmann::ordered_json entry = {{"name", name}, {"version", version}};
  if (std::find(versions.begin(), versions.end(), entry) == versions.end())
    versions.push_back(entry);
  store.set_logged_model_tags(model_id, {{"mlflow.modelVersions", python_json(versions)}});
}

const std::vector<std::string> kVersionOps = {"=", "!=", "LIKE", "ILIKE", "IN"};

}  // namespace

ModelVersion SqlRegistry::create_version(const NewModelVersion& spec) {
  require(spec.name, "name");
  require(spec.source, "source");
  if (spec.source.find("/../") != std::string::npos || spec.source.rfind("../", 0) == 0 ||
      spec.source.ends_with("/..") || spec.source.find("%2e%2e") != std::string::npos ||
      spec.source.find("%2E%2E") != std::string::npos)
    invalid("Invalid model version source: '" + spec.source +
            "'. Sources may not contain '..' path segments.");
  std::string storage = spec.source;
  std::string run_id = spec.run_id;
  std::optional<tracking::LoggedModel> logged;  // the logged model this version registers
  if (spec.source.rfind("models:/", 0) == 0) {
    std::string id = spec.source.substr(8);
    if (id.find('/') == std::string::npos && id.find('@') == std::string::npos) {
      logged = store_.get_logged_model(id);
      storage = logged->artifact_uri;
    }
  }
  if (!logged && !spec.model_id.empty()) logged = store_.get_logged_model(spec.model_id);
  // As MLflow's server: a version of a logged model belongs to the run that logged it.
  if (run_id.empty() && logged) run_id = logged->source_run_id;
  if (!run_id.empty()) store_.get_run(run_id);
  ModelVersion v = insert_version(spec, storage, run_id);
  if (!spec.model_id.empty()) link_logged_model(store_, spec.model_id, spec.name, v.version);
  return v;
}

ModelVersion SqlRegistry::insert_version(const NewModelVersion& spec, const std::string& storage,
                                         const std::string& run_id) {
  Transaction tx(db_);
  load_model(spec.name);
  int64_t version =
      tracking::query_integer(db_, "SELECT MAX(version) FROM model_versions WHERE name = ?",
                              {spec.name}, 0) +
      1;
  int64_t now = tracking::now_ms();
  db_.exec(
      "INSERT INTO model_versions (name, version, creation_time, last_updated_time, user_id, "
      "current_stage, description, source, run_id, status, run_link, storage_location, model_id, "
      "deleted) VALUES (?, ?, ?, ?, ?, 'None', ?, ?, ?, 'READY', ?, ?, ?, 0)",
      {spec.name, version, now, now, spec.user_id, spec.description, spec.source, run_id,
       spec.run_link, storage, spec.model_id});
  for (const auto& t : spec.tags)
    db_.exec("INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)",
             {spec.name, version, t.key, t.value});
  touch_model(spec.name);
  ModelVersion v = load_version(spec.name, version);
  record_version_change(db_, "create_version", spec.name, version, nullptr,
                        internal::version_state(v));
  tx.commit();
  return v;
}

ModelVersion SqlRegistry::get_version(const std::string& name, const std::string& version) {
  require(name, "name");
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  return load_version(name, v);
}

ModelVersion SqlRegistry::update_version(const std::string& name, const std::string& version,
                                         const std::string& description) {
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  std::string before = load_version(name, v).description;
  db_.exec(
      "UPDATE model_versions SET description = ?, last_updated_time = ? WHERE name = ? AND "
      "version = ?",
      {description, tracking::now_ms(), name, v});
  ModelVersion out = load_version(name, v);
  record_version_change(db_, "update_version", name, v, {{"description", before}},
                        {{"description", description}});
  tx.commit();
  return out;
}

void SqlRegistry::delete_version(const std::string& name, const std::string& version) {
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  Json before = internal::version_state(load_version(name, v));
  db_.exec("UPDATE model_versions SET deleted = 1 WHERE name = ? AND version = ?", {name, v});
  db_.exec("DELETE FROM registered_model_aliases WHERE name = ? AND version = ?", {name, v});
  db_.exec("DELETE FROM model_version_tags WHERE name = ? AND version = ?", {name, v});
  touch_model(name);
  record_version_change(db_, "delete_version", name, v, before, nullptr);
  tx.commit();
}

Page<ModelVersion> SqlRegistry::search_versions(const SearchSpec& search) {
  auto clauses = tracking::parse_filter(search.filter);
  for (auto& c : clauses) {
    if (c.entity == "attribute" && c.key == "version_number") {
      auto allowed = tracking::kNumericComparators;
      allowed.push_back("IN");
      tracking::check_comparator(c, allowed);
    } else if (c.entity == "tag" ||
               (c.entity == "attribute" &&
                (c.key == "name" || c.key == "run_id" || c.key == "source_path"))) {
      tracking::check_comparator(c, kVersionOps);
    } else {
      invalid("Invalid attribute key '" + c.key +
              "' specified. Valid keys are '['name', 'version_number', 'run_id', "
              "'source_path']'");
    }
  }
  if (search.max_results > 200000)
    invalid("Invalid value for request parameter max_results. It must be at most 200000");
  std::vector<OrderKey> order;
  for (const auto& item : search.order_by) {
    OrderKey k = tracking::parse_order_by(item);
    if (k.entity != "attribute" ||
        (k.key != "name" && k.key != "version_number" && k.key != "creation_timestamp" &&
         k.key != "last_updated_timestamp"))
      invalid("Invalid order by key '" + item +
              "': use name, version_number, creation_timestamp or last_updated_timestamp");
    order.push_back(k);
  }
  order.push_back({"attribute", "name", true});
  order.push_back({"attribute", "version_number", false});
  std::vector<ModelVersion> versions;
  {
    Transaction tx(db_);
    std::vector<std::string> names;
    db_.query("SELECT name FROM registered_models", {},
              [&](const Row& r) { names.push_back(r.text(0)); });
    for (const auto& n : names)
      for (auto& v : load_versions(n)) versions.push_back(std::move(v));
  }
  for (auto& v : versions) v.aliases.clear();  // MLflow's search answers versions without them
  std::erase_if(versions, [&](const ModelVersion& v) {
    for (const auto& c : clauses) {
      if (c.entity == "tag") {
        const Tag* t = find_tag(v.tags, c.key);
        if (!t || !tracking::match_string(c, t->value)) return true;
      } else if (c.key == "version_number") {
        if (c.op == "IN") {
          if (!tracking::match_string(c, std::to_string(v.version))) return true;
        } else if (!tracking::match_number(c, static_cast<double>(v.version))) {
          return true;
        }
      } else {
        const std::string& actual = c.key == "name"     ? v.name
                                    : c.key == "run_id" ? v.run_id
                                                        : v.source;
        if (!tracking::match_string(c, actual)) return true;
      }
    }
    return false;
  });
  tracking::sort_by(versions, order, [](const ModelVersion& v, const OrderKey& k) {
    if (k.key == "name") return SortValue::of(v.name);
    int64_t n = k.key == "version_number"       ? v.version
                : k.key == "creation_timestamp" ? v.creation_time
                                                : v.last_updated_time;
    return SortValue::of(static_cast<double>(n));
  });
  Page<ModelVersion> page;
  page.items = tracking::paginate(std::move(versions), search.max_results, search.page_token,
                                  page.next_page_token);
  return page;
}

ModelVersion SqlRegistry::transition_stage(const std::string& name, const std::string& version,
                                           const std::string& stage, bool archive_existing) {
  require(stage, "stage");
  std::string target = canonical_stage(stage);
  if (archive_existing && target != "Staging" && target != "Production")
    invalid("Model version transition cannot archive existing model versions because '" + target +
            "' is not an Active stage. Valid stages are Staging, Production");
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  std::string from = load_version(name, v).current_stage;
  int64_t now = tracking::now_ms();
  Json archived = Json::array();
  if (archive_existing) {
    for (const auto& other : load_versions(name))
      if (other.current_stage == target && other.version != v) archived.push_back(other.version);
    db_.exec(
        "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? WHERE name = "
        "? AND current_stage = ? AND version <> ? AND deleted = 0",
        {now, name, target, v});
  }
  db_.exec(
      "UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE name = ? AND "
      "version = ?",
      {target, now, name, v});
  touch_model(name);
  ModelVersion out = load_version(name, v);
  Json after = {{"current_stage", target}};
  if (!archived.empty()) after["archived_versions"] = archived;
  record_version_change(db_, "transition_stage", name, v, {{"current_stage", from}}, after);
  for (const auto& other : archived)
    record_version_change(db_, "transition_stage", name, other.get<int64_t>(),
                          {{"current_stage", target}},
                          {{"current_stage", "Archived"}, {"archived_by_version", v}});
  tx.commit();
  return out;
}

std::string SqlRegistry::download_uri(const std::string& name, const std::string& version) {
  return get_version(name, version).storage_location;
}

void SqlRegistry::set_version_tag(const std::string& name, const std::string& version,
                                  const Tag& tag) {
  require(tag.key, "key");
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  Json before = internal::tag_state(tag.key, find_tag(load_version(name, v).tags, tag.key));
  db_.exec(
      "INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT "
      "(name, version, key) DO UPDATE SET value = excluded.value",
      {name, v, tag.key, tag.value});
  record_version_change(db_, "set_version_tag", name, v, before,
                        internal::tag_state(tag.key, &tag));
  tx.commit();
}

void SqlRegistry::delete_version_tag(const std::string& name, const std::string& version,
                                     const std::string& key) {
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  ModelVersion before = load_version(name, v);
  const Tag* old = find_tag(before.tags, key);
  db_.exec("DELETE FROM model_version_tags WHERE name = ? AND version = ? AND key = ?",
           {name, v, key});
  if (old)
    record_version_change(db_, "delete_version_tag", name, v, internal::tag_state(key, old),
                          nullptr);
  tx.commit();
}

}  // namespace plinth::registry
