// The logged models (MLflow 3's LoggedModel) of the SQL store: each with its tags, params and
// the metrics logged against it.
#include <optional>
#include <string>
#include <vector>

#include "tracking/internal/sql_store.h"
#include "tracking/names.h"
#include "tracking/search.h"

namespace plinth::tracking::internal {

LoggedModel SqlStore::create_logged_model(const NewLoggedModel& spec) {
  for (const auto& t : spec.tags) validate_key(t.key);
  for (const auto& p : spec.params) validate_key(p.key);
  Transaction tx(db_);
  Experiment e = load_experiment(spec.experiment_id);
  if (!spec.source_run_id.empty()) load_run_info(spec.source_run_id);
  std::string id = "m-" + random_hex_id();
  std::string name = spec.name.empty() ? random_run_name() : spec.name;
  int64_t now = now_ms();
  db_.exec(
      "INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, "
      "model_type, source_run_id, status_message, creation_time, last_updated_time, "
      "lifecycle_stage) VALUES (?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?, '', ?, ?, 'active')",
      {id, std::stoll(e.experiment_id), name, e.artifact_location + "/models/" + id + "/artifacts",
       spec.model_type, spec.source_run_id, now, now});
  put_model_entries("logged_model_tags", id, spec.tags);
  put_model_entries("logged_model_params", id, spec.params);
  LoggedModel m = load_logged_model(id);
  tx.commit();
  return m;
}

LoggedModel SqlStore::get_logged_model(const std::string& model_id) {
  Transaction tx(db_);
  return load_logged_model(model_id);
}

LoggedModel SqlStore::finalize_logged_model(const std::string& model_id,
                                            const std::string& status) {
  if (status != "LOGGED_MODEL_READY" && status != "LOGGED_MODEL_UPLOAD_FAILED" &&
      status != "LOGGED_MODEL_PENDING")
    invalid("Invalid value \"" + status +
            "\" for parameter 'status': use LOGGED_MODEL_READY "
            "or LOGGED_MODEL_UPLOAD_FAILED");
  Transaction tx(db_);
  load_logged_model(model_id);
  db_.exec("UPDATE logged_models SET status = ?, last_updated_time = ? WHERE model_id = ?",
           {status, now_ms(), model_id});
  LoggedModel m = load_logged_model(model_id);
  tx.commit();
  return m;
}

void SqlStore::delete_logged_model(const std::string& model_id) {
  Transaction tx(db_);
  load_logged_model(model_id);
  db_.exec("UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?", {model_id});
  tx.commit();
}

Page<LoggedModel> SqlStore::search_logged_models(const std::vector<std::string>& experiment_ids,
                                                 const std::string& filter, int64_t max_results,
                                                 const std::string& page_token) {
  auto clauses = parse_filter(filter);
  for (const auto& c : clauses) {
    if (c.entity != "attribute" || (c.key != "name" && c.key != "model_id" && c.key != "status" &&
                                    c.key != "model_type" && c.key != "source_run_id"))
      invalid("Invalid filter key '" + c.key +
              "' for logged models: use name, model_id, status, model_type or source_run_id");
    check_comparator(c, kStringListComparators);
  }
  std::vector<LoggedModel> models;
  {
    Transaction tx(db_);
    std::vector<SqlValue> params;
    for (const auto& id : experiment_ids) params.emplace_back(parse_experiment_id(id));
    std::vector<std::string> ids;
    if (!params.empty())
      db_.query(
          "SELECT model_id FROM logged_models WHERE lifecycle_stage = 'active' AND "
          "experiment_id IN (" +
              placeholders(params.size()) + ") ORDER BY creation_time DESC, model_id",
          params, [&](const Row& r) { ids.push_back(r.text(0)); });
    for (const auto& id : ids) models.push_back(load_logged_model(id));
  }
  std::erase_if(models, [&](const LoggedModel& m) {
    for (const auto& c : clauses) {
      const std::string& v = c.key == "name"         ? m.name
                             : c.key == "model_id"   ? m.model_id
                             : c.key == "status"     ? m.status
                             : c.key == "model_type" ? m.model_type
                                                     : m.source_run_id;
      if (!match_string(c, v)) return true;
    }
    return false;
  });
  Page<LoggedModel> page;
  page.items = paginate(std::move(models), max_results, page_token, page.next_page_token);
  return page;
}

void SqlStore::set_logged_model_tags(const std::string& model_id, const std::vector<Tag>& tags) {
  for (const auto& t : tags) validate_key(t.key);
  Transaction tx(db_);
  load_logged_model(model_id);
  put_model_entries("logged_model_tags", model_id, tags);
  tx.commit();
}

void SqlStore::delete_logged_model_tag(const std::string& model_id, const std::string& key) {
  Transaction tx(db_);
  load_logged_model(model_id);
  db_.exec("DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?", {model_id, key});
  tx.commit();
}

void SqlStore::log_logged_model_params(const std::string& model_id,
                                       const std::vector<Tag>& params) {
  for (const auto& p : params) validate_key(p.key);
  Transaction tx(db_);
  load_logged_model(model_id);
  put_model_entries("logged_model_params", model_id, params);
  tx.commit();
}

LoggedModel SqlStore::load_logged_model(const std::string& model_id) {
  std::optional<LoggedModel> m;
  db_.query(
      "SELECT model_id, experiment_id, name, artifact_uri, status, model_type, source_run_id, "
      "status_message, creation_time, last_updated_time FROM logged_models WHERE model_id = ? "
      "AND lifecycle_stage = 'active'",
      {model_id}, [&](const Row& r) {
        m = LoggedModel{r.text(0),
                        std::to_string(r.integer(1)),
                        r.text(2),
                        r.text(3),
                        r.text(4),
                        r.text(5),
                        r.text(6),
                        r.text(7),
                        r.integer(8),
                        r.integer(9),
                        {},
                        {},
                        {}};
      });
  if (!m) not_found("Logged model with ID '" + model_id + "' not found.");
  db_.query("SELECT key, value FROM logged_model_tags WHERE model_id = ? ORDER BY key", {model_id},
            [&](const Row& r) {
              m->tags.push_back({r.text(0), r.text(1)});
            });
  db_.query("SELECT key, value FROM logged_model_params WHERE model_id = ? ORDER BY key",
            {model_id}, [&](const Row& r) {
              m->params.push_back({r.text(0), r.text(1)});
            });
  db_.query(
      "SELECT key, value, is_nan, ts, step, run_id, dataset_name, dataset_digest FROM "
      "logged_model_metrics WHERE model_id = ? ORDER BY step, ts, key",
      {model_id}, [&](const Row& r) {
        Metric metric = read_metric(r, 0);
        metric.model_id = model_id;
        metric.dataset_name = r.text(6);
        metric.dataset_digest = r.text(7);
        m->metrics.push_back({std::move(metric), r.text(5)});
      });
  return *m;
}

void SqlStore::put_model_entries(const std::string& table, const std::string& model_id,
                                 const std::vector<Tag>& entries) {
  for (const auto& t : entries)
    db_.exec("INSERT INTO " + table +
                 " (model_id, key, value) VALUES (?, ?, ?) ON CONFLICT (model_id, key) DO "
                 "UPDATE SET value = excluded.value",
             {model_id, t.key, t.value});
}

}  // namespace plinth::tracking::internal
