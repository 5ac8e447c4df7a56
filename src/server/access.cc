// Authentication and MLflow's basic-auth authorisation for `plinth server --auth`.
#include "server/internal/access.h"

#include <algorithm>
#include <map>
#include <utility>

#include "auth/audit.h"
#include "auth/secrets.h"
#include "core/error.h"
#include "server/internal/rpc.h"
#include "tracking/artifact_store.h"

namespace plinth::server::internal {
namespace {

using auth::Need;
using On = Rule::On;

// The one table: every route, by method and pattern without its /api/2.0/ (or /ajax-api/,
// 3.0) prefix, and what it needs, as MLflow's BEFORE_REQUEST_VALIDATORS has it.
const std::map<std::pair<std::string, std::string>, Rule>& rules() {
  static const std::map<std::pair<std::string, std::string>, Rule> table = {
      {{"GET", "/health"}, {On::kPublic}},
      {{"GET", "/version"}, {On::kPublic}},
      {{"GET", "mlflow/server-info"}, {On::kUser}},
      // The web UI (the browser's Basic prompt signs in).
      {{"GET", "/"}, {On::kUser}},
      {{"GET", "/index.html"}, {On::kUser}},
      {{"GET", "/assets/{*path}"}, {On::kUser}},
      {{"GET", "plinth/metrics/downsampled"}, {On::kRun, Need::kRead}},
      {{"GET", "plinth/monitoring"}, {On::kUser}},
      // Experiments
      {{"POST", "mlflow/experiments/create"}, {On::kUser}},
      {{"GET", "mlflow/experiments/get"}, {On::kExperiment, Need::kRead}},
      {{"GET", "mlflow/experiments/get-by-name"}, {On::kExperimentName, Need::kRead}},
      {{"POST", "mlflow/experiments/search"}, {On::kUser}},
      {{"GET", "mlflow/experiments/search"}, {On::kUser}},
      {{"POST", "mlflow/experiments/update"}, {On::kExperiment, Need::kUpdate}},
      {{"POST", "mlflow/experiments/delete"}, {On::kExperiment, Need::kDelete}},
      {{"POST", "mlflow/experiments/restore"}, {On::kExperiment, Need::kDelete}},
      {{"POST", "mlflow/experiments/set-experiment-tag"}, {On::kExperiment, Need::kUpdate}},
      {{"POST", "mlflow/experiments/delete-experiment-tag"}, {On::kExperiment, Need::kUpdate}},
      // Runs
      {{"POST", "mlflow/runs/create"}, {On::kExperiment, Need::kUpdate}},
      {{"GET", "mlflow/runs/get"}, {On::kRun, Need::kRead}},
      {{"POST", "mlflow/runs/update"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/delete"}, {On::kRun, Need::kDelete}},
      {{"POST", "mlflow/runs/restore"}, {On::kRun, Need::kDelete}},
      {{"POST", "mlflow/runs/log-metric"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/log-parameter"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/set-tag"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/delete-tag"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/log-batch"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/log-model"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/log-inputs"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/outputs"}, {On::kRun, Need::kUpdate}},
      {{"POST", "mlflow/runs/search"}, {On::kExperimentIds, Need::kRead}},
      {{"GET", "mlflow/runs/search"}, {On::kExperimentIds, Need::kRead}},
      {{"GET", "mlflow/metrics/get-history"}, {On::kRun, Need::kRead}},
      {{"GET", "mlflow/metrics/get-history-bulk-interval"}, {On::kRunIds, Need::kRead}},
      {{"GET", "mlflow/artifacts/list"}, {On::kRun, Need::kRead}},
      // Logged models
      {{"POST", "mlflow/logged-models"}, {On::kExperiment, Need::kUpdate}},
      {{"GET", "mlflow/logged-models/{id}"}, {On::kLoggedModel, Need::kRead}},
      {{"PATCH", "mlflow/logged-models/{id}"}, {On::kLoggedModel, Need::kUpdate}},
      {{"DELETE", "mlflow/logged-models/{id}"}, {On::kLoggedModel, Need::kDelete}},
      {{"POST", "mlflow/logged-models/search"}, {On::kExperimentIds, Need::kRead}},
      {{"PATCH", "mlflow/logged-models/{id}/tags"}, {On::kLoggedModel, Need::kUpdate}},
      {{"DELETE", "mlflow/logged-models/{id}/tags/{key}"}, {On::kLoggedModel, Need::kUpdate}},
      {{"POST", "mlflow/logged-models/{id}/params"}, {On::kLoggedModel, Need::kUpdate}},
      {{"GET", "mlflow/logged-models/{id}/artifacts/directories"}, {On::kLoggedModel, Need::kRead}},
      // Registered models and versions
      {{"POST", "mlflow/registered-models/create"}, {On::kUser}},
      {{"GET", "mlflow/registered-models/get"}, {On::kRegisteredModel, Need::kRead}},
      {{"POST", "mlflow/registered-models/rename"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"PATCH", "mlflow/registered-models/update"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"DELETE", "mlflow/registered-models/delete"}, {On::kRegisteredModel, Need::kDelete}},
      {{"GET", "mlflow/registered-models/search"}, {On::kUser}},
      {{"POST", "mlflow/registered-models/set-tag"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"DELETE", "mlflow/registered-models/delete-tag"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"POST", "mlflow/registered-models/get-latest-versions"},
       {On::kRegisteredModel, Need::kRead}},
      {{"GET", "mlflow/registered-models/get-latest-versions"},
       {On::kRegisteredModel, Need::kRead}},
      {{"POST", "mlflow/registered-models/alias"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"DELETE", "mlflow/registered-models/alias"}, {On::kRegisteredModel, Need::kDelete}},
      {{"GET", "mlflow/registered-models/alias"}, {On::kRegisteredModel, Need::kRead}},
      {{"POST", "mlflow/model-versions/create"}, {On::kModelVersionRun, Need::kUpdate}},
      {{"GET", "mlflow/model-versions/get"}, {On::kRegisteredModel, Need::kRead}},
      {{"PATCH", "mlflow/model-versions/update"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"DELETE", "mlflow/model-versions/delete"}, {On::kRegisteredModel, Need::kDelete}},
      {{"GET", "mlflow/model-versions/search"}, {On::kUser}},
      {{"POST", "mlflow/model-versions/transition-stage"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"GET", "mlflow/model-versions/get-download-uri"}, {On::kRegisteredModel, Need::kRead}},
      {{"POST", "mlflow/model-versions/set-tag"}, {On::kRegisteredModel, Need::kUpdate}},
      {{"DELETE", "mlflow/model-versions/delete-tag"}, {On::kRegisteredModel, Need::kDelete}},
      // Artifacts: the UI's downloads and the mlflow-artifacts proxy
      {{"GET", "/get-artifact"}, {On::kRun, Need::kRead}},
      {{"GET", "/model-versions/get-artifact"}, {On::kRegisteredModel, Need::kRead}},
      {{"PUT", "mlflow-artifacts/artifacts/{*path}"}, {On::kArtifactPath, Need::kUpdate}},
      {{"GET", "mlflow-artifacts/artifacts/{*path}"}, {On::kArtifactPath, Need::kRead}},
      {{"DELETE", "mlflow-artifacts/artifacts/{*path}"}, {On::kArtifactPath, Need::kDelete}},
      {{"GET", "mlflow-artifacts/artifacts"}, {On::kArtifactPath, Need::kRead}},
      {{"POST", "mlflow-artifacts/mpu/{action}/{*path}"}, {On::kArtifactPath, Need::kUpdate}},
      // Users and permissions (MLflow's auth app)
      {{"POST", "mlflow/users/create"}, {On::kAdmin}},
      {{"GET", "mlflow/users/get"}, {On::kSelfOrAdmin}},
      {{"GET", "mlflow/users/current"}, {On::kUser}},
      {{"GET", "mlflow/users/list"}, {On::kAdmin}},
      {{"PATCH", "mlflow/users/update-password"}, {On::kSelfOrAdmin}},
      {{"PATCH", "mlflow/users/update-admin"}, {On::kAdmin}},
      {{"DELETE", "mlflow/users/delete"}, {On::kAdmin}},
      {{"POST", "mlflow/users/permissions/grant"}, {On::kGrant, Need::kManage}},
      {{"POST", "mlflow/users/permissions/revoke"}, {On::kGrant, Need::kManage}},
      {{"GET", "mlflow/users/permissions/get"}, {On::kPermissionOf, Need::kManage}},
      {{"POST", "plinth/tokens/create"}, {On::kUser}},
      // MLflow 2's per-resource permission endpoints (its auth client before 3.x).
      {{"POST", "mlflow/experiments/permissions/create"}, {On::kExperiment, Need::kManage}},
      {{"GET", "mlflow/experiments/permissions/get"}, {On::kExperiment, Need::kManage}},
      {{"PATCH", "mlflow/experiments/permissions/update"}, {On::kExperiment, Need::kManage}},
      {{"DELETE", "mlflow/experiments/permissions/delete"}, {On::kExperiment, Need::kManage}},
      {{"POST", "mlflow/registered-models/permissions/create"},
       {On::kRegisteredModel, Need::kManage}},
      {{"GET", "mlflow/registered-models/permissions/get"}, {On::kRegisteredModel, Need::kManage}},
      {{"PATCH", "mlflow/registered-models/permissions/update"},
       {On::kRegisteredModel, Need::kManage}},
      {{"DELETE", "mlflow/registered-models/permissions/delete"},
       {On::kRegisteredModel, Need::kManage}},
      // The audit log: a model's history for its readers, the whole log for admins.
      {{"GET", "plinth/audit"}, {On::kAuditModel, Need::kRead}},
      // The W&B client's API (wandb_routes.cc): admins only until its runs get per-project
      // permissions (issue 20).
      {{"POST", "/graphql"}, {On::kAdmin}},
      {{"POST", "/files/{entity}/{project}/{run}/file_stream"}, {On::kAdmin}},
      {{"PUT", "/wandb/upload/{run_id}/{*path}"}, {On::kAdmin}},
      {{"GET", "/{entity}/{project}/runs/{run}"}, {On::kAdmin}},
      {{"POST", "/sdk/otel/v1/{kind}"}, {On::kAdmin}},
  };
  return table;
}

std::string route_key(const std::string& pattern) {
  for (const char* prefix : {"/api/2.0/", "/ajax-api/2.0/", "/api/3.0/", "/ajax-api/3.0/"})
    if (pattern.rfind(prefix, 0) == 0) return pattern.substr(std::string(prefix).size());
  return pattern;
}

http::ServerResponse unauthenticated() {
  return {401,
          "text/plain; charset=utf-8",
          "You are not authenticated. Send HTTP Basic credentials (MLFLOW_TRACKING_USERNAME and "
          "MLFLOW_TRACKING_PASSWORD) or a bearer token (MLFLOW_TRACKING_TOKEN).",
          {{"WWW-Authenticate", "Basic realm=\"mlflow\""}}};
}

// As MLflow's auth app answers: plain text, which its client reports with the status.
http::ServerResponse forbidden() {
  return {403, "text/plain; charset=utf-8", "Permission denied", {}};
}

std::vector<std::string> strings_of(const json& message, const std::string& name) {
  std::vector<std::string> out;
  auto it = message.find(name);
  if (it == message.end()) return out;
  auto add = [&](const json& v) {
    if (v.is_string())
      out.push_back(v.get<std::string>());
    else if (v.is_number_integer())
      out.push_back(std::to_string(v.get<int64_t>()));
    else
      throw Error(ErrorCode::kInvalidInput, "Invalid value for parameter '" + name + "'");
  };
  if (it->is_array())
    for (const auto& v : *it) add(v);
  else
    add(*it);
  return out;
}

std::string required(const json& message, const std::string& name) {
  auto values = strings_of(message, name);
  if (values.empty() || values[0].empty()) missing(name);
  return values[0];
}

// The experiment id an mlflow-artifacts path starts with ("" when it starts otherwise), after
// the same checks the artifact routes make, so encoded '..' cannot point elsewhere.
std::string artifact_experiment(const http::ServerRequest& req) {
  std::string path;
  size_t at = std::string::npos;
  for (std::string marker : {"/mlflow-artifacts/artifacts/", "/mlflow-artifacts/mpu/"}) {
    at = req.raw_path.find(marker);
    if (at == std::string::npos) continue;
    std::string raw = req.raw_path.substr(at + marker.size());
    if (marker.ends_with("mpu/")) {  // mpu/{action}/{*path}
      size_t slash = raw.find('/');
      raw = slash == std::string::npos ? "" : raw.substr(slash + 1);
    }
    tracking::checked_artifact_path(raw);
    path = tracking::checked_artifact_path(http::url_decode(raw, false));
    break;
  }
  if (at == std::string::npos) {  // the listing: GET .../artifacts?path=
    auto it = req.query.find("path");
    path = tracking::checked_artifact_path(it == req.query.end() ? "" : it->second);
  }
  std::string first = path.substr(0, path.find('/'));
  if (first.empty() || first.find_first_not_of("0123456789") != std::string::npos) return "";
  return first;
}

}  // namespace

std::optional<Rule> rule_for(const std::string& method, const std::string& pattern) {
  auto it = rules().find({method, route_key(pattern)});
  if (it == rules().end()) return std::nullopt;
  return it->second;
}

std::optional<auth::User> Access::authenticate(const std::string& authorization) const {
  auto credentials = auth::parse_authorization(authorization);
  if (!credentials) return std::nullopt;
  if (credentials->bearer) return users_.check_token(credentials->secret);
  return users_.check_password(credentials->username, credentials->secret);
}

int64_t Access::locked_for(const std::string& key) const {
  std::lock_guard lock(failures_mutex_);
  auto it = failures_.find(key);
  if (it == failures_.end()) return 0;
  auto left = it->second.until - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  return std::chrono::ceil<std::chrono::seconds>(left).count();
}

void Access::record_login(const std::string& user_key, const std::string& address_key,
                          bool ok) const {
  std::lock_guard lock(failures_mutex_);
  if (ok) {
    failures_.erase(user_key);
    return;
  }
  if (failures_.size() > 100'000) failures_.clear();  // bounded memory under a flood of names
  auto now = std::chrono::steady_clock::now();
  Failures& f = failures_[user_key];
  if (++f.count >= kFreeFailures) f.until = now + kLockout;
  if (address_key.empty()) return;
  Failures& a = failures_[address_key];
  if (now - a.last > kForgetAddress) a.count = 0;
  a.last = now;
  if (++a.count >= kFreeFailuresPerAddress) a.until = now + kLockout;
}

auth::Permission Access::effective(const auth::User& user, const std::string& type,
                                   const std::string& id) const {
  if (user.is_admin) return auth::Permission::kManage;
  return users_.permission(type, id, user.username).value_or(default_);
}

bool Access::allowed(const auth::User& user, const Rule& rule, const http::ServerRequest& req,
                     const http::PathParams& params) const {
  if (rule.on == On::kPublic || rule.on == On::kUser) return true;
  if (user.is_admin) return true;
  if (rule.on == On::kAdmin) return false;
  auto experiment_allows = [&](const std::string& id) {
    return auth::allows(effective(user, auth::kExperiment, id), rule.need);
  };
  if (rule.on == On::kArtifactPath) {  // its body is the file, not a message
    std::string id = artifact_experiment(req);
    return !id.empty() && experiment_allows(id);
  }
  json message = request_message(req);
  auto experiment = experiment_allows;
  auto run = [&](const std::string& run_id) {
    return experiment(store_.get_run(run_id).info.experiment_id);
  };
  auto model = [&](const std::string& name, Need need) {
    return auth::allows(effective(user, auth::kRegisteredModel, name), need);
  };
  switch (rule.on) {
    case On::kSelfOrAdmin:
      return required(message, "username") == user.username;
    case On::kPermissionOf:
      if (required(message, "username") == user.username) return true;
      [[fallthrough]];
    case On::kGrant: {
      std::string type = required(message, "resource_type");
      if (type != auth::kExperiment && type != auth::kRegisteredModel) return false;
      return auth::allows(effective(user, type, required(message, "resource_id")), Need::kManage);
    }
    case On::kExperiment:
      return experiment(required(message, "experiment_id"));
    case On::kExperimentName: {
      std::string name = required(message, "experiment_name");
      return experiment(store_.get_experiment_by_name(name).experiment_id);
    }
    case On::kExperimentIds:
      for (const auto& id : strings_of(message, "experiment_ids"))
        if (!experiment(id)) return false;
      return true;
    case On::kRun: {
      auto ids = strings_of(message, message.contains("run_id") ? "run_id" : "run_uuid");
      if (ids.empty() || ids[0].empty()) missing("run_id");
      return run(ids[0]);
    }
    case On::kRunIds:
      for (const auto& id : strings_of(message, "run_ids"))
        if (!run(id)) return false;
      return true;
    case On::kLoggedModel: {
      auto it = params.find("id");
      std::string id = it != params.end() ? it->second : required(message, "model_id");
      return experiment(store_.get_logged_model(id).experiment_id);
    }
    case On::kRegisteredModel:
      return model(required(message, "name"), rule.need);
    case On::kAuditModel: {
      auto names = strings_of(message, "model");
      return !names.empty() && !names[0].empty() && model(names[0], Need::kRead);
    }
    case On::kModelVersionRun: {
      if (!model(required(message, "name"), Need::kUpdate)) return false;
      auto run_ids = strings_of(message, "run_id");
      return run_ids.empty() || run_ids[0].empty() ||
             auth::allows(
                 effective(user, auth::kExperiment, store_.get_run(run_ids[0]).info.experiment_id),
                 Need::kRead);
    }
    default:
      return false;
  }
}

void Access::after(const auth::User& user, const std::string& pattern,
                   const http::ServerRequest& req, http::ServerResponse& response) const {
  if (response.status != 200) return;
  std::string key = route_key(pattern);
  auto keep = [&](const char* list, const char* field, const char* type) {
    if (user.is_admin) return;
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains(list)) return;
    json kept = json::array();
    for (const auto& item : body[list]) {
      std::string id =
          item[field].is_string() ? item[field].get<std::string>() : item[field].dump();
      if (auth::allows(effective(user, type, id), Need::kRead)) kept.push_back(item);
    }
    body[list] = kept;
    response.body = body.dump();
  };
  if (key == "mlflow/experiments/search") {
    keep("experiments", "experiment_id", auth::kExperiment);
  } else if (key == "mlflow/registered-models/search") {
    keep("registered_models", "name", auth::kRegisteredModel);
  } else if (key == "mlflow/model-versions/search") {
    keep("model_versions", "name", auth::kRegisteredModel);
  } else if (key == "mlflow/experiments/create") {
    json body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("experiment_id"))
      users_.grant(auth::kExperiment, body["experiment_id"].get<std::string>(), user.username,
                   auth::Permission::kManage);
  } else if (key == "mlflow/registered-models/create") {
    users_.grant(auth::kRegisteredModel, required(request_message(req), "name"), user.username,
                 auth::Permission::kManage);
  } else if (key == "mlflow/registered-models/rename") {
    json message = request_message(req);
    users_.rename_resource(auth::kRegisteredModel, required(message, "name"),
                           required(message, "new_name"));
  }
}

http::ServerResponse Access::handle(const http::Router& router,
                                    const http::ServerRequest& req) const {
  auto match = router.resolve(req);
  std::optional<Rule> rule;
  if (match) rule = rule_for(req.method, match->pattern);
  if (rule && rule->on == On::kPublic) return router.dispatch(req);
  std::optional<auth::User> user;
  std::string header = req.header("authorization");
  auto credentials = auth::parse_authorization(header);
  if (!credentials) return unauthenticated();
  // Failed password logins are counted per name and per client address, and slowed after a
  // few. Bearer tokens are not: 256 random bits cannot be guessed, and one shared counter would
  // let anyone lock CI out.
  bool password = !credentials->bearer;
  std::string user_key = "user " + credentials->username;
  std::string address_key = req.peer_address.empty() ? "" : "address " + req.peer_address;
  int64_t wait = 0;
  if (password)
    wait = std::max(locked_for(user_key), address_key.empty() ? 0 : locked_for(address_key));
  if (wait > 0)
    return {429,
            "text/plain; charset=utf-8",
            "Too many failed logins; try again in " + std::to_string(wait) + " seconds.",
            {{"Retry-After", std::to_string(wait)}}};
  try {
    user = authenticate(header);
  } catch (...) {
    return error_response();
  }
  if (password) record_login(user_key, address_key, user.has_value());
  if (!user) return unauthenticated();
  if (!match) return router.dispatch(req);  // 404 or 405
  if (!rule) return forbidden();            // a route without a rule is closed
  // Changes this request makes are recorded in the audit log for this user.
  auth::ActingUser actor(user->username);
  try {
    if (!allowed(*user, *rule, req, match->params)) return forbidden();
    http::ServerResponse response = router.dispatch(req);
    after(*user, match->pattern, req, response);
    return response;
  } catch (...) {
    return error_response();
  }
}

}  // namespace plinth::server::internal
