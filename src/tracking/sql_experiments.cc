// The experiments of the SQL store: each with its tags and lifecycle stage.
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "tracking/internal/sql_store.h"
#include "tracking/names.h"
#include "tracking/search.h"

namespace plinth::tracking::internal {

std::string SqlStore::create_experiment(const std::string& name,
                                        const std::string& artifact_location,
                                        const std::vector<Tag>& tags) {
  if (name.empty()) invalid("Missing value for required parameter 'name'.");
  if (name.size() > 500) invalid("Experiment name exceeds the maximum length of 500 characters");
  if (artifact_location.find_first_of("#?") != std::string::npos)
    invalid("Invalid artifact location '" + artifact_location +
            "': it must not contain a URL fragment or query");
  if (artifact_location.rfind("runs:", 0) == 0) invalid("Artifact location cannot be a runs:/ URI");
  for (const auto& t : tags) validate_key(t.key);
  Transaction tx(db_);
  if (query_integer(db_, "SELECT COUNT(*) FROM experiments WHERE name = ?", {name}, 0) > 0)
    throw Error(ErrorCode::kConflict, "Experiment(name=" + name + ") already exists.");
  int64_t id = query_integer(db_, "SELECT MAX(experiment_id) FROM experiments", {}, 0) + 1;
  std::string location = artifact_location;
  if (location.empty())
    location = artifact_root_ + "/" + std::to_string(id);
  else if (location.find(':') == std::string::npos)  // a local path, stored absolute
    location = std::filesystem::absolute(location).lexically_normal().string();
  int64_t now = now_ms();
  db_.exec(
      "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
      "creation_time, last_update_time) VALUES (?, ?, ?, 'active', ?, ?)",
      {id, name, location, now, now});
  for (const auto& t : tags)
    db_.exec("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)",
             {id, t.key, t.value});
  tx.commit();
  return std::to_string(id);
}

Experiment SqlStore::get_experiment(const std::string& experiment_id) {
  Transaction tx(db_);
  return load_experiment(experiment_id);
}

Experiment SqlStore::get_experiment_by_name(const std::string& name) {
  Transaction tx(db_);
  int64_t id =
      query_integer(db_, "SELECT experiment_id FROM experiments WHERE name = ?", {name}, -1);
  if (id < 0) not_found("Could not find experiment with name '" + name + "'");
  return load_experiment(std::to_string(id));
}

Page<Experiment> SqlStore::search_experiments(const ExperimentSearch& search) {
  auto clauses = parse_filter(search.filter);
  for (auto& c : clauses) {
    if (c.entity == "tag") {
      check_comparator(c, kStringComparators);
    } else if (c.entity == "attribute" && c.key == "name") {
      check_comparator(c, kStringComparators);
    } else if (c.entity == "attribute" &&
               (c.key == "creation_time" || c.key == "last_update_time")) {
      check_comparator(c, kNumericComparators);
    } else {
      invalid("Invalid attribute key '" + c.key +
              "' specified. Valid keys are '['name', 'creation_time', 'last_update_time']'");
    }
  }
  std::vector<OrderKey> order;
  for (const auto& item : search.order_by) {
    OrderKey k = parse_order_by(item);
    if (k.entity != "attribute" || (k.key != "name" && k.key != "experiment_id" &&
                                    k.key != "creation_time" && k.key != "last_update_time"))
      invalid("Invalid order_by entity '" + item +
              "': use name, experiment_id, creation_time or last_update_time");
    order.push_back(k);
  }
  order.push_back({"attribute", "creation_time", false});
  order.push_back({"attribute", "experiment_id", true});

  std::vector<Experiment> all;
  {
    Transaction tx(db_);
    const char* stage = stage_for(search.view);
    std::vector<SqlValue> params;
    std::string sql = "SELECT experiment_id FROM experiments";
    if (stage) {
      sql += " WHERE lifecycle_stage = ?";
      params.emplace_back(std::string(stage));
    }
    std::vector<std::string> ids;
    db_.query(sql, params, [&](const Row& r) { ids.push_back(std::to_string(r.integer(0))); });
    for (const auto& id : ids) all.push_back(load_experiment(id));
  }
  std::erase_if(all, [&](const Experiment& e) {
    for (const auto& c : clauses) {
      if (c.entity == "tag") {
        const Tag* t = find_tag(e.tags, c.key);
        if (!t || !match_string(c, t->value)) return true;
      } else if (c.key == "name") {
        if (!match_string(c, e.name)) return true;
      } else {
        double v =
            static_cast<double>(c.key == "creation_time" ? e.creation_time : e.last_update_time);
        if (!match_number(c, v)) return true;
      }
    }
    return false;
  });
  sort_by(all, order, [](const Experiment& e, const OrderKey& k) {
    if (k.key == "name") return SortValue::of(e.name);
    if (k.key == "experiment_id") return SortValue::of(std::stod(e.experiment_id));
    return SortValue::of(
        static_cast<double>(k.key == "creation_time" ? e.creation_time : e.last_update_time));
  });
  Page<Experiment> page;
  page.items =
      paginate(std::move(all), search.max_results, search.page_token, page.next_page_token);
  return page;
}

void SqlStore::rename_experiment(const std::string& experiment_id, const std::string& name) {
  if (name.empty()) invalid("Missing value for required parameter 'new_name'.");
  Transaction tx(db_);
  Experiment e = load_experiment(experiment_id);
  if (e.lifecycle_stage != "active") invalid("Cannot rename a non-active experiment.");
  if (query_integer(db_, "SELECT COUNT(*) FROM experiments WHERE name = ? AND experiment_id <> ?",
                    {name, std::stoll(experiment_id)}, 0) > 0)
    throw Error(ErrorCode::kConflict, "Experiment(name=" + name + ") already exists.");
  db_.exec("UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
           {name, now_ms(), std::stoll(experiment_id)});
  tx.commit();
}

void SqlStore::delete_experiment(const std::string& experiment_id) {
  if (experiment_id == "0")
    invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
  set_experiment_stage(experiment_id, "deleted");
}

void SqlStore::restore_experiment(const std::string& experiment_id) {
  set_experiment_stage(experiment_id, "active");
}

void SqlStore::set_experiment_tag(const std::string& experiment_id, const Tag& tag) {
  validate_key(tag.key);
  if (tag.value.size() > 5000)
    invalid("Experiment tag value exceeds the maximum length of 5000 characters");
  Transaction tx(db_);
  Experiment e = load_experiment(experiment_id);
  if (e.lifecycle_stage != "active")
    invalid("The experiment " + experiment_id + " must be in the 'active' state.");
  db_.exec(
      "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
      "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
      {std::stoll(experiment_id), tag.key, tag.value});
  tx.commit();
}

void SqlStore::delete_experiment_tag(const std::string& experiment_id, const std::string& key) {
  Transaction tx(db_);
  load_experiment(experiment_id);
  if (query_integer(db_, "SELECT COUNT(*) FROM experiment_tags WHERE experiment_id = ? AND key = ?",
                    {std::stoll(experiment_id), key}, 0) == 0)
    not_found("No tag with name: " + key + " in experiment with id " + experiment_id);
  db_.exec("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?",
           {std::stoll(experiment_id), key});
  tx.commit();
}

Experiment SqlStore::load_experiment(const std::string& experiment_id) {
  int64_t id = parse_experiment_id(experiment_id);
  Experiment e;
  bool found = false;
  db_.query(
      "SELECT name, artifact_location, lifecycle_stage, creation_time, last_update_time FROM "
      "experiments WHERE experiment_id = ?",
      {id}, [&](const Row& r) {
        found = true;
        e.experiment_id = std::to_string(id);
        e.name = r.text(0);
        e.artifact_location = r.text(1);
        e.lifecycle_stage = r.text(2);
        e.creation_time = r.integer(3);
        e.last_update_time = r.integer(4);
      });
  if (!found) not_found("No Experiment with id=" + experiment_id + " exists");
  db_.query("SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key", {id},
            [&](const Row& r) {
              e.tags.push_back({r.text(0), r.text(1)});
            });
  return e;
}

void SqlStore::set_experiment_stage(const std::string& experiment_id, const std::string& stage) {
  Transaction tx(db_);
  load_experiment(experiment_id);
  int64_t id = std::stoll(experiment_id);
  db_.exec(
      "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE "
      "experiment_id = ?",
      {stage, now_ms(), id});
  db_.exec("UPDATE runs SET lifecycle_stage = ? WHERE experiment_id = ?", {stage, id});
  tx.commit();
}

}  // namespace plinth::tracking::internal
