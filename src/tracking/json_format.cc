#include "tracking/json_format.h"

#include <cmath>
#include <string>

namespace plinth::tracking {
using nlohmann::json;

json double_json(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

// Objects are filled key by key and nested values moved into place: nlohmann's initializer
// lists build every member as a two-element array first and copy nested objects, which made
// to_json(Run) about 144,000 instructions for a run with 5 params and 5 metrics, the largest
// single cost of a runs/get request. std::map sorts the keys either way: the output is the same.
json tags_json(const std::vector<Tag>& tags) {
  json out = json::array();
  auto& items = out.get_ref<json::array_t&>();
  items.reserve(tags.size());
  for (const auto& t : tags) {
    json& o = items.emplace_back(json::value_t::object);
    o["key"] = t.key;
    o["value"] = t.value;
  }
  return out;
}

json to_json(const Experiment& e) {
  json out = {{"experiment_id", e.experiment_id},         {"name", e.name},
              {"artifact_location", e.artifact_location}, {"lifecycle_stage", e.lifecycle_stage},
              {"last_update_time", e.last_update_time},   {"creation_time", e.creation_time}};
  if (!e.tags.empty()) out["tags"] = tags_json(e.tags);
  return out;
}

json to_json(const RunInfo& info) {
  json out(json::value_t::object);
  out["run_id"] = info.run_id;
  out["run_uuid"] = info.run_id;
  out["run_name"] = info.run_name;
  out["experiment_id"] = info.experiment_id;
  out["user_id"] = info.user_id;
  out["status"] = info.status;
  out["start_time"] = info.start_time;
  out["artifact_uri"] = info.artifact_uri;
  out["lifecycle_stage"] = info.lifecycle_stage;
  if (info.end_time) out["end_time"] = *info.end_time;
  return out;
}

json to_json(const Metric& m) {
  json out(json::value_t::object);
  out["key"] = m.key;
  out["value"] = double_json(m.value);
  out["timestamp"] = m.timestamp;
  out["step"] = m.step;
  if (!m.model_id.empty()) out["model_id"] = m.model_id;
  if (!m.dataset_name.empty()) out["dataset_name"] = m.dataset_name;
  if (!m.dataset_digest.empty()) out["dataset_digest"] = m.dataset_digest;
  return out;
}

json to_json(const Run& run) {
  json data = json::object();
  if (!run.metrics.empty()) {
    auto& metrics = (data["metrics"] = json::array()).get_ref<json::array_t&>();
    metrics.reserve(run.metrics.size());
    for (const auto& m : run.metrics) metrics.push_back(to_json(m));
  }
  if (!run.params.empty()) data["params"] = tags_json(run.params);
  if (!run.tags.empty()) data["tags"] = tags_json(run.tags);
  json inputs = json::object();
  for (const auto& in : run.dataset_inputs) {
    json d = {{"name", in.dataset.name},
              {"digest", in.dataset.digest},
              {"source_type", in.dataset.source_type},
              {"source", in.dataset.source}};
    if (!in.dataset.schema.empty()) d["schema"] = in.dataset.schema;
    if (!in.dataset.profile.empty()) d["profile"] = in.dataset.profile;
    json item(json::value_t::object);
    item["dataset"] = std::move(d);
    if (!in.tags.empty()) item["tags"] = tags_json(in.tags);
    inputs["dataset_inputs"].push_back(std::move(item));
  }
  for (const auto& id : run.model_inputs) inputs["model_inputs"].push_back({{"model_id", id}});
  json outputs = json::object();
  for (const auto& o : run.model_outputs)
    outputs["model_outputs"].push_back({{"model_id", o.model_id}, {"step", o.step}});
  json out(json::value_t::object);
  out["info"] = to_json(run.info);
  out["data"] = std::move(data);
  out["inputs"] = std::move(inputs);
  out["outputs"] = std::move(outputs);
  return out;
}

json to_json(const LoggedModel& m) {
  json info = {{"model_id", m.model_id},
               {"experiment_id", m.experiment_id},
               {"name", m.name},
               {"creation_timestamp_ms", m.creation_time},
               {"last_updated_timestamp_ms", m.last_updated_time},
               {"artifact_uri", m.artifact_uri},
               {"status", m.status}};
  if (!m.model_type.empty()) info["model_type"] = m.model_type;
  if (!m.source_run_id.empty()) info["source_run_id"] = m.source_run_id;
  if (!m.status_message.empty()) info["status_message"] = m.status_message;
  if (!m.tags.empty()) info["tags"] = tags_json(m.tags);
  json data = json::object();
  if (!m.params.empty()) data["params"] = tags_json(m.params);
  for (const auto& point : m.metrics) {
    json metric = to_json(point.metric);
    metric["run_id"] = point.run_id;
    data["metrics"].push_back(metric);
  }
  return {{"info", info}, {"data", data}};
}

std::string json_string(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? "" : it->get<std::string>();
}

int64_t json_integer(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return 0;
  return it->is_string() ? std::stoll(it->get<std::string>()) : it->get<int64_t>();
}

namespace {

std::string str(const json& j, const char* key) { return json_string(j, key); }
int64_t integer(const json& j, const char* key) { return json_integer(j, key); }

const json& member(const json& j, const char* key) {
  static const json kEmpty = json::object();
  auto it = j.find(key);
  return it == j.end() ? kEmpty : *it;
}

}  // namespace

double double_from_json(const json& j) {
  if (j.is_string()) {
    std::string s = j;
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
    return std::stod(s);
  }
  return j.get<double>();
}

std::vector<Tag> tags_from_json(const json& j) {
  std::vector<Tag> out;
  if (j.is_array())
    for (const auto& t : j) out.push_back({str(t, "key"), str(t, "value")});
  return out;
}

Experiment experiment_from_json(const json& j) {
  return {str(j, "experiment_id"),          str(j, "name"),
          str(j, "artifact_location"),      str(j, "lifecycle_stage"),
          integer(j, "creation_time"),      integer(j, "last_update_time"),
          tags_from_json(member(j, "tags"))};
}

RunInfo run_info_from_json(const json& j) {
  RunInfo info{str(j, "run_id"),  str(j, "run_name"),     str(j, "experiment_id"),
               str(j, "user_id"), str(j, "status"),       integer(j, "start_time"),
               std::nullopt,      str(j, "artifact_uri"), str(j, "lifecycle_stage")};
  if (j.contains("end_time")) info.end_time = integer(j, "end_time");
  return info;
}

Metric metric_from_json(const json& j) {
  return {str(j, "key"),           double_from_json(j.at("value")),
          integer(j, "timestamp"), integer(j, "step"),
          str(j, "model_id"),      str(j, "dataset_name"),
          str(j, "dataset_digest")};
}

std::vector<Metric> metrics_from_json(const json& j) {
  std::vector<Metric> out;
  if (j.is_array())
    for (const auto& m : j) out.push_back(metric_from_json(m));
  return out;
}

std::vector<LoggedModelMetric> logged_model_metrics(const json& j) {
  std::vector<LoggedModelMetric> out;
  if (j.is_array())
    for (const auto& m : j) out.push_back({metric_from_json(m), str(m, "run_id")});
  return out;
}

Run run_from_json(const json& j) {
  Run run;
  run.info = run_info_from_json(member(j, "info"));
  const json& data = member(j, "data");
  run.metrics = metrics_from_json(member(data, "metrics"));
  run.params = tags_from_json(member(data, "params"));
  run.tags = tags_from_json(member(data, "tags"));
  const json& inputs = member(j, "inputs");
  if (inputs.contains("dataset_inputs"))
    for (const auto& in : inputs["dataset_inputs"]) {
      const json& d = member(in, "dataset");
      run.dataset_inputs.push_back({tags_from_json(member(in, "tags")),
                                    {str(d, "name"), str(d, "digest"), str(d, "source_type"),
                                     str(d, "source"), str(d, "schema"), str(d, "profile")}});
    }
  if (inputs.contains("model_inputs"))
    for (const auto& m : inputs["model_inputs"]) run.model_inputs.push_back(str(m, "model_id"));
  const json& outputs = member(j, "outputs");
  if (outputs.contains("model_outputs"))
    for (const auto& m : outputs["model_outputs"])
      run.model_outputs.push_back({str(m, "model_id"), integer(m, "step")});
  return run;
}

LoggedModel logged_model_from_json(const json& j) {
  const json& info = member(j, "info");
  return {str(info, "model_id"),
          str(info, "experiment_id"),
          str(info, "name"),
          str(info, "artifact_uri"),
          str(info, "status"),
          str(info, "model_type"),
          str(info, "source_run_id"),
          str(info, "status_message"),
          integer(info, "creation_timestamp_ms"),
          integer(info, "last_updated_timestamp_ms"),
          tags_from_json(member(info, "tags")),
          tags_from_json(member(member(j, "data"), "params")),
          logged_model_metrics(member(member(j, "data"), "metrics"))};
}

}  // namespace plinth::tracking
