#include "registry/registry.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "registry/internal/changes.h"
#include "registry/internal/sql_registry.h"
#include "tracking/search.h"

namespace plinth::registry {

namespace internal {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, message);
}

int64_t parse_version(const std::string& name, const std::string& version) {
  if (version.empty() || version.size() > 18 ||
      !std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; }))
    invalid("Parameter 'version' must be an integer, got '" + version + "' for model " + name);
  return std::stoll(version);
}

void require(const std::string& value, const std::string& field) {
  if (value.empty())
    invalid("Missing value for required parameter '" + field +
            "'. See the API docs for more information about request parameters.");
}

std::vector<ModelVersion> latest_per_stage(std::vector<ModelVersion> versions) {
  std::vector<ModelVersion> out;
  for (auto& v : versions) {
    auto same = std::find_if(out.begin(), out.end(), [&](const ModelVersion& o) {
      return o.current_stage == v.current_stage;
    });
    if (same == out.end())
      out.push_back(std::move(v));
    else
      *same = std::move(v);
  }
  return out;
}

}  // namespace internal

namespace {

using internal::invalid;
using internal::latest_per_stage;
using internal::parse_version;
using internal::record_alias_change;
using internal::record_model_change;
using internal::require;
using internal::SqlRegistry;
using tracking::OrderKey;
using tracking::Row;
using tracking::SortValue;
using tracking::Transaction;
using Json = nlohmann::json;

}  // namespace

std::string canonical_stage(const std::string& stage) {
  for (const char* s : kStages)
    if (tracking::ascii_lower(stage) == tracking::ascii_lower(s)) return s;
  invalid("Invalid Model Version stage: " + stage +
          ". Value must be one of None, Staging, Production, Archived.");
}

RegisteredModel SqlRegistry::create_model(const std::string& name, const std::vector<Tag>& tags,
                                          const std::string& description) {
  require(name, "name");
  for (const auto& t : tags) require(t.key, "tags.key");
  Transaction tx(db_);
  if (tracking::query_integer(db_, "SELECT COUNT(*) FROM registered_models WHERE name = ?", {name},
                              0) > 0)
    throw Error(ErrorCode::kConflict, "Registered Model (name=" + name + ") already exists.");
  int64_t now = tracking::now_ms();
  db_.exec(
      "INSERT INTO registered_models (name, creation_time, last_updated_time, description) "
      "VALUES (?, ?, ?, ?)",
      {name, now, now, description});
  for (const auto& t : tags)
    db_.exec("INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)",
             {name, t.key, t.value});
  RegisteredModel m = load_model(name);
  record_model_change(db_, "create_model", name, nullptr, internal::model_state(m));
  tx.commit();
  return m;
}

RegisteredModel SqlRegistry::get_model(const std::string& name) {
  require(name, "name");
  Transaction tx(db_);
  return load_model(name);
}

RegisteredModel SqlRegistry::rename_model(const std::string& name, const std::string& new_name) {
  require(name, "name");
  require(new_name, "new_name");
  Transaction tx(db_);
  load_model(name);
  if (tracking::query_integer(db_, "SELECT COUNT(*) FROM registered_models WHERE name = ?",
                              {new_name}, 0) > 0)
    throw Error(ErrorCode::kConflict, "Registered Model (name=" + new_name + ") already exists.");
  for (const char* table : {"registered_models", "registered_model_tags", "model_versions",
                            "model_version_tags", "registered_model_aliases"})
    db_.exec(std::string("UPDATE ") + table + " SET name = ? WHERE name = ?", {new_name, name});
  touch_model(new_name);
  RegisteredModel m = load_model(new_name);
  record_model_change(db_, "rename_model", new_name, {{"name", name}}, {{"name", new_name}});
  tx.commit();
  return m;
}

RegisteredModel SqlRegistry::update_model(const std::string& name, const std::string& description) {
  require(name, "name");
  Transaction tx(db_);
  std::string before = load_model(name).description;
  db_.exec("UPDATE registered_models SET description = ? WHERE name = ?", {description, name});
  touch_model(name);
  RegisteredModel m = load_model(name);
  record_model_change(db_, "update_model", name, {{"description", before}},
                      {{"description", description}});
  tx.commit();
  return m;
}

void SqlRegistry::delete_model(const std::string& name) {
  require(name, "name");
  Transaction tx(db_);
  Json before = internal::model_state(load_model(name));
  before["versions"] = Json::array();
  for (const auto& v : load_versions(name)) before["versions"].push_back(v.version);
  for (const char* table : {"registered_models", "registered_model_tags", "model_versions",
                            "model_version_tags", "registered_model_aliases"})
    db_.exec(std::string("DELETE FROM ") + table + " WHERE name = ?", {name});
  record_model_change(db_, "delete_model", name, before, nullptr);
  tx.commit();
}

Page<RegisteredModel> SqlRegistry::search_models(const SearchSpec& search) {
  auto clauses = tracking::parse_filter(search.filter);
  for (const auto& c : clauses) {
    if (!(c.entity == "tag" || (c.entity == "attribute" && c.key == "name")))
      invalid("Invalid attribute key '" + c.key + "' specified. Valid keys are '['name']'");
    tracking::check_comparator(c, tracking::kStringComparators);
  }
  if (search.max_results > 1000)
    invalid(
        "Invalid value for request parameter max_results. It must be at most 1000, but got "
        "value " +
        std::to_string(search.max_results));
  std::vector<OrderKey> order;
  for (const auto& item : search.order_by) {
    OrderKey k = tracking::parse_order_by(item);
    if (k.key == "timestamp") k.key = "last_updated_timestamp";
    if (k.entity != "attribute" || (k.key != "name" && k.key != "last_updated_timestamp"))
      invalid("Invalid order by key '" + item + "': use name or last_updated_timestamp");
    order.push_back(k);
  }
  order.push_back({"attribute", "name", true});
  std::vector<RegisteredModel> models;
  {
    Transaction tx(db_);
    std::vector<std::string> names;
    db_.query("SELECT name FROM registered_models", {},
              [&](const Row& r) { names.push_back(r.text(0)); });
    for (const auto& n : names) models.push_back(load_model(n));
  }
  std::erase_if(models, [&](const RegisteredModel& m) {
    for (const auto& c : clauses) {
      if (c.entity == "tag") {
        const Tag* t = find_tag(m.tags, c.key);
        // '!=' on a tag is an anti-join: models without the tag match (the client's prompt
        // exclusion relies on it).
        if (!t ? c.op != "!=" : !tracking::match_string(c, t->value)) return true;
      } else if (!tracking::match_string(c, m.name)) {
        return true;
      }
    }
    return false;
  });
  tracking::sort_by(models, order, [](const RegisteredModel& m, const OrderKey& k) {
    return k.key == "name" ? SortValue::of(m.name)
                           : SortValue::of(static_cast<double>(m.last_updated_time));
  });
  Page<RegisteredModel> page;
  page.items = tracking::paginate(std::move(models), search.max_results, search.page_token,
                                  page.next_page_token);
  return page;
}

void SqlRegistry::set_model_tag(const std::string& name, const Tag& tag) {
  require(tag.key, "key");
  Transaction tx(db_);
  Json before = internal::tag_state(tag.key, find_tag(load_model(name).tags, tag.key));
  db_.exec(
      "INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?) ON CONFLICT (name, "
      "key) DO UPDATE SET value = excluded.value",
      {name, tag.key, tag.value});
  record_model_change(db_, "set_model_tag", name, before, internal::tag_state(tag.key, &tag));
  tx.commit();
}

void SqlRegistry::delete_model_tag(const std::string& name, const std::string& key) {
  Transaction tx(db_);
  RegisteredModel m = load_model(name);
  const Tag* old = find_tag(m.tags, key);
  db_.exec("DELETE FROM registered_model_tags WHERE name = ? AND key = ?", {name, key});
  if (old)
    record_model_change(db_, "delete_model_tag", name, internal::tag_state(key, old), nullptr);
  tx.commit();
}

std::vector<ModelVersion> SqlRegistry::latest_versions(const std::string& name,
                                                       const std::vector<std::string>& stages) {
  std::vector<std::string> wanted;
  for (const auto& s : stages) wanted.push_back(canonical_stage(s));
  if (wanted.empty()) wanted.assign(std::begin(kStages), std::end(kStages));
  Transaction tx(db_);
  load_model(name);
  std::vector<ModelVersion> out = latest_per_stage(load_versions(name));
  std::erase_if(out, [&](const ModelVersion& v) {
    return std::find(wanted.begin(), wanted.end(), v.current_stage) == wanted.end();
  });
  return out;
}

void SqlRegistry::set_alias(const std::string& name, const std::string& alias,
                            const std::string& version) {
  require(alias, "alias");
  require(version, "version");
  if (alias.size() > 255 || !std::all_of(alias.begin(), alias.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      }))
    invalid("Invalid alias name: '" + alias +
            "'. Aliases may only contain alphanumerics, underscores and dashes (at most 255).");
  std::string l = tracking::ascii_lower(alias);
  if (l == "latest" ||
      (l.size() > 1 && l[0] == 'v' &&
       std::all_of(l.begin() + 1, l.end(), [](char c) { return c >= '0' && c <= '9'; })))
    invalid("Version alias name '" + alias + "' is reserved.");
  int64_t v = parse_version(name, version);
  Transaction tx(db_);
  load_version(name, v);
  int64_t old = tracking::query_integer(
      db_, "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
      {name, alias}, -1);
  db_.exec(
      "INSERT INTO registered_model_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT "
      "(name, alias) DO UPDATE SET version = excluded.version",
      {name, alias, v});
  record_alias_change(db_, "set_alias", name, alias,
                      {{"alias", alias}, {"version", old < 0 ? Json() : Json(old)}},
                      {{"alias", alias}, {"version", v}});
  tx.commit();
}

void SqlRegistry::delete_alias(const std::string& name, const std::string& alias) {
  require(alias, "alias");
  Transaction tx(db_);
  load_model(name);
  int64_t old = tracking::query_integer(
      db_, "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
      {name, alias}, -1);
  db_.exec("DELETE FROM registered_model_aliases WHERE name = ? AND alias = ?", {name, alias});
  if (old >= 0)
    record_alias_change(db_, "delete_alias", name, alias, {{"alias", alias}, {"version", old}},
                        nullptr);
  tx.commit();
}

ModelVersion SqlRegistry::version_by_alias(const std::string& name, const std::string& alias) {
  require(alias, "alias");
  Transaction tx(db_);
  load_model(name);
  int64_t v =
      tracking::ascii_lower(alias) == "latest"
          ? tracking::query_integer(
                db_, "SELECT MAX(version) FROM model_versions WHERE name = ? AND deleted = 0",
                {name}, -1)
          : tracking::query_integer(
                db_, "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                {name, alias}, -1);
  if (v < 0) invalid("Registered model alias " + alias + " not found.");
  return load_version(name, v);
}

RegisteredModel SqlRegistry::load_model(const std::string& name) {
  std::optional<RegisteredModel> m;
  db_.query(
      "SELECT name, creation_time, last_updated_time, description FROM registered_models WHERE "
      "name = ?",
      {name}, [&](const Row& r) {
        m = RegisteredModel{r.text(0), r.integer(1), r.integer(2), r.text(3), {}, {}, {}};
      });
  if (!m) throw Error(ErrorCode::kNotFound, "Registered Model with name=" + name + " not found");
  db_.query("SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key", {name},
            [&](const Row& r) {
              m->tags.push_back({r.text(0), r.text(1)});
            });
  db_.query("SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias",
            {name}, [&](const Row& r) { m->aliases.emplace_back(r.text(0), r.integer(1)); });
  m->latest_versions = latest_per_stage(load_versions(name));
  for (auto& v : m->latest_versions) v.aliases.clear();  // MLflow lists them on versions only
  return *m;
}

std::vector<ModelVersion> SqlRegistry::load_versions(const std::string& name) {
  std::vector<ModelVersion> out;
  db_.query(
      "SELECT name, version, creation_time, last_updated_time, user_id, current_stage, "
      "description, source, run_id, status, run_link, storage_location, model_id FROM "
      "model_versions WHERE name = ? AND deleted = 0 ORDER BY version",
      {name}, [&](const Row& r) {
        ModelVersion v;
        v.name = r.text(0);
        v.version = r.integer(1);
        v.creation_time = r.integer(2);
        v.last_updated_time = r.integer(3);
        v.user_id = r.text(4);
        v.current_stage = r.text(5);
        v.description = r.text(6);
        v.source = r.text(7);
        v.run_id = r.text(8);
        v.status = r.text(9);
        v.run_link = r.text(10);
        v.storage_location = r.text(11);
        v.model_id = r.text(12);
        out.push_back(std::move(v));
      });
  std::map<int64_t, ModelVersion*> by_version;
  for (auto& v : out) by_version[v.version] = &v;
  db_.query("SELECT version, key, value FROM model_version_tags WHERE name = ? ORDER BY key",
            {name}, [&](const Row& r) {
              if (auto it = by_version.find(r.integer(0)); it != by_version.end())
                it->second->tags.push_back({r.text(1), r.text(2)});
            });
  db_.query("SELECT version, alias FROM registered_model_aliases WHERE name = ? ORDER BY alias",
            {name}, [&](const Row& r) {
              if (auto it = by_version.find(r.integer(0)); it != by_version.end())
                it->second->aliases.push_back(r.text(1));
            });
  return out;
}

ModelVersion SqlRegistry::load_version(const std::string& name, int64_t version) {
  load_model(name);
  for (auto& v : load_versions(name))
    if (v.version == version) return v;
  throw Error(ErrorCode::kNotFound, "Model Version (name=" + name +
                                        ", version=" + std::to_string(version) + ") not found");
}

void SqlRegistry::touch_model(const std::string& name) {
  db_.exec("UPDATE registered_models SET last_updated_time = ? WHERE name = ?",
           {tracking::now_ms(), name});
}

std::unique_ptr<Registry> make_registry(tracking::Database& db, tracking::Store& store) {
  return std::make_unique<SqlRegistry>(db, store);
}

}  // namespace plinth::registry
