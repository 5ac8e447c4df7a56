#include "tracking/database.h"

#include <filesystem>

#include "core/error.h"
#include "tracking/internal/databases.h"

namespace plinth::tracking {
namespace {

// Each entry moves the schema one version up; never edit one that has shipped, add another.
// Types are spelled so both engines accept them (BIGINT, DOUBLE PRECISION, TEXT).
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE experiments (
  experiment_id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL, creation_time BIGINT NOT NULL, last_update_time BIGINT NOT NULL);
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key));
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL, run_name TEXT NOT NULL,
  user_id TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT,
  artifact_uri TEXT NOT NULL, lifecycle_stage TEXT NOT NULL);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE params (
  run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key));
CREATE TABLE tags (
  run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key));
CREATE TABLE metrics (
  run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
  is_nan BIGINT NOT NULL, ts BIGINT NOT NULL, step BIGINT NOT NULL, model_id TEXT,
  dataset_name TEXT, dataset_digest TEXT);
CREATE INDEX metrics_by_run_key ON metrics (run_id, key);
CREATE TABLE latest_metrics (
  run_id TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
  is_nan BIGINT NOT NULL, ts BIGINT NOT NULL, step BIGINT NOT NULL, PRIMARY KEY (run_id, key));
CREATE TABLE run_inputs (
  run_id TEXT NOT NULL, position BIGINT NOT NULL, model_id TEXT, name TEXT, digest TEXT,
  source_type TEXT, source TEXT, dataset_schema TEXT, profile TEXT, tags_json TEXT);
CREATE INDEX run_inputs_by_run ON run_inputs (run_id);
CREATE TABLE run_outputs (
  run_id TEXT NOT NULL, model_id TEXT NOT NULL, step BIGINT NOT NULL);
CREATE TABLE logged_models (
  model_id TEXT PRIMARY KEY, experiment_id BIGINT NOT NULL, name TEXT NOT NULL,
  artifact_uri TEXT NOT NULL, status TEXT NOT NULL, model_type TEXT, source_run_id TEXT,
  status_message TEXT, creation_time BIGINT NOT NULL, last_updated_time BIGINT NOT NULL,
  lifecycle_stage TEXT NOT NULL);
CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key));
CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model_id, key));
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY, creation_time BIGINT NOT NULL, last_updated_time BIGINT NOT NULL,
  description TEXT NOT NULL);
CREATE TABLE registered_model_tags (
  name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (name, key));
CREATE TABLE model_versions (
  name TEXT NOT NULL, version BIGINT NOT NULL, creation_time BIGINT NOT NULL,
  last_updated_time BIGINT NOT NULL, user_id TEXT NOT NULL, current_stage TEXT NOT NULL,
  description TEXT NOT NULL, source TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL,
  run_link TEXT NOT NULL, storage_location TEXT NOT NULL, model_id TEXT NOT NULL,
  deleted BIGINT NOT NULL, PRIMARY KEY (name, version));
CREATE TABLE model_version_tags (
  name TEXT NOT NULL, version BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (name, version, key));
CREATE TABLE registered_model_aliases (
  name TEXT NOT NULL, alias TEXT NOT NULL, version BIGINT NOT NULL, PRIMARY KEY (name, alias));
)sql",
    // Points logged with a logged model's id (MLflow 3 logs a run's metrics again for the model
    // it logged): shown on the model, kept apart from the run's history.
    R"sql(
CREATE TABLE logged_model_metrics (
  model_id TEXT NOT NULL, run_id TEXT NOT NULL, key TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL, is_nan BIGINT NOT NULL, ts BIGINT NOT NULL,
  step BIGINT NOT NULL, dataset_name TEXT, dataset_digest TEXT);
CREATE INDEX logged_model_metrics_by_model ON logged_model_metrics (model_id);
)sql",
    // Team servers (plinth server --auth, src/auth/): users with Argon2id password hashes,
    // bearer tokens kept as SHA-256, and MLflow's permissions per experiment and registered model.
    R"sql(
CREATE TABLE auth_users (
  id BIGINT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  is_admin BIGINT NOT NULL);
CREATE TABLE auth_tokens (
  token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL, name TEXT NOT NULL,
  creation_time BIGINT NOT NULL);
CREATE TABLE auth_permissions (
  resource_type TEXT NOT NULL, resource_id TEXT NOT NULL, user_id BIGINT NOT NULL,
  permission TEXT NOT NULL, PRIMARY KEY (resource_type, resource_id, user_id));
)sql",
    // The audit log (src/auth/audit.h): every change to the registry and to users and
    // permissions, written in the transaction of the change. before/after are JSON text.
    R"sql(
CREATE TABLE audit_log (
  id BIGINT PRIMARY KEY, change_time BIGINT NOT NULL, username TEXT NOT NULL, action TEXT NOT NULL,
  object_type TEXT NOT NULL, object TEXT NOT NULL, model_name TEXT, before_json TEXT,
  after_json TEXT);
CREATE INDEX audit_log_by_model ON audit_log (model_name, id);
CREATE INDEX audit_log_by_time ON audit_log (change_time);
)sql",
};

}  // namespace

namespace internal {

void migrate(Database& db) {
  Transaction tx(db);
  db.script("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)");
  int64_t current = query_integer(db, "SELECT MAX(version) FROM schema_version", {}, 0);
  const int64_t newest = static_cast<int64_t>(std::size(kMigrations));
  if (current > newest)
    throw Error(ErrorCode::kInvalidInput, "the tracking database has schema version " +
                                              std::to_string(current) +
                                              ", newer than this plinth understands (" +
                                              std::to_string(newest) + "); upgrade plinth");
  for (int64_t v = current; v < newest; ++v) {
    db.script(kMigrations[v]);
    db.exec("INSERT INTO schema_version (version) VALUES (?)", {v + 1});
  }
  tx.commit();
}

}  // namespace internal

int64_t query_integer(Database& db, std::string_view sql, const std::vector<SqlValue>& params,
                      int64_t fallback) {
  int64_t out = fallback;
  db.query(sql, params, [&](const Row& row) {
    if (!row.is_null(0)) out = row.integer(0);
  });
  return out;
}

std::unique_ptr<Database> open_database(const std::string& uri) {
  std::unique_ptr<Database> db;
  if (uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0) {
    db = internal::open_postgres(uri);
  } else if (uri.rfind("sqlite:///", 0) == 0) {
    std::filesystem::path path = uri.substr(10);  // "sqlite:////abs" keeps its leading '/'
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    db = internal::open_sqlite(path.string());
  } else if (uri.find("://") == std::string::npos && !uri.empty()) {
    db = internal::open_sqlite(uri);
  } else {
    throw Error(ErrorCode::kInvalidInput,
                "unsupported backend store URI '" + uri +
                    "': use sqlite:///PATH.db or postgresql://USER@HOST:PORT/DB");
  }
  internal::migrate(*db);
  return db;
}

}  // namespace plinth::tracking
