// Tracking RPCs (spec mlflow-rest.md §4): experiments, runs, metrics, logged models.
#include "core/error.h"
#include "server/internal/routes.h"
#include "tracking/downsample.h"
#include "tracking/json_format.h"

namespace plinth::server::internal {
namespace {

using tracking::Tag;

tracking::ViewType view_type(const Args& args, const std::string& field) {
  std::string v = args.str(field);
  if (v.empty() || v == "ACTIVE_ONLY" || v == "1") return tracking::ViewType::kActiveOnly;
  if (v == "DELETED_ONLY" || v == "2") return tracking::ViewType::kDeletedOnly;
  if (v == "ALL" || v == "3") return tracking::ViewType::kAll;
  throw Error(ErrorCode::kInvalidInput, "Invalid value \"" + v + "\" for parameter '" + field +
                                            "': use ACTIVE_ONLY, DELETED_ONLY or ALL");
}

tracking::Metric metric_of(const Args& m) {
  tracking::Metric out;
  out.key = m.required_str("key");
  auto value = m.number("value");
  if (!value) missing("value");
  out.value = *value;
  auto ts = m.integer("timestamp");
  if (!ts) missing("timestamp");
  out.timestamp = *ts;
  out.step = m.integer("step").value_or(0);
  out.model_id = m.str("model_id");
  out.dataset_name = m.str("dataset_name");
  out.dataset_digest = m.str("dataset_digest");
  return out;
}

template <typename T, typename F>
void put_list(json& out, const char* key, const std::vector<T>& items, F to) {
  if (items.empty()) return;
  out[key] = json::array();
  for (const auto& item : items) out[key].push_back(to(item));
}

void put_token(json& out, const std::string& token) {
  if (!token.empty()) out["next_page_token"] = token;
}

void experiment_routes(http::Router& r, tracking::Store& store) {
  add_rpc(r, "POST", "experiments/create", [&store](const Args& a, const auto&) {
    return json{
        {"experiment_id", store.create_experiment(a.required_str("name"),
                                                  a.str("artifact_location"), a.tags("tags"))}};
  });
  add_rpc(r, "GET", "experiments/get", [&store](const Args& a, const auto&) {
    return json{{"experiment", to_json(store.get_experiment(a.required_str("experiment_id")))}};
  });
  add_rpc(r, "GET", "experiments/get-by-name", [&store](const Args& a, const auto&) {
    return json{
        {"experiment", to_json(store.get_experiment_by_name(a.required_str("experiment_name")))}};
  });
  auto search = [&store](const Args& a, const auto&) {
    tracking::ExperimentSearch s;
    s.filter = a.str("filter");
    s.view = view_type(a, "view_type");
    s.max_results = a.integer("max_results").value_or(1000);
    s.order_by = a.strings("order_by");
    s.page_token = a.str("page_token");
    auto page = store.search_experiments(s);
    json out = json::object();
    put_list(out, "experiments", page.items,
             [](const tracking::Experiment& e) { return to_json(e); });
    put_token(out, page.next_page_token);
    return out;
  };
  add_rpc(r, "POST", "experiments/search", search);
  add_rpc(r, "GET", "experiments/search", search);
  add_rpc(r, "POST", "experiments/update", [&store](const Args& a, const auto&) {
    store.rename_experiment(a.required_str("experiment_id"), a.required_str("new_name"));
    return json::object();
  });
  add_rpc(r, "POST", "experiments/delete", [&store](const Args& a, const auto&) {
    store.delete_experiment(a.required_str("experiment_id"));
    return json::object();
  });
  add_rpc(r, "POST", "experiments/restore", [&store](const Args& a, const auto&) {
    store.restore_experiment(a.required_str("experiment_id"));
    return json::object();
  });
  add_rpc(r, "POST", "experiments/set-experiment-tag", [&store](const Args& a, const auto&) {
    store.set_experiment_tag(a.required_str("experiment_id"),
                             {a.required_str("key"), a.str("value")});
    return json::object();
  });
  add_rpc(r, "POST", "experiments/delete-experiment-tag", [&store](const Args& a, const auto&) {
    store.delete_experiment_tag(a.required_str("experiment_id"), a.required_str("key"));
    return json::object();
  });
}

void run_routes(http::Router& r, tracking::Store& store) {
  add_rpc(r, "POST", "runs/create", [&store](const Args& a, const auto&) {
    tracking::NewRun spec;
    spec.experiment_id = a.str("experiment_id");
    if (spec.experiment_id.empty()) spec.experiment_id = "0";
    spec.user_id = a.str("user_id");
    spec.run_name = a.str("run_name");
    spec.start_time = a.integer("start_time");
    spec.tags = a.tags("tags");
    return json{{"run", to_json(store.create_run(spec))}};
  });
  add_rpc(r, "GET", "runs/get", [&store](const Args& a, const auto&) {
    return json{{"run", to_json(store.get_run(a.required_one_of("run_id", "run_uuid")))}};
  });
  add_rpc(r, "POST", "runs/update", [&store](const Args& a, const auto&) {
    std::optional<std::string> status, name;
    if (a.has("status")) status = a.str("status");
    if (a.has("run_name")) name = a.str("run_name");
    return json{{"run_info", to_json(store.update_run(a.required_one_of("run_id", "run_uuid"),
                                                      status, a.integer("end_time"), name))}};
  });
  add_rpc(r, "POST", "runs/delete", [&store](const Args& a, const auto&) {
    store.delete_run(a.required_str("run_id"));
    return json::object();
  });
  add_rpc(r, "POST", "runs/restore", [&store](const Args& a, const auto&) {
    store.restore_run(a.required_str("run_id"));
    return json::object();
  });
  add_rpc(r, "POST", "runs/log-metric", [&store](const Args& a, const auto&) {
    store.log_batch(a.required_one_of("run_id", "run_uuid"), {metric_of(a)}, {}, {});
    return json::object();
  });
  add_rpc(r, "POST", "runs/log-parameter", [&store](const Args& a, const auto&) {
    store.log_batch(a.required_one_of("run_id", "run_uuid"), {},
                    {{a.required_str("key"), a.str("value")}}, {});
    return json::object();
  });
  add_rpc(r, "POST", "runs/set-tag", [&store](const Args& a, const auto&) {
    store.log_batch(a.required_one_of("run_id", "run_uuid"), {}, {},
                    {{a.required_str("key"), a.str("value")}});
    return json::object();
  });
  add_rpc(r, "POST", "runs/delete-tag", [&store](const Args& a, const auto&) {
    store.delete_tag(a.required_str("run_id"), a.required_str("key"));
    return json::object();
  });
  add_rpc(r, "POST", "runs/log-batch", [&store](const Args& a, const auto&) {
    std::vector<tracking::Metric> metrics;
    auto items = a.objects("metrics");
    metrics.reserve(items.size());
    for (const json* m : items) metrics.push_back(metric_of(Args(*m)));
    store.log_batch(a.required_str("run_id"), metrics, a.tags("params"), a.tags("tags"));
    return json::object();
  });
  add_rpc(r, "POST", "runs/log-model", [&store](const Args& a, const auto&) {
    std::string run_id = a.required_str("run_id");
    json model = json::parse(a.required_str("model_json"), nullptr, false);
    for (const char* key : {"artifact_path", "flavors", "utc_time_created", "run_id"})
      if (!model.is_object() || !model.contains(key))
        throw Error(ErrorCode::kInvalidInput,
                    std::string("Model json is missing mandatory fields: ['") + key + "']");
    tracking::Run run = store.get_run(run_id);
    json history = json::array();
    for (const auto& t : run.tags)
      if (t.key == "mlflow.log-model.history") history = json::parse(t.value, nullptr, false);
    if (!history.is_array()) history = json::array();
    history.push_back(model);
    store.log_batch(run_id, {}, {}, {{"mlflow.log-model.history", history.dump()}});
    return json::object();
  });
  add_rpc(r, "POST", "runs/log-inputs", [&store](const Args& a, const auto&) {
    std::vector<tracking::DatasetInput> datasets;
    static const json kEmpty = json::object();
    for (const json* o : a.objects("datasets")) {
      Args item(*o);
      Args d(o->contains("dataset") ? (*o)["dataset"] : kEmpty);
      datasets.push_back({item.tags("tags"),
                          {d.required_str("name"), d.required_str("digest"), d.str("source_type"),
                           d.str("source"), d.str("schema"), d.str("profile")}});
    }
    std::vector<std::string> models;
    for (const json* o : a.objects("models")) models.push_back(Args(*o).required_str("model_id"));
    store.log_inputs(a.required_str("run_id"), datasets, models);
    return json::object();
  });
  add_rpc(r, "POST", "runs/outputs", [&store](const Args& a, const auto&) {
    std::vector<tracking::ModelOutput> models;
    for (const json* o : a.objects("models")) {
      Args m(*o);
      models.push_back({m.required_str("model_id"), m.integer("step").value_or(0)});
    }
    store.log_outputs(a.required_str("run_id"), models);
    return json::object();
  });
  auto search = [&store](const Args& a, const auto&) {
    tracking::RunSearch s;
    s.experiment_ids = a.strings("experiment_ids");
    s.filter = a.str("filter");
    s.view = view_type(a, "run_view_type");
    s.max_results = a.integer("max_results").value_or(1000);
    s.order_by = a.strings("order_by");
    s.page_token = a.str("page_token");
    auto page = store.search_runs(s);
    json out = json::object();
    put_list(out, "runs", page.items, [](const tracking::Run& run) { return to_json(run); });
    put_token(out, page.next_page_token);
    return out;
  };
  add_rpc(r, "POST", "runs/search", search);
  add_rpc(r, "GET", "runs/search", search);
  add_rpc(r, "GET", "metrics/get-history", [&store](const Args& a, const auto&) {
    auto page =
        store.metric_history(a.required_one_of("run_id", "run_uuid"), a.required_str("metric_key"),
                             a.integer("max_results").value_or(0), a.str("page_token"));
    json out = json::object();
    put_list(out, "metrics", page.items, [](const tracking::Metric& m) { return to_json(m); });
    put_token(out, page.next_page_token);
    return out;
  });
  add_rpc(r, "GET", "metrics/get-history-bulk-interval", [&store](const Args& a, const auto&) {
    auto run_ids = a.strings("run_ids");
    if (run_ids.empty()) missing("run_ids");
    std::string key = a.required_str("metric_key");
    auto start = a.integer("start_step"), end = a.integer("end_step");
    int64_t max_results = a.integer("max_results").value_or(2500);
    if (max_results < 1 || max_results > 2500)
      throw Error(ErrorCode::kInvalidInput, "max_results must be between 1 and 2500.");
    if (start.has_value() != end.has_value())
      throw Error(ErrorCode::kInvalidInput,
                  "If either start step or end step are specified, both must be specified.");
    json out = json::object();
    for (const auto& run_id : run_ids) {
      tracking::MetricSeries s = store.metric_series(run_id, key);
      std::vector<size_t> rows;
      for (size_t i = 0; i < s.size(); ++i)
        if (!start || (s.step[i] >= *start && s.step[i] <= *end)) rows.push_back(i);
      for (size_t k :
           tracking::evenly_spaced_indices(rows.size(), static_cast<size_t>(max_results))) {
        size_t i = rows[k];
        json j = to_json(tracking::Metric{key, s.value[i], s.timestamp[i], s.step[i], "", "", ""});
        j["run_id"] = run_id;
        out["metrics"].push_back(j);
      }
    }
    return out;
  });
}

void logged_model_routes(http::Router& r, tracking::Store& store,
                         tracking::ArtifactStore& artifacts) {
  add_rpc(r, "POST", "logged-models", [&store](const Args& a, const auto&) {
    tracking::NewLoggedModel spec;
    spec.experiment_id = a.required_str("experiment_id");
    spec.name = a.str("name");
    spec.model_type = a.str("model_type");
    spec.source_run_id = a.str("source_run_id");
    spec.params = a.tags("params");
    spec.tags = a.tags("tags");
    return json{{"model", to_json(store.create_logged_model(spec))}};
  });
  add_rpc(r, "GET", "logged-models/{id}", [&store](const Args&, const http::PathParams& p) {
    return json{{"model", to_json(store.get_logged_model(p.at("id")))}};
  });
  add_rpc(r, "PATCH", "logged-models/{id}", [&store](const Args& a, const http::PathParams& p) {
    return json{
        {"model", to_json(store.finalize_logged_model(p.at("id"), a.required_str("status")))}};
  });
  add_rpc(r, "DELETE", "logged-models/{id}", [&store](const Args&, const http::PathParams& p) {
    store.delete_logged_model(p.at("id"));
    return json::object();
  });
  add_rpc(r, "POST", "logged-models/search", [&store](const Args& a, const auto&) {
    auto page =
        store.search_logged_models(a.strings("experiment_ids"), a.str("filter"),
                                   a.integer("max_results").value_or(100), a.str("page_token"));
    json out = json::object();
    put_list(out, "models", page.items, [](const tracking::LoggedModel& m) { return to_json(m); });
    put_token(out, page.next_page_token);
    return out;
  });
  add_rpc(r, "PATCH", "logged-models/{id}/tags",
          [&store](const Args& a, const http::PathParams& p) {
            store.set_logged_model_tags(p.at("id"), a.tags("tags"));
            return json::object();
          });
  add_rpc(r, "DELETE", "logged-models/{id}/tags/{key}",
          [&store](const Args&, const http::PathParams& p) {
            store.delete_logged_model_tag(p.at("id"), p.at("key"));
            return json::object();
          });
  add_rpc(r, "POST", "logged-models/{id}/params",
          [&store](const Args& a, const http::PathParams& p) {
            store.log_logged_model_params(p.at("id"), a.tags("params"));
            return json::object();
          });
  add_rpc(r, "GET", "logged-models/{id}/artifacts/directories",
          [&store, &artifacts](const Args& a, const http::PathParams& p) {
            auto model = store.get_logged_model(p.at("id"));
            return list_artifacts(artifacts, model.artifact_uri, a.str("path"));
          });
  add_rpc(r, "GET", "artifacts/list", [&store, &artifacts](const Args& a, const auto&) {
    auto run = store.get_run(a.required_one_of("run_id", "run_uuid"));
    return list_artifacts(artifacts, run.info.artifact_uri, a.str("path"));
  });
}

}  // namespace

json list_artifacts(tracking::ArtifactStore& artifacts, const std::string& root_uri,
                    const std::string& path) {
  std::string rel = tracking::checked_artifact_path(path);
  std::string base = tracking::proxied_path(root_uri);
  json out = {{"root_uri", root_uri}};
  for (const auto& f : artifacts.list(rel.empty() ? base : base + "/" + rel)) {
    json item = {{"path", rel.empty() ? f.path : rel + "/" + f.path}, {"is_dir", f.is_dir}};
    if (!f.is_dir) item["file_size"] = f.file_size;
    out["files"].push_back(item);
  }
  return out;
}

void add_tracking_routes(http::Router& router, tracking::Store& store,
                         tracking::ArtifactStore& artifacts) {
  experiment_routes(router, store);
  run_routes(router, store);
  logged_model_routes(router, store, artifacts);
}

}  // namespace plinth::server::internal
