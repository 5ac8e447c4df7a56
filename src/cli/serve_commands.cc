// `plinth serve`: a model package or registry URI behind the model server.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/server_security.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "features/enrichment.h"
#include "http/server.h"
#include "registry/model_source.h"
#include "serving/prediction_log.h"
#include "serving/service.h"

namespace plinth::cli {
namespace {

struct ServeFlags {
  std::string model, host = "127.0.0.1", name, log_dir, feature_repo, feature_service, entity_key,
                     reference_data;
  double log_sample = 1.0;
  uint16_t port = 8000;
  size_t threads = 0, max_connections = 1024, body_limit = 1 << 20;
  double header_timeout = 10, body_timeout = 30, reload_interval = 10;
  size_t drift_window = 1000, drift_min_rows = 100, max_batch = 1, batch_wait_us = 500;
  double drift_window_seconds = 0;
  TlsFlags tls;
  TokenFlags tokens;
};

// A host name as a file-name tag: letters, digits, '-', '_' and '.' only.
std::string sanitized_tag(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return s;
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

int run_serve(const ServeFlags& f) {
  // Certificates and tokens are checked before the model loads, so a mistake shows at once.
  http::ServerOptions http;
  http.host = f.host;
  http.port = f.port;
  apply_tls_flags(f.tls, http);
  auto gate = open_token_gate(
      f.tokens, {"/health", "/ready", "/v2/health/live", "/v2/health/ready"}, {"/metrics"}, http);
  bool registry_uri = registry::is_model_uri(f.model);
  auto resolve = [f, registry_uri] {
    serving::ModelRef ref;
    if (registry_uri) {
      registry::ResolvedModel r = registry::resolve_model(f.model);
      ref = {r.folder, r.name, r.version};
    } else {
      if (!std::filesystem::exists(f.model))
        throw Error(ErrorCode::kNotFound,
                    "model '" + f.model +
                        "' is neither a package folder, an .onnx file nor a models:/ or runs:/ "
                        "URI; give the folder plinth train wrote, an ONNX model, or "
                        "models:/NAME/STAGE");
      ref.folder = f.model;
    }
    if (!f.name.empty()) ref.name = f.name;
    return ref;
  };
  serving::ServiceOptions options;
  if (!f.feature_repo.empty())
    options.features = std::make_shared<features::OnlineFeatures>(f.feature_repo);
  options.reference_data = f.reference_data;
  if (!f.feature_service.empty())
    options.feature_lookup = model::FeatureLookup{f.feature_service, f.entity_key};
  options.drift.window_rows = f.drift_window;
  options.drift.window_seconds = f.drift_window_seconds;
  options.drift.min_rows = f.drift_min_rows;
  options.max_batch = f.max_batch;
  options.batch_wait = std::chrono::microseconds(f.batch_wait_us);
  auto first = serving::load_model(resolve(), options);
  // Declared before the service, so it outlives it and writes what is buffered at the end.
  std::unique_ptr<serving::PredictionLog> log;
  serving::ScoredSink sink;
  if (!f.log_dir.empty()) {
    serving::PredictionLogOptions o;
    o.dir = f.log_dir;
    o.sample_rate = f.log_sample;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) o.file_tag = sanitized_tag(host);
    table::Schema inputs;
    for (const auto& field : first->fields) inputs.push_back({field.name, field.type});
    log = std::make_unique<serving::PredictionLog>(o, inputs, first->package.output_schema());
    sink = [&log, warned = std::make_shared<std::atomic<bool>>(false)](
               const table::Table& in, const std::vector<table::Column>& out,
               const std::string& id) {
      try {
        log->append(in, out, id);
      } catch (const Error& e) {  // a reloaded model with other outputs: keep serving
        if (!warned->exchange(true)) spdlog::warn("prediction log: {}", e.what());
      }
    };
  }
  serving::Service service(std::move(first), options, sink);
  // Only a stage or alias can move; a fixed version or a folder never changes.
  bool movable = registry_uri && f.model.find('@') != std::string::npos;
  if (registry_uri && !movable) {
    std::string selector = f.model.substr(f.model.rfind('/') + 1);
    movable = selector.find_first_not_of("0123456789") != std::string::npos;
  }
  if (movable && f.reload_interval > 0) service.watch(resolve, millis(f.reload_interval));

  // A request waiting for its batch holds its thread: batching needs a thread per request of
  // a batch.
  http.threads = f.threads ? f.threads : std::max(core::default_jobs(), f.max_batch);
  http.max_connections = f.max_connections;
  http.body_limit = f.body_limit;
  http.header_timeout = millis(f.header_timeout);
  http.body_timeout = millis(f.body_timeout);
  http.on_listening = [&](uint16_t port) {
    auto m = service.model();
    std::cout << "plinth serve: " << m->version_label() << " (" << m->predictor->engine_name()
              << ") on " << scheme(http) << "://" << f.host << ":" << port
              << (gate ? " (bearer tokens required)" : "") << std::endl;
  };
  http.on_stopping = [&] {
    service.set_stopping();
    spdlog::info("stopping: finishing requests in flight");
  };
  http::serve(http, [&](const http::ServerRequest& r) {
    if (gate)
      if (auto refused = gate->refuse(r)) return *refused;
    return service.handle(r);
  });
  return 0;
}

}  // namespace

void register_serve_commands(CLI::App& app, Invocation& invocation) {
  // A number in a range, said in words (CLI11's own range checks print the whole double range).
  auto number = [](bool (*ok)(double), std::string words, std::string shown) {
    return CLI::Validator(
        [ok, words](std::string& v) -> std::string {
          char* end = nullptr;
          double x = std::strtod(v.c_str(), &end);
          if (v.empty() || *end) return "must be a number, got '" + v + "'";
          return ok(x) ? "" : "must be " + words + ", got " + v;
        },
        shown);
  };
  CLI::Validator positive = number([](double x) { return x > 0; }, "greater than 0", "> 0");
  CLI::Validator non_negative = number([](double x) { return x >= 0; }, "0 or more", ">= 0");
  CLI::Validator share =
      number([](double x) { return x > 0 && x <= 1; }, "above 0 and at most 1", "(0, 1]");
  auto* cmd = app.add_subcommand(
      "serve", "Serve a model over HTTP: /predict, /invocations (MLflow), /v2 (KServe), /metrics");
  auto f = std::make_shared<ServeFlags>();
  cmd->add_option("model", f->model,
                  "Model package folder, MLflow model folder (xgboost, lightgbm or onnx flavor), "
                  "an .onnx file, or a registry URI: models:/NAME/STAGE, models:/NAME@ALIAS, "
                  "models:/NAME/VERSION")
      ->required();
  cmd->add_option("--host", f->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", f->port, "Port (default 8000; 0 picks a free one)");
  cmd->add_option("--threads", f->threads, "Worker threads (default: one per core)");
  cmd->add_option("--name", f->name,
                  "Name the model is served as (default: its registered name or folder name)");
  cmd->add_option("--reload-interval", f->reload_interval,
                  "Seconds between registry checks when MODEL is a stage or alias (default 10; "
                  "0 turns hot reload off)")
      ->check(non_negative);
  cmd->add_option("--max-connections", f->max_connections,
                  "Open connections beyond this are answered 503 (default 1024)")
      ->check(positive);
  cmd->add_option("--body-limit", f->body_limit,
                  "Largest request body in bytes; larger ones get 413 (default 1048576)")
      ->check(positive);
  cmd->add_option("--header-timeout", f->header_timeout,
                  "Seconds a client has to send a request header; also the keep-alive idle "
                  "timeout (default 10)")
      ->check(positive);
  cmd->add_option("--body-timeout", f->body_timeout,
                  "Seconds a client has to send a request body (default 30)")
      ->check(positive);
  cmd->add_option("--log-predictions", f->log_dir,
                  "Keep answered requests (features, prediction, time, request id) as rotating "
                  "Parquet files in this folder");
  cmd->add_option("--log-sample", f->log_sample,
                  "Share of requests logged, by a hash of the request id (default 1)")
      ->check(share);
  cmd->add_option("--feature-repo", f->feature_repo,
                  "The feature repository whose online store completes requests, for a model "
                  "that declares features: {service, entity_key}");
  auto* service = cmd->add_option(
      "--feature-service", f->feature_service,
      "For a model that declares no features (one logged with mlflow.onnx, say): complete "
      "requests from this feature service of --feature-repo");
  auto* key = cmd->add_option("--entity-key", f->entity_key,
                              "The request field --feature-service is keyed by, e.g. user_id");
  service->needs(key);
  key->needs(service);
  cmd->add_option("--reference-data", f->reference_data,
                  "Training data (.csv/.parquet) for live drift of a model that has no "
                  "profile.json (one logged with mlflow.onnx, say); profiled at load")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-batch", f->max_batch,
                  "Micro-batching: score concurrent requests together, up to N rows (default 1: "
                  "off)");
  cmd->add_option("--batch-wait-us", f->batch_wait_us,
                  "Micro-batching: how long a request waits for others to join (default 500)");
  cmd->add_option("--drift-window", f->drift_window,
                  "Live drift: the last N values of each feature (default 1000)")
      ->check(positive);
  cmd->add_option("--drift-window-seconds", f->drift_window_seconds,
                  "Live drift: only values younger than this (default 0: no age limit)");
  cmd->add_option("--drift-min-rows", f->drift_min_rows,
                  "Live drift: values a window needs before it is tested (default 100)");
  add_tls_flags(cmd, f->tls.cert, f->tls.key);
  add_token_flags(cmd, f->tokens);
  cmd->callback([&invocation, f] { invocation.run = [f] { return run_serve(*f); }; });
}

}  // namespace plinth::cli
