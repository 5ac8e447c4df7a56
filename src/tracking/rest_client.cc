#include "tracking/rest_client.h"

#include "core/error.h"
#include "tracking/json_format.h"

namespace plinth::tracking {
using nlohmann::json;

namespace {

std::string query_string(const json& message) {
  std::string out;
  auto add = [&](const std::string& key, const json& v) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    out += (out.empty() ? "?" : "&") + http::url_encode(key) + "=" + http::url_encode(text);
  };
  for (const auto& [key, value] : message.items()) {
    if (value.is_array())
      for (const auto& item : value) add(key, item);
    else
      add(key, value);
  }
  return out;
}

}  // namespace

RestClient::RestClient(std::string base_url, ClientCredentials credentials)
    : base_url_(std::move(base_url)), credentials_(std::move(credentials)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

http::Response RestClient::send(const std::string& method, const std::string& path,
                                std::string_view body) {
  http::Request req;
  req.method = method;
  req.url = base_url_ + path;
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "DELETE")
    req.headers = {{"Content-Type", "application/json"}};
  if (!credentials_.authorization.empty())
    req.headers.push_back({"Authorization", credentials_.authorization});
  req.body.data = body;
  std::lock_guard lock(mutex_);
  return client_.send(req);
}

json RestClient::call(const std::string& method, const std::string& rpc, const json& message,
                      const std::string& api) {
  std::string path = "/api/2.0/" + api + "/" + rpc;
  std::string body;
  if (method == "GET")
    path += query_string(message);
  else
    body = message.dump();
  http::Response res = send(method, path, body);
  if (res.status != 200) fail(res, method + " " + path);
  if (res.body.empty()) return json::object();
  json out = json::parse(res.body, nullptr, false);
  if (out.is_discarded())
    throw Error(ErrorCode::kIo, method + " " + base_url_ + path + ": the answer is not JSON");
  return out;
}

void RestClient::fail(const http::Response& res, const std::string& what) {
  std::string at = what + " at " + base_url_;
  if (res.status == 401 && credentials_.authorization.empty())
    throw Error(ErrorCode::kPermission,
                at + ": the server requires a login (HTTP 401): set MLFLOW_TRACKING_USERNAME and "
                     "MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN");
  if (res.status == 401)
    throw Error(ErrorCode::kPermission, at + ": the server refused the credentials in " +
                                            credentials_.source +
                                            " (HTTP 401): check them, or ask an admin");
  if (res.status == 403)
    throw Error(ErrorCode::kPermission,
                at + ": permission denied (HTTP 403) for the user of " +
                    (credentials_.source.empty() ? "no credentials" : credentials_.source) +
                    ": ask the owner or an admin for a permission on it");
  if (res.status == 429)
    throw Error(ErrorCode::kPermission, at + ": too many failed logins (HTTP 429); try again in " +
                                            res.header("retry-after").value_or("a few") +
                                            " seconds");
  json err = json::parse(res.body, nullptr, false);
  std::string code = err.is_object() ? err.value("error_code", "") : "";
  std::string message = err.is_object() ? err.value("message", res.body) : res.body;
  ErrorCode ours = code == "RESOURCE_DOES_NOT_EXIST"   ? ErrorCode::kNotFound
                   : code == "RESOURCE_ALREADY_EXISTS" ? ErrorCode::kConflict
                   : res.status >= 400 && res.status < 500 && res.status != 404
                       ? ErrorCode::kInvalidInput
                   : res.status == 404 ? ErrorCode::kNotFound
                                       : ErrorCode::kIo;
  if (code.empty())
    message = what + " at " + base_url_ + ": HTTP " + std::to_string(res.status) +
              (ours == ErrorCode::kNotFound ? " (is this a plinth or MLflow server?)" : "");
  throw Error(ours, message);
}

namespace {

json tags_message(const std::vector<Tag>& tags) { return tags_json(tags); }

const char* view_name(ViewType v) {
  return v == ViewType::kActiveOnly    ? "ACTIVE_ONLY"
         : v == ViewType::kDeletedOnly ? "DELETED_ONLY"
                                       : "ALL";
}

template <typename T, typename F>
Page<T> page_of(const json& answer, const char* key, F from) {
  Page<T> page;
  if (answer.contains(key))
    for (const auto& item : answer[key]) page.items.push_back(from(item));
  page.next_page_token = answer.value("next_page_token", "");
  return page;
}

class RestStore : public Store {
 public:
  explicit RestStore(std::shared_ptr<RestClient> client) : c_(std::move(client)) {}

  std::string create_experiment(const std::string& name, const std::string& artifact_location,
                                const std::vector<Tag>& tags) override {
    json msg = {{"name", name}, {"tags", tags_message(tags)}};
    if (!artifact_location.empty()) msg["artifact_location"] = artifact_location;
    return c_->call("POST", "experiments/create", msg).at("experiment_id");
  }
  Experiment get_experiment(const std::string& id) override {
    return experiment_from_json(
        c_->call("GET", "experiments/get", {{"experiment_id", id}}).at("experiment"));
  }
  Experiment get_experiment_by_name(const std::string& name) override {
    return experiment_from_json(
        c_->call("GET", "experiments/get-by-name", {{"experiment_name", name}}).at("experiment"));
  }
  Page<Experiment> search_experiments(const ExperimentSearch& s) override {
    json msg = {{"filter", s.filter},
                {"view_type", view_name(s.view)},
                {"max_results", s.max_results},
                {"order_by", s.order_by},
                {"page_token", s.page_token}};
    return page_of<Experiment>(c_->call("POST", "experiments/search", msg), "experiments",
                               experiment_from_json);
  }
  void rename_experiment(const std::string& id, const std::string& name) override {
    c_->call("POST", "experiments/update", {{"experiment_id", id}, {"new_name", name}});
  }
  void delete_experiment(const std::string& id) override {
    c_->call("POST", "experiments/delete", {{"experiment_id", id}});
  }
  void restore_experiment(const std::string& id) override {
    c_->call("POST", "experiments/restore", {{"experiment_id", id}});
  }
  void set_experiment_tag(const std::string& id, const Tag& tag) override {
    c_->call("POST", "experiments/set-experiment-tag",
             {{"experiment_id", id}, {"key", tag.key}, {"value", tag.value}});
  }
  void delete_experiment_tag(const std::string& id, const std::string& key) override {
    c_->call("POST", "experiments/delete-experiment-tag", {{"experiment_id", id}, {"key", key}});
  }

  Run create_run(const NewRun& run) override {
    json msg = {{"experiment_id", run.experiment_id},
                {"user_id", run.user_id},
                {"tags", tags_message(run.tags)}};
    if (!run.run_name.empty()) msg["run_name"] = run.run_name;
    if (run.start_time) msg["start_time"] = *run.start_time;
    return run_from_json(c_->call("POST", "runs/create", msg).at("run"));
  }
  Run get_run(const std::string& run_id) override {
    return run_from_json(c_->call("GET", "runs/get", {{"run_id", run_id}}).at("run"));
  }
  RunInfo update_run(const std::string& run_id, const std::optional<std::string>& status,
                     std::optional<int64_t> end_time,
                     const std::optional<std::string>& run_name) override {
    json msg = {{"run_id", run_id}};
    if (status) msg["status"] = *status;
    if (end_time) msg["end_time"] = *end_time;
    if (run_name) msg["run_name"] = *run_name;
    return run_info_from_json(c_->call("POST", "runs/update", msg).at("run_info"));
  }
  void delete_run(const std::string& run_id) override {
    c_->call("POST", "runs/delete", {{"run_id", run_id}});
  }
  void restore_run(const std::string& run_id) override {
    c_->call("POST", "runs/restore", {{"run_id", run_id}});
  }
  void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                 const std::vector<Tag>& params, const std::vector<Tag>& tags) override {
    json ms = json::array();
    for (const auto& m : metrics) ms.push_back(to_json(m));
    c_->call("POST", "runs/log-batch",
             {{"run_id", run_id},
              {"metrics", ms},
              {"params", tags_message(params)},
              {"tags", tags_message(tags)}});
  }
  void delete_tag(const std::string& run_id, const std::string& key) override {
    c_->call("POST", "runs/delete-tag", {{"run_id", run_id}, {"key", key}});
  }
  void log_inputs(const std::string& run_id, const std::vector<DatasetInput>& datasets,
                  const std::vector<std::string>& model_ids) override {
    Run probe;
    probe.dataset_inputs = datasets;
    for (const auto& id : model_ids) probe.model_inputs.push_back(id);
    json inputs = to_json(probe)["inputs"];
    c_->call("POST", "runs/log-inputs",
             {{"run_id", run_id},
              {"datasets", inputs.value("dataset_inputs", json::array())},
              {"models", inputs.value("model_inputs", json::array())}});
  }
  void log_outputs(const std::string& run_id, const std::vector<ModelOutput>& models) override {
    json ms = json::array();
    for (const auto& m : models) ms.push_back({{"model_id", m.model_id}, {"step", m.step}});
    c_->call("POST", "runs/outputs", {{"run_id", run_id}, {"models", ms}});
  }
  Page<Run> search_runs(const RunSearch& s) override {
    json msg = {{"experiment_ids", s.experiment_ids},
                {"filter", s.filter},
                {"run_view_type", view_name(s.view)},
                {"max_results", s.max_results},
                {"order_by", s.order_by},
                {"page_token", s.page_token}};
    return page_of<Run>(c_->call("POST", "runs/search", msg), "runs", run_from_json);
  }
  Page<Metric> metric_history(const std::string& run_id, const std::string& key,
                              int64_t max_results, const std::string& page_token) override {
    json msg = {{"run_id", run_id}, {"metric_key", key}};
    if (max_results > 0) msg["max_results"] = max_results;
    if (!page_token.empty()) msg["page_token"] = page_token;
    return page_of<Metric>(c_->call("GET", "metrics/get-history", msg), "metrics",
                           metric_from_json);
  }

  LoggedModel create_logged_model(const NewLoggedModel& m) override {
    return logged_model_from_json(c_->call("POST", "logged-models",
                                           {{"experiment_id", m.experiment_id},
                                            {"name", m.name},
                                            {"model_type", m.model_type},
                                            {"source_run_id", m.source_run_id},
                                            {"params", tags_message(m.params)},
                                            {"tags", tags_message(m.tags)}})
                                      .at("model"));
  }
  LoggedModel get_logged_model(const std::string& id) override {
    return logged_model_from_json(
        c_->call("GET", "logged-models/" + id, json::object()).at("model"));
  }
  LoggedModel finalize_logged_model(const std::string& id, const std::string& status) override {
    return logged_model_from_json(
        c_->call("PATCH", "logged-models/" + id, {{"model_id", id}, {"status", status}})
            .at("model"));
  }
  void delete_logged_model(const std::string& id) override {
    c_->call("DELETE", "logged-models/" + id, json::object());
  }
  Page<LoggedModel> search_logged_models(const std::vector<std::string>& experiment_ids,
                                         const std::string& filter, int64_t max_results,
                                         const std::string& page_token) override {
    return page_of<LoggedModel>(c_->call("POST", "logged-models/search",
                                         {{"experiment_ids", experiment_ids},
                                          {"filter", filter},
                                          {"max_results", max_results},
                                          {"page_token", page_token}}),
                                "models", logged_model_from_json);
  }
  void set_logged_model_tags(const std::string& id, const std::vector<Tag>& tags) override {
    c_->call("PATCH", "logged-models/" + id + "/tags", {{"tags", tags_message(tags)}});
  }
  void delete_logged_model_tag(const std::string& id, const std::string& key) override {
    c_->call("DELETE", "logged-models/" + id + "/tags/" + http::url_encode(key), json::object());
  }
  void log_logged_model_params(const std::string& id, const std::vector<Tag>& params) override {
    c_->call("POST", "logged-models/" + id + "/params", {{"params", tags_message(params)}});
  }

 private:
  std::shared_ptr<RestClient> c_;
};

class ProxiedArtifacts : public ArtifactStore {
 public:
  explicit ProxiedArtifacts(std::shared_ptr<RestClient> client) : c_(std::move(client)) {}

  void put(const std::string& path, std::string_view bytes) override {
    auto res = c_->send("PUT", url(path), bytes);
    if (res.status != 200) fail(res, path);
  }
  std::optional<std::string> get(const std::string& path) override {
    auto res = c_->send("GET", url(path), "");
    if (res.status == 404) return std::nullopt;
    if (res.status != 200) fail(res, path);
    return std::move(res.body);
  }
  std::vector<FileInfo> list(const std::string& path) override {
    auto res =
        c_->send("GET", "/api/2.0/mlflow-artifacts/artifacts?path=" + http::url_encode(path), "");
    if (res.status != 200) fail(res, path);
    std::vector<FileInfo> out;
    json j = json::parse(res.body, nullptr, false);
    if (j.is_object() && j.contains("files"))
      for (const auto& f : j["files"])
        out.push_back({f.value("path", ""), f.value("is_dir", false), f.value("file_size", 0)});
    return out;
  }
  void remove(const std::string& path) override {
    auto res = c_->send("DELETE", url(path), "");
    if (res.status != 200) fail(res, path);
  }

 private:
  static std::string url(const std::string& path) {
    return "/api/2.0/mlflow-artifacts/artifacts/" + http::url_encode(path, false);
  }
  [[noreturn]] void fail(const http::Response& res, const std::string& path) {
    json err = json::parse(res.body, nullptr, false);
    throw Error(res.status == 404 ? ErrorCode::kNotFound : ErrorCode::kIo,
                "artifact " + path + " at " + c_->base_url() + ": " +
                    (err.is_object() ? err.value("message", res.body)
                                     : "HTTP " + std::to_string(res.status)));
  }
  std::shared_ptr<RestClient> c_;
};

}  // namespace

std::unique_ptr<Store> connect_store(std::shared_ptr<RestClient> client) {
  return std::make_unique<RestStore>(std::move(client));
}

std::unique_ptr<ArtifactStore> connect_artifacts(std::shared_ptr<RestClient> client) {
  return std::make_unique<ProxiedArtifacts>(std::move(client));
}

}  // namespace plinth::tracking
