#include "serving/service.h"

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/random_id.h"
#include "model/profile.h"
#include "monitor/report.h"
#include "serving/openapi.h"
#include "table/table_io.h"

namespace plinth::serving {
namespace fs = std::filesystem;
using http::ServerRequest;
using http::ServerResponse;
using nlohmann::json;

namespace {

constexpr size_t kNone = std::string::npos;

// Request bytes echoed in a message (a parser's context, a bad value) may not be UTF-8: they
// are replaced, never allowed to throw.
ServerResponse json_response(int status, const json& body) {
  return {
      status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

// FastAPI's error body: {"detail": ...}.
ServerResponse detail(int status, const json& what) {
  return json_response(status, {{"detail", what}});
}

// MLflow's scoring server error body.
ServerResponse mlflow_error(int status, const std::string& message) {
  return json_response(status, {{"error_code", "BAD_REQUEST"}, {"message", message}});
}

// KServe v2 error body.
ServerResponse kserve_error(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

json cell(const table::Column& c, size_t row) {
  if (c.is_null(row)) return nullptr;
  switch (c.type) {
    case table::ColumnType::kBool:
      return c.b[row] != 0;
    case table::ColumnType::kInt64:
    case table::ColumnType::kTimestamp:
      return c.i64[row];
    case table::ColumnType::kString:
      return std::string(c.string_at(row));
    default:
      return c.f64[row];
  }
}

// The output columns of one row as an object, e.g. {"is_fraud": true, "fraud_probability": 0.92}.
json row_object(const std::vector<table::Column>& outputs, size_t row) {
  json o = json::object();
  for (const auto& c : outputs) o[c.name] = cell(c, row);
  return o;
}

std::optional<json> parse_json(const std::string& body, std::string* error) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1E999
    *error = e.what();
    if (auto p = error->find("parse error"); p != std::string::npos) *error = error->substr(p);
    return std::nullopt;
  }
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// profile.json's columns the live windows compare against: every input, then the prediction.
void attach_drift(LoadedModel& m, const ServiceOptions& options) {
  json profile;
  if (auto stored = model::read_profile(m.ref.folder)) {
    profile = std::move(*stored);
  } else if (!options.reference_data.empty()) {
    std::string source = options.reference_data.string();
    profile = model::profile_of_data(m.package, *m.predictor, table::read_table(source), source);
  } else {
    return;
  }
  std::vector<monitor::ProfiledColumn> columns;
  m.drift_of_field.assign(m.fields.size(), kNone);
  if (profile.contains("inputs") && profile["inputs"].is_object())
    for (size_t k = 0; k < m.fields.size(); ++k) {
      auto it = profile["inputs"].find(m.fields[k].name);
      if (it == profile["inputs"].end()) continue;
      m.drift_of_field[k] = columns.size();
      columns.push_back({m.fields[k].name, *it});
    }
  if (profile.contains("prediction") && profile["prediction"].contains("name")) {
    m.drift_of_prediction = columns.size();
    columns.push_back({profile["prediction"]["name"].get<std::string>(), profile["prediction"]});
  }
  m.drift = std::make_unique<monitor::LiveDrift>(std::move(columns), options.drift);
}

}  // namespace

std::shared_ptr<const LoadedModel> load_model(const ModelRef& ref, const ServiceOptions& options) {
  auto m = std::make_shared<LoadedModel>();
  m->ref = ref;
  m->package = model::read_package(ref.folder);
  if (!m->package.features) m->package.features = options.feature_lookup;
  if (m->ref.version.empty()) m->ref.version = m->package.model_uuid.substr(0, 8);
  if (m->ref.name.empty())  // a folder's name, or a model file's without its extension
    m->ref.name = fs::is_regular_file(ref.folder) ? ref.folder.stem().string()
                                                  : fs::absolute(ref.folder).filename().string();
  m->predictor = std::make_unique<model::Predictor>(m->package, model::Engine::kCompiled, 1);
  if (options.max_batch > 1)
    m->batcher = std::make_unique<Batcher>(*m->predictor, options.max_batch, options.batch_wait);
  m->fields = input_fields(m->package);
  if (const auto& lookup = m->package.features) {
    if (!options.features)
      throw Error(ErrorCode::kInvalidInput,
                  ref.folder.string() + " reads its features from feature service '" +
                      lookup->service + "' by '" + lookup->entity_key +
                      "'; give the feature repository with --feature-repo DIR");
    options.features->check(lookup->service, lookup->entity_key);
  }
  attach_drift(*m, options);
  fs::path example = ref.folder / "input_example.json";
  if (fs::exists(example)) {
    try {
      json e = json::parse(core::read_file(example));
      if (e.contains("columns") && e.contains("data") && !e["data"].empty()) {
        nlohmann::ordered_json row = nlohmann::ordered_json::object();
        for (size_t k = 0; k < e["columns"].size(); ++k)
          row[e["columns"][k].get<std::string>()] = e["data"][0][k];
        m->input_example = row;
        // Warm up: the first request must not pay for lazy initialisation, and a model that
        // cannot score its own example must not be served. The example is training data, which
        // the declared constraints need not allow, so they are not applied here.
        std::vector<InputField> typed = m->fields;
        for (auto& f : typed) f.constraint.reset();
        table::Table t = parse_invocations_json(typed, {{"dataframe_split", e}});
        m->predictor->predict(t, example.string());
      }
    } catch (const json::exception& e) {
      throw Error(ErrorCode::kCorrupted, example.string() + ": " + e.what());
    }
  }
  if (m->input_example.is_null() && m->package.flavor == "onnx") {
    // A bare ONNX model has no example rows: the docs get one made from the graph's types.
    m->input_example = nlohmann::ordered_json::object();
    for (const auto& f : m->fields)
      m->input_example[f.name] = f.type == table::ColumnType::kString  ? nlohmann::ordered_json("")
                                 : f.type == table::ColumnType::kInt64 ? nlohmann::ordered_json(0)
                                 : f.type == table::ColumnType::kBool
                                     ? nlohmann::ordered_json(false)
                                     : nlohmann::ordered_json(0.0);
  }
  m->openapi = openapi_json(*m);
  m->docs_html = docs_page(m->openapi);
  return m;
}

Service::Service(std::shared_ptr<const LoadedModel> model, ServiceOptions options, ScoredSink sink)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      started_(std::chrono::steady_clock::now()),
      request_prefix_(core::random_hex(8)) {
  swap(std::move(model));
}

Service::~Service() {
  {
    std::lock_guard lock(watch_mutex_);
    watch_stop_ = true;
  }
  watch_wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const LoadedModel> Service::model() const {
  std::lock_guard lock(model_mutex_);
  return model_;
}

void Service::swap(std::shared_ptr<const LoadedModel> model) {
  std::map<std::string, std::vector<std::string>> vocabulary;
  for (const auto& spec : model->package.preprocessing)
    if (!spec.categories.empty()) {
      auto sorted = spec.categories;
      std::sort(sorted.begin(), sorted.end());
      vocabulary[spec.column] = sorted;
    }
  metrics_.set_model(model->ref.name, model->ref.version, model->predictor->engine_name(),
                     vocabulary);
  std::lock_guard lock(model_mutex_);
  model_ = std::move(model);
}

void Service::set_stopping() { stopping_ = true; }

void Service::watch(std::function<ModelRef()> resolve, std::chrono::milliseconds interval) {
  watcher_ = std::thread(
      [this, resolve = std::move(resolve), interval] { watch_loop(resolve, interval); });
}

void Service::watch_loop(std::function<ModelRef()> resolve, std::chrono::milliseconds interval) {
  for (;;) {
    {
      std::unique_lock lock(watch_mutex_);
      if (watch_wake_.wait_for(lock, interval, [&] { return watch_stop_; })) return;
    }
    try {
      ModelRef ref = resolve();
      auto current = model();
      if (ref.name == current->ref.name && ref.version == current->ref.version) continue;
      auto next = load_model(ref, options_);
      spdlog::info("serving {} (was {})", next->version_label(), current->version_label());
      swap(std::move(next));
      metrics_.record_reload(true);
    } catch (const std::exception& e) {
      spdlog::error("model reload failed, still serving {}: {}", model()->version_label(),
                    e.what());
      metrics_.record_reload(false);
    }
  }
}

ServerResponse Service::handle(const ServerRequest& request) {
  std::string route = "other";
  ServerResponse out;
  try {
    out = dispatch(request, route);
  } catch (const Error& e) {
    bool client = e.code() == ErrorCode::kInvalidInput || e.code() == ErrorCode::kNotFound;
    out = detail(client ? 400 : 500, e.what());
  }
  metrics_.record_request(route, out.status);
  return out;
}

ServerResponse Service::dispatch(const ServerRequest& request, std::string& route) {
  const std::string& path = request.path;
  auto only = [&](const char* method, auto&& fn) -> ServerResponse {
    route = path;
    if (request.method != method) return detail(405, "Method Not Allowed");
    return fn();
  };
  if (path == "/predict") return only("POST", [&] { return predict(request); });
  if (path == "/invocations") return only("POST", [&] { return invocations(request); });
  if (path == "/health") return only("GET", [&] { return health(); });
  if (path == "/ready")
    return only("GET", [&] {
      return stopping_ ? json_response(503, {{"ready", false}, {"reason", "shutting down"}})
                       : json_response(200, {{"ready", true}});
    });
  if (path == "/metrics")
    return only("GET", [&] {
      auto m = model();
      std::string extra;
      if (m->batcher)
        extra +=
            "# HELP model_batches_total Predict calls made by micro-batching.\n"
            "# TYPE model_batches_total counter\nmodel_batches_total " +
            std::to_string(m->batcher->batches()) +
            "\n# HELP model_batched_rows_total Rows those calls scored.\n"
            "# TYPE model_batched_rows_total counter\nmodel_batched_rows_total " +
            std::to_string(m->batcher->rows()) + "\n";
      if (m->drift)
        extra +=
            monitor::LiveDrift::prometheus(m->drift->snapshot(), "model=\"" + m->ref.name + "\"");
      return ServerResponse{
          200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(extra), {}};
    });
  if (path == "/monitoring/drift") return only("GET", [&] { return live_drift(); });
  if (path == "/openapi.json")
    return only("GET", [&] {
      return ServerResponse{200, "application/json", model()->openapi, {}};
    });
  if (path == "/docs")
    return only("GET", [&] {
      return ServerResponse{200, "text/html; charset=utf-8", model()->docs_html, {}};
    });
  if (path == "/v2" || starts_with(path, "/v2/")) return kserve(request, route);
  return detail(404, "Not Found");
}

ServerResponse Service::health() const {
  auto m = model();
  double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return json_response(200, {{"status", "ok"},
                             {"model_loaded", true},
                             {"model_name", m->ref.name},
                             {"model_version", m->version_label()},
                             {"engine", m->predictor->engine_name()},
                             {"uptime_seconds", uptime}});
}

ServerResponse Service::live_drift() const {
  auto m = model();
  if (!m->drift)
    return detail(404, m->ref.folder.string() +
                           " has no profile.json, so there is no reference to compare with; "
                           "retrain with plinth train, or for an ONNX model run plinth models "
                           "import --reference-data, which write one");
  auto snapshot = m->drift->snapshot();
  json j = monitor::report_json(snapshot.report);
  json window = json::object();
  for (size_t i = 0; i < snapshot.features.size(); ++i) {
    json w = {{"rows", snapshot.window_rows[i]}};
    if (!std::isnan(snapshot.window_mean[i])) w["mean"] = snapshot.window_mean[i];
    if (!std::isnan(snapshot.reference_mean[i])) w["reference_mean"] = snapshot.reference_mean[i];
    window[snapshot.features[i]] = w;
  }
  j["window"] = window;
  j["model_version"] = m->version_label();
  return json_response(200, j);
}

Service::Scored Service::score(const LoadedModel& m, const table::Table& t,
                               const std::string& request_id) {
  auto start = std::chrono::steady_clock::now();
  Scored s;
  s.scores = m.batcher ? m.batcher->predict(t) : m.predictor->predict(t, "the request");
  s.outputs = m.predictor->outputs(s.scores);
  ScoredBatch batch;
  batch.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  batch.inputs = &t;
  batch.unknown = s.scores.unknown;
  const table::Column& label = s.outputs[0];
  size_t rows = t.num_rows();
  bool classification = m.package.task != model::Task::kRegression;
  for (size_t i = 0; i < rows && classification; ++i) {
    batch.outcomes.push_back(model::value_text(label, i));
    const double* p = s.scores.values.data() + i * s.scores.width;
    batch.confidences.push_back(s.scores.width == 1 ? p[0]
                                                    : *std::max_element(p, p + s.scores.width));
  }
  metrics_.record_batch(batch);
  if (m.drift) {
    for (size_t k = 0; k < m.fields.size(); ++k)
      if (m.drift_of_field[k] != kNone) m.drift->observe(m.drift_of_field[k], t.column(k));
    // The last output is the probability (binary) or the predicted value (regression).
    if (m.drift_of_prediction != kNone && s.scores.width == 1)
      m.drift->observe(m.drift_of_prediction, s.outputs.back());
  }
  if (sink_) sink_(t, s.outputs, request_id);
  return s;
}

namespace {
std::string request_id_of(const ServerRequest& request, const std::string& prefix,
                          std::atomic<uint64_t>& counter) {
  std::string given = request.header("x-request-id");
  if (!given.empty() && given.size() <= 128) return given;
  return prefix + "-" + std::to_string(counter.fetch_add(1));
}
}  // namespace

ServerResponse Service::predict(const ServerRequest& request) {
  std::string error;
  auto body = parse_json(request.body, &error);
  if (!body) return detail(400, "malformed JSON in the request body: " + error);
  auto m = model();
  if (const auto& lookup = m->package.features) {
    // The entity key plus request-time fields come in; the rest is read from the online store
    // and the joined row is validated, scored and logged like any request.
    std::vector<features::OnlineFeatures::Problem> problems;
    try {
      problems = options_.features->enrich(lookup->service, lookup->entity_key, *body);
    } catch (const features::StoreUnavailable& e) {
      return detail(503, std::string(e.what()) + "; retry when it is back");
    }
    if (!problems.empty()) {
      json errors = json::array();
      for (const auto& p : problems) {
        json loc = body->is_array() ? json{"body", p.row, lookup->entity_key}
                                    : json{"body", lookup->entity_key};
        errors.push_back({{"loc", loc}, {"msg", p.message}, {"type", "value_error.features"}});
      }
      return detail(422, errors);
    }
  }
  PredictInput in = parse_predict(m->fields, *body);
  if (!in.errors.empty()) {
    json errors = json::array();
    for (const auto& e : in.errors) errors.push_back(e.to_json());
    return detail(422, errors);
  }
  std::string id = request_id_of(request, request_prefix_, next_request_);
  Scored s = score(*m, in.table, id);
  // The handbook answers a yes/no question with a JSON boolean: a binary label whose classes
  // are 0 and 1 is rendered true/false here (/invocations and /v2 keep the signature's type).
  const model::ModelPackage& p = m->package;
  bool yes_no = p.task == model::Task::kBinary && p.classes.size() == 2 && p.classes[0] == "0" &&
                p.classes[1] == "1";
  auto row = [&](size_t i) {
    json o = row_object(s.outputs, i);
    if (yes_no) o[s.outputs[0].name] = model::value_text(s.outputs[0], i) == "1";
    o["model_version"] = m->version_label();
    return o;
  };
  json out;
  if (in.single) {
    out = row(0);
  } else {
    out = json::array();
    for (size_t i = 0; i < in.table.num_rows(); ++i) out.push_back(row(i));
  }
  ServerResponse r = json_response(200, out);
  r.headers.emplace_back("X-Request-ID", id);
  return r;
}

ServerResponse Service::invocations(const ServerRequest& request) {
  auto m = model();
  std::string type = request.header("content-type");
  table::Table t;
  try {
    if (starts_with(type, "text/csv")) {
      t = parse_invocations_csv(m->fields, request.body);
      std::string first;
      auto bad = model::constraint_violations(m->package, t, 0, "the CSV body", &first);
      if (!first.empty()) return mlflow_error(400, first);
    } else if (type.empty() || starts_with(type, "application/json")) {
      std::string error;
      auto body = parse_json(request.body, &error);
      if (!body) return mlflow_error(400, "malformed JSON in the request body: " + error);
      t = parse_invocations_json(m->fields, *body);
    } else {
      return mlflow_error(
          415, "content type '" + type + "' is not supported; send application/json or text/csv");
    }
  } catch (const Error& e) {
    return mlflow_error(400, e.what());
  }
  std::string id = request_id_of(request, request_prefix_, next_request_);
  Scored s = score(*m, t, id);
  json predictions = json::array();
  for (size_t i = 0; i < t.num_rows(); ++i) predictions.push_back(row_object(s.outputs, i));
  ServerResponse r = json_response(200, {{"predictions", predictions}});
  r.headers.emplace_back("X-Request-ID", id);
  return r;
}

ServerResponse Service::kserve(const ServerRequest& request, std::string& route) {
  auto m = model();
  std::vector<std::string> parts;
  for (size_t begin = 1; begin <= request.path.size();) {
    size_t end = request.path.find('/', begin);
    if (end == std::string::npos) end = request.path.size();
    parts.push_back(request.path.substr(begin, end - begin));
    begin = end + 1;
  }
  auto is = [&](std::initializer_list<const char*> want) {
    if (parts.size() != want.size()) return false;
    size_t i = 0;
    for (const char* w : want) {
      if (*w != '*' && parts[i] != w) return false;
      ++i;
    }
    return true;
  };
  bool get = request.method == "GET", post = request.method == "POST";
  if (is({"v2"}) && get) {
    route = "/v2";
    return json_response(200,
                         {{"name", "plinth"}, {"version", "0.1.0"}, {"extensions", json::array()}});
  }
  if (is({"v2", "health", "live"}) && get) {
    route = "/v2/health/live";
    return json_response(200, {{"live", true}});
  }
  if (is({"v2", "health", "ready"}) && get) {
    route = "/v2/health/ready";
    return json_response(stopping_ ? 503 : 200, {{"ready", !stopping_}});
  }
  if (parts.size() < 3 || parts[1] != "models")
    return kserve_error(404, "no such endpoint: " + request.path);
  // /v2/models/NAME[/versions/V][/ready|/infer]
  const std::string& name = parts[2];
  size_t rest = 3;
  std::string version;
  if (parts.size() >= 5 && parts[3] == "versions") {
    version = parts[4];
    rest = 5;
  }
  std::string action = parts.size() > rest ? parts[rest] : "";
  if (parts.size() > rest + 1 || (action != "" && action != "ready" && action != "infer"))
    return kserve_error(404, "no such endpoint: " + request.path);
  route = "/v2/models/{name}" + std::string(version.empty() ? "" : "/versions/{version}") +
          (action.empty() ? "" : "/" + action);
  if (name != m->ref.name)
    return kserve_error(
        404, "model '" + name + "' is not served here; this server serves '" + m->ref.name + "'");
  if (!version.empty() && version != m->ref.version)
    return kserve_error(404, "version '" + version + "' of model '" + name +
                                 "' is not served here; this server serves version " +
                                 m->ref.version);
  if (action == "ready" && get) return json_response(200, {{"name", name}, {"ready", !stopping_}});
  if (action.empty() && get) {
    json inputs = json::array(), outputs = json::array();
    for (const auto& f : m->fields)
      inputs.push_back({{"name", f.name}, {"datatype", kserve_datatype(f.type)}, {"shape", {-1}}});
    for (const auto& f : m->package.output_schema())
      outputs.push_back({{"name", f.name}, {"datatype", kserve_datatype(f.type)}, {"shape", {-1}}});
    return json_response(200, {{"name", m->ref.name},
                               {"versions", {m->ref.version}},
                               {"platform", "plinth_" + m->predictor->engine_name()},
                               {"inputs", inputs},
                               {"outputs", outputs}});
  }
  if (action == "infer" && post) {
    std::string error;
    auto body = parse_json(request.body, &error);
    if (!body) return kserve_error(400, "malformed JSON in the request body: " + error);
    table::Table t;
    try {
      t = parse_kserve(m->fields, *body);
    } catch (const Error& e) {
      return kserve_error(400, e.what());
    }
    std::string id = body->contains("id") && (*body)["id"].is_string()
                         ? (*body)["id"].get<std::string>()
                         : request_id_of(request, request_prefix_, next_request_);
    Scored s = score(*m, t, id);
    json outputs = json::array();
    for (const auto& c : s.outputs) {
      json data = json::array();
      for (size_t i = 0; i < c.size(); ++i) data.push_back(cell(c, i));
      outputs.push_back({{"name", c.name},
                         {"datatype", kserve_datatype(c.type)},
                         {"shape", {c.size()}},
                         {"data", data}});
    }
    return json_response(200, {{"model_name", m->ref.name},
                               {"model_version", m->ref.version},
                               {"id", id},
                               {"outputs", outputs}});
  }
  return kserve_error(405, "method " + request.method + " is not allowed on " + request.path);
}

}  // namespace plinth::serving
