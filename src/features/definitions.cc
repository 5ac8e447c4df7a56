#include "features/definitions.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"
#include "storage/files.h"

namespace plinth::features {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error invalid(std::string message) { return Error(ErrorCode::kInvalidInput, std::move(message)); }

constexpr int64_t kSecond = 1'000'000'000;

struct ValueTypeName {
  ValueType type;
  std::string_view dtype;
  std::string_view enum_name;
};
constexpr ValueTypeName kValueTypes[] = {
    {ValueType::kInt32, "Int32", "INT32"},
    {ValueType::kInt64, "Int64", "INT64"},
    {ValueType::kFloat32, "Float32", "FLOAT"},
    {ValueType::kFloat64, "Float64", "DOUBLE"},
    {ValueType::kString, "String", "STRING"},
    {ValueType::kBytes, "Bytes", "BYTES"},
    {ValueType::kBool, "Bool", "BOOL"},
    {ValueType::kUnixTimestamp, "UnixTimestamp", "UNIX_TIMESTAMP"},
};

constexpr std::string_view kAggregationNames[] = {"count", "sum",    "mean", "min",
                                                  "max",   "stddev", "last"};

template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

template <typename T>
const T& get_named(const std::vector<T>& items, std::string_view name, std::string_view kind) {
  if (const T* item = find_named(items, name)) return *item;
  std::string known;
  for (const T& item : items) known += (known.empty() ? "" : ", ") + item.name;
  throw Error(ErrorCode::kNotFound, "unknown " + std::string(kind) + " '" + std::string(name) +
                                        "' (defined: " + (known.empty() ? "none" : known) +
                                        "); check the name or run 'plinth features list'");
}

// ---- feature_store.yaml ----

std::string scalar(const YAML::Node& node, const std::string& key, const std::string& file) {
  if (!node.IsScalar()) throw invalid(file + ": '" + key + "' must be a string");
  return node.as<std::string>();
}

OnlineStoreConfig parse_online_store(const YAML::Node& node, const std::filesystem::path& repo,
                                     const std::string& file) {
  OnlineStoreConfig store;
  store.path = repo / "data" / "online.db";
  if (!node || node.IsNull()) return store;
  if (node.IsScalar()) {  // Feast allows `online_store: sqlite`
    std::string type = node.as<std::string>();
    if (type == "redis")
      store.type = OnlineStoreConfig::Type::kRedis;
    else if (type != "sqlite")
      throw invalid(file + ": online_store '" + type + "' is not supported; use sqlite or redis");
    if (store.type == OnlineStoreConfig::Type::kRedis) store.connection_string = "localhost:6379";
    return store;
  }
  if (!node.IsMap()) throw invalid(file + ": 'online_store' must be a mapping");
  std::string type = node["type"] ? scalar(node["type"], "online_store.type", file) : "sqlite";
  if (type == "redis") {
    store.type = OnlineStoreConfig::Type::kRedis;
    store.connection_string =
        node["connection_string"]
            ? scalar(node["connection_string"], "online_store.connection_string", file)
            : "localhost:6379";
    if (node["redis_type"] && node["redis_type"].as<std::string>() != "redis")
      throw invalid(
          file + ": online_store.redis_type '" + node["redis_type"].as<std::string>() +
          "' is not supported; Plinth speaks to a single Redis server (redis_type: redis)");
    if (node["key_ttl_seconds"] && !node["key_ttl_seconds"].IsNull()) {
      try {
        store.key_ttl_seconds = node["key_ttl_seconds"].as<int64_t>();
      } catch (const YAML::Exception&) {
        throw invalid(file + ": online_store.key_ttl_seconds must be a whole number of seconds");
      }
    }
  } else if (type == "sqlite") {
    if (node["path"]) {
      std::filesystem::path p = scalar(node["path"], "online_store.path", file);
      store.path = p.is_absolute() ? p : repo / p;
    }
  } else {
    throw invalid(file + ": online_store.type '" + type +
                  "' is not supported by Plinth; use sqlite (default) or redis");
  }
  return store;
}

std::filesystem::path parse_registry_path(const YAML::Node& node, const std::filesystem::path& repo,
                                          const std::string& file) {
  std::string text = "registry.json";
  if (node && node.IsScalar()) {
    text = node.as<std::string>();
  } else if (node && node.IsMap()) {
    if (node["registry_type"] && node["registry_type"].as<std::string>() != "file")
      throw invalid(
          file + ": registry.registry_type '" + node["registry_type"].as<std::string>() +
          "' is not supported; Plinth keeps the registry in a file (registry_type: file)");
    if (node["path"]) text = scalar(node["path"], "registry.path", file);
  } else if (node && !node.IsNull()) {
    throw invalid(file + ": 'registry' must be a path or a mapping with 'path'");
  }
  if (text.find("://") != std::string::npos)
    throw invalid(file + ": registry '" + text +
                  "' is remote; Plinth keeps the registry in a "
                  "local file versioned with the repository (e.g. registry: registry.json)");
  std::filesystem::path p = text;
  if (p.extension() != ".json") p.replace_extension(".json");
  return p.is_absolute() ? p : repo / p;
}

bool valid_project_name(const std::string& name) {
  if (name.empty() || name[0] == '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// ---- registry JSON ----

using nlohmann::json;

json tags_json(const std::map<std::string, std::string>& tags) {
  json out = json::object();
  for (const auto& [k, v] : tags) out[k] = v;
  return out;
}

std::map<std::string, std::string> tags_from(const json& j) {
  std::map<std::string, std::string> out;
  if (j.is_object())
    for (const auto& [k, v] : j.items()) out[k] = v.get<std::string>();
  return out;
}

json field_json(const Field& f) { return {{"name", f.name}, {"dtype", value_type_name(f.type)}}; }
Field field_from(const json& j) {
  return {j.at("name").get<std::string>(),
          parse_value_type(j.at("dtype").get<std::string>(), "registry")};
}

json entity_json(const Entity& e) {
  return {{"name", e.name},
          {"join_key", e.join_key},
          {"value_type", value_type_name(e.value_type)},
          {"description", e.description},
          {"tags", tags_json(e.tags)},
          {"owner", e.owner},
          {"defined_in", e.defined_in}};
}
Entity entity_from(const json& j) {
  Entity e;
  e.name = j.at("name");
  e.join_key = j.at("join_key");
  e.value_type = parse_value_type(j.at("value_type").get<std::string>(), "registry");
  e.description = j.value("description", "");
  e.tags = tags_from(j.value("tags", json::object()));
  e.owner = j.value("owner", "");
  e.defined_in = j.value("defined_in", "");
  return e;
}

json source_json(const Source& s) {
  json j = {{"name", s.name},
            {"kind", s.kind == Source::Kind::kFile ? "file" : "push"},
            {"description", s.description},
            {"tags", tags_json(s.tags)},
            {"defined_in", s.defined_in}};
  if (s.kind == Source::Kind::kPush) {
    j["batch_source"] = s.batch_source;
  } else {
    j["path"] = s.path;
    j["file_format"] = s.format == Source::Format::kParquet ? "parquet" : "csv";
    j["timestamp_field"] = s.timestamp_field;
    j["created_timestamp_column"] = s.created_timestamp_column;
    j["field_mapping"] = tags_json(s.field_mapping);
  }
  return j;
}
Source source_from(const json& j) {
  Source s;
  s.name = j.at("name");
  s.kind = j.at("kind") == "push" ? Source::Kind::kPush : Source::Kind::kFile;
  s.description = j.value("description", "");
  s.tags = tags_from(j.value("tags", json::object()));
  s.defined_in = j.value("defined_in", "");
  if (s.kind == Source::Kind::kPush) {
    s.batch_source = j.at("batch_source");
  } else {
    s.path = j.at("path");
    s.format = j.value("file_format", "parquet") == "csv" ? Source::Format::kCsv
                                                          : Source::Format::kParquet;
    s.timestamp_field = j.at("timestamp_field");
    s.created_timestamp_column = j.value("created_timestamp_column", "");
    s.field_mapping = tags_from(j.value("field_mapping", json::object()));
  }
  return s;
}

json view_json(const FeatureView& v) {
  json features = json::array(), keys = json::array(), aggs = json::array();
  for (const Field& f : v.features) features.push_back(field_json(f));
  for (const Field& f : v.entity_columns) keys.push_back(field_json(f));
  for (const Aggregation& a : v.aggregations)
    aggs.push_back({{"function", aggregation_function_name(a.function)},
                    {"column", a.column},
                    {"window", format_duration(a.window)},
                    {"name", a.name},
                    {"dtype", value_type_name(a.type)}});
  return {{"name", v.name},
          {"entities", v.entities},
          {"ttl", format_duration(v.ttl)},
          {"features", features},
          {"entity_columns", keys},
          {"aggregations", aggs},
          {"source", v.source},
          {"online", v.online},
          {"offline", v.offline},
          {"description", v.description},
          {"tags", tags_json(v.tags)},
          {"owner", v.owner},
          {"defined_in", v.defined_in}};
}
FeatureView view_from(const json& j) {
  FeatureView v;
  v.name = j.at("name");
  v.entities = j.at("entities").get<std::vector<std::string>>();
  v.ttl = parse_duration(j.at("ttl").get<std::string>(), "registry ttl");
  for (const json& f : j.at("features")) v.features.push_back(field_from(f));
  for (const json& f : j.at("entity_columns")) v.entity_columns.push_back(field_from(f));
  for (const json& a : j.value("aggregations", json::array())) {
    Aggregation agg;
    agg.function = parse_aggregation_function(a.at("function").get<std::string>(), "registry");
    agg.column = a.value("column", "");
    agg.window = parse_duration(a.at("window").get<std::string>(), "registry window");
    agg.name = a.at("name");
    agg.type = parse_value_type(a.at("dtype").get<std::string>(), "registry");
    v.aggregations.push_back(std::move(agg));
  }
  v.source = j.at("source");
  v.online = j.value("online", true);
  v.offline = j.value("offline", false);
  v.description = j.value("description", "");
  v.tags = tags_from(j.value("tags", json::object()));
  v.owner = j.value("owner", "");
  v.defined_in = j.value("defined_in", "");
  return v;
}

json service_json(const FeatureService& s) {
  return {{"name", s.name},
          {"features", s.features},
          {"description", s.description},
          {"tags", tags_json(s.tags)},
          {"owner", s.owner},
          {"defined_in", s.defined_in}};
}
FeatureService service_from(const json& j) {
  FeatureService s;
  s.name = j.at("name");
  s.features = j.at("features").get<std::vector<std::string>>();
  s.description = j.value("description", "");
  s.tags = tags_from(j.value("tags", json::object()));
  s.owner = j.value("owner", "");
  s.defined_in = j.value("defined_in", "");
  return s;
}

constexpr int kRegistryFormat = 1;

}  // namespace

// ---- value types and durations ----

std::string_view value_type_name(ValueType type) {
  for (const auto& v : kValueTypes)
    if (v.type == type) return v.dtype;
  return "Float64";
}

ValueType parse_value_type(std::string_view name, std::string_view where) {
  std::string l = lower(name);
  for (const auto& v : kValueTypes)
    if (l == lower(v.dtype) || l == lower(v.enum_name)) return v.type;
  if (l == "float") return ValueType::kFloat32;
  if (l == "double") return ValueType::kFloat64;
  std::string names;
  for (const auto& v : kValueTypes) names += (names.empty() ? "" : ", ") + std::string(v.dtype);
  throw invalid(std::string(where) + ": unknown type '" + std::string(name) + "'; use one of " +
                names);
}

table::ColumnType column_type(ValueType type) {
  switch (type) {
    case ValueType::kInt32:
    case ValueType::kInt64:
      return table::ColumnType::kInt64;
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      return table::ColumnType::kFloat64;
    case ValueType::kString:
    case ValueType::kBytes:
      return table::ColumnType::kString;
    case ValueType::kBool:
      return table::ColumnType::kBool;
    case ValueType::kUnixTimestamp:
      return table::ColumnType::kTimestamp;
  }
  return table::ColumnType::kFloat64;
}

int64_t parse_duration(std::string_view text, std::string_view where) {
  auto bad = [&] {
    return invalid(std::string(where) + ": '" + std::string(text) +
                   "' is not a duration; write e.g. 1h, 24h, 7d, 30m, 45s, 1h30m or a number "
                   "of seconds");
  };
  if (text.empty()) throw bad();
  bool all_digits = std::all_of(text.begin(), text.end(),
                                [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (all_digits) {
    if (text.size() > 10) throw bad();
    return std::stoll(std::string(text)) * kSecond;
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) throw bad();
    int64_t n = std::stoll(std::string(text.substr(start, i - start)));
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit(text.substr(unit_start, i - unit_start));
    int64_t scale;
    if (unit == "ms")
      scale = kSecond / 1000;
    else if (unit == "s")
      scale = kSecond;
    else if (unit == "m")
      scale = 60 * kSecond;
    else if (unit == "h")
      scale = 3600 * kSecond;
    else if (unit == "d")
      scale = 86400 * kSecond;
    else if (unit == "w")
      scale = 7 * 86400 * kSecond;
    else
      throw bad();
    total += n * scale;
  }
  return total;
}

std::string format_duration(int64_t nanos) {
  if (nanos == 0) return "0s";
  struct Unit {
    int64_t scale;
    const char* name;
  };
  constexpr Unit kUnits[] = {
      {7 * 86400 * kSecond, "w"}, {86400 * kSecond, "d"}, {3600 * kSecond, "h"},
      {60 * kSecond, "m"},        {kSecond, "s"},         {kSecond / 1000, "ms"}};
  std::string out;
  int64_t rest = nanos;
  for (const Unit& u : kUnits) {
    // Weeks only for whole weeks: 30 days reads "30d", not "4w2d".
    if (u.name[0] == 'w' && rest % u.scale != 0) continue;
    if (rest >= u.scale) {
      out += std::to_string(rest / u.scale) + u.name;
      rest %= u.scale;
    }
  }
  return out;
}

std::string_view aggregation_function_name(AggregationFunction function) {
  return kAggregationNames[static_cast<int>(function)];
}

AggregationFunction parse_aggregation_function(std::string_view name, std::string_view where) {
  std::string l = lower(name);
  for (size_t i = 0; i < std::size(kAggregationNames); ++i)
    if (l == kAggregationNames[i]) return static_cast<AggregationFunction>(i);
  if (l == "avg") return AggregationFunction::kMean;
  if (l == "std") return AggregationFunction::kStddev;
  throw invalid(std::string(where) + ": unknown aggregation '" + std::string(name) +
                "'; use count, sum, mean, min, max, stddev or last");
}

// ---- feature_store.yaml ----

FeatureStoreConfig load_config(const std::filesystem::path& repo_dir) {
  std::filesystem::path repo = std::filesystem::absolute(repo_dir).lexically_normal();
  std::filesystem::path yaml_path = repo / "feature_store.yaml";
  std::string file = yaml_path.string();
  if (!std::filesystem::exists(yaml_path))
    throw Error(
        ErrorCode::kNotFound,
        "no feature_store.yaml in '" + repo.string() +
            "'; run from the feature repository or pass --repo (see docs/feature-store.md)");
  YAML::Node root;
  try {
    root = YAML::Load(core::read_file(yaml_path));
  } catch (const YAML::Exception& e) {
    throw invalid(file + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) throw invalid(file + ": expected a mapping with at least 'project'");
  static const char* kKnown[] = {"project",
                                 "provider",
                                 "registry",
                                 "online_store",
                                 "offline_store",
                                 "batch_engine",
                                 "entity_key_serialization_version",
                                 "coerce_tz_aware",
                                 "materialization",
                                 "feature_server",
                                 "auth",
                                 "flags",
                                 "repo_path"};
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      throw invalid(file + ": unknown key '" + key + "'; see docs/feature-store.md for the keys");
  }
  FeatureStoreConfig config;
  config.repo_path = repo;
  if (!root["project"]) throw invalid(file + ": 'project' is required (e.g. project: fraud)");
  config.project = scalar(root["project"], "project", file);
  if (!valid_project_name(config.project))
    throw invalid(file + ": project '" + config.project +
                  "' must use only letters, digits and underscores and not start with '_'");
  if (root["provider"]) {
    config.provider = scalar(root["provider"], "provider", file);
    if (config.provider != "local")
      throw invalid(file + ": provider '" + config.provider +
                    "' is not supported; Plinth runs the local provider (provider: local)");
  }
  config.registry_path = parse_registry_path(root["registry"], repo, file);
  config.online_store = parse_online_store(root["online_store"], repo, file);
  if (const YAML::Node& off = root["offline_store"]; off && !off.IsNull()) {
    std::string type = off.IsScalar() ? off.as<std::string>()
                                      : (off["type"] ? off["type"].as<std::string>() : "dask");
    if (type != "file" && type != "dask")
      throw invalid(file + ": offline_store '" + type +
                    "' is not supported; Plinth reads sources from files (type: file)");
  }
  if (const YAML::Node& v = root["entity_key_serialization_version"];
      v && v.as<std::string>() != "3")
    throw invalid(file +
                  ": entity_key_serialization_version must be 3 (the only one Feast supports)");
  return config;
}

// ---- Registry lookups ----

const Entity* Registry::find_entity(std::string_view name) const {
  return find_named(entities, name);
}
const Source* Registry::find_source(std::string_view name) const {
  return find_named(sources, name);
}
const FeatureView* Registry::find_feature_view(std::string_view name) const {
  return find_named(feature_views, name);
}
const FeatureService* Registry::find_feature_service(std::string_view name) const {
  return find_named(feature_services, name);
}
const Entity& Registry::entity(std::string_view name) const {
  return get_named(entities, name, "entity");
}
const Source& Registry::source(std::string_view name) const {
  return get_named(sources, name, "data source");
}
const FeatureView& Registry::feature_view(std::string_view name) const {
  return get_named(feature_views, name, "feature view");
}
const FeatureService& Registry::feature_service(std::string_view name) const {
  return get_named(feature_services, name, "feature service");
}

const Source& Registry::batch_source(const FeatureView& view) const {
  const Source& s = source(view.source);
  return s.kind == Source::Kind::kPush ? source(s.batch_source) : s;
}

std::filesystem::path Registry::source_path(const Source& s,
                                            const std::filesystem::path& repo) const {
  std::filesystem::path p = s.path;
  return p.is_absolute() || storage::is_s3_uri(s.path) ? p : repo / p;
}

std::vector<std::string> Registry::join_keys(const FeatureView& view) const {
  std::vector<std::string> keys;
  for (const Field& f : view.entity_columns) keys.push_back(f.name);
  return keys;
}

std::vector<FeatureRef> Registry::resolve(const std::vector<std::string>& references) const {
  std::vector<FeatureRef> out;
  for (const std::string& ref : references) {
    size_t colon = ref.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size())
      throw invalid("feature reference '" + ref +
                    "' must be 'view:feature', e.g. driver_hourly_stats:conv_rate");
    std::string view_name = ref.substr(0, colon), name = ref.substr(colon + 1);
    const FeatureView& view = feature_view(view_name);
    FeatureRef r;
    r.view = &view;
    r.name = name;
    bool found = false;
    for (const Field& f : view.features)
      if (f.name == name) r.type = f.type, found = true;
    for (const Aggregation& a : view.aggregations)
      if (!found && a.name == name) r.type = a.type, r.aggregation = &a, found = true;
    if (!found) {
      std::string known;
      for (const Field& f : view.features) known += (known.empty() ? "" : ", ") + f.name;
      for (const Aggregation& a : view.aggregations) known += (known.empty() ? "" : ", ") + a.name;
      throw Error(ErrorCode::kNotFound, "unknown feature '" + name + "' in feature view '" +
                                            view_name + "' (features: " + known + ")");
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<FeatureRef> Registry::service_features(std::string_view service) const {
  return resolve(feature_service(service).features);
}

nlohmann::json Registry::to_json() const {
  json j = {{"format", kRegistryFormat}, {"project", project}};
  j["entities"] = json::array();
  for (const Entity& e : entities) j["entities"].push_back(entity_json(e));
  j["sources"] = json::array();
  for (const Source& s : sources) j["sources"].push_back(source_json(s));
  j["feature_views"] = json::array();
  for (const FeatureView& v : feature_views) j["feature_views"].push_back(view_json(v));
  j["feature_services"] = json::array();
  for (const FeatureService& s : feature_services) j["feature_services"].push_back(service_json(s));
  return j;
}

Registry Registry::from_json(const nlohmann::json& document, const std::string& file) {
  try {
    if (document.value("format", 0) != kRegistryFormat)
      throw Error(ErrorCode::kCorrupted, file + ": not a Plinth feature registry (format " +
                                             std::to_string(kRegistryFormat) +
                                             "); run 'plinth features apply' to rewrite it");
    Registry r;
    r.project = document.at("project");
    for (const json& e : document.at("entities")) r.entities.push_back(entity_from(e));
    for (const json& s : document.at("sources")) r.sources.push_back(source_from(s));
    for (const json& v : document.at("feature_views")) r.feature_views.push_back(view_from(v));
    for (const json& s : document.at("feature_services"))
      r.feature_services.push_back(service_from(s));
    return r;
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kCorrupted, file + ": damaged feature registry (" + e.what() +
                                           "); restore it from git or run 'plinth features apply'");
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCorrupted) throw;
    throw Error(ErrorCode::kCorrupted, file + ": damaged feature registry (" + e.what() + ")");
  }
}

Registry load_registry(const FeatureStoreConfig& config) {
  if (!std::filesystem::exists(config.registry_path))
    throw Error(ErrorCode::kNotFound, "no feature registry at '" + config.registry_path.string() +
                                          "'; run 'plinth features apply' in " +
                                          config.repo_path.string() + " first");
  std::string text = core::read_file(config.registry_path);
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kCorrupted, config.registry_path.string() + ": not JSON (" + e.what() +
                                           "); restore it from git or run 'plinth features apply'");
  }
  return Registry::from_json(document, config.registry_path.string());
}

void save_registry(const Registry& registry, const FeatureStoreConfig& config) {
  std::filesystem::create_directories(config.registry_path.parent_path());
  core::write_file_atomic(config.registry_path, registry.to_json().dump(2) + "\n");
}

}  // namespace plinth::features
