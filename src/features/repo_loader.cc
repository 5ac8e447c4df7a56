#include "features/repo_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "storage/files.h"
#include "table/table_io.h"

namespace plinth::features {
namespace {

Error invalid(const Location& where, const std::string& message) {
  return Error(ErrorCode::kInvalidInput, where + ": " + message);
}

// One YAML document with its location, and checked access to its keys.
class Doc {
 public:
  Doc(YAML::Node node, std::string file) : node_(std::move(node)), file_(std::move(file)) {}

  Location where(const YAML::Node& n) const {
    return file_ + ":" + std::to_string(n.Mark().line + 1);
  }
  Location where() const { return where(node_); }
  std::string kind() const { return node_["kind"].as<std::string>(); }
  std::string name() const {
    if (!node_["name"] || !node_["name"].IsScalar() || node_["name"].as<std::string>().empty())
      throw invalid(where(), kind() + " needs a 'name'");
    return node_["name"].as<std::string>();
  }

  void allow_only(std::initializer_list<const char*> keys) const {
    for (const auto& kv : node_) {
      std::string key = kv.first.as<std::string>();
      if (key == "kind") continue;
      if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return key == k; }) ==
          keys.end()) {
        std::string known;
        for (const char* k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
        throw invalid(where(kv.first), kind() + " '" + name() + "' has unknown key '" + key +
                                           "' (keys: " + known + ")");
      }
    }
  }

  std::string string(const char* key, const std::string& fallback = "") const {
    YAML::Node n = node_[key];
    if (!n || n.IsNull()) return fallback;
    if (!n.IsScalar()) throw invalid(where(n), std::string("'") + key + "' must be a string");
    return n.as<std::string>();
  }
  std::string required(const char* key) const {
    std::string s = string(key);
    if (s.empty()) throw invalid(where(), kind() + " '" + name() + "' needs '" + key + "'");
    return s;
  }
  bool boolean(const char* key, bool fallback) const {
    YAML::Node n = node_[key];
    if (!n || n.IsNull()) return fallback;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      throw invalid(where(n), std::string("'") + key + "' must be true or false");
    }
  }
  std::vector<std::string> strings(const char* key) const {
    YAML::Node n = node_[key];
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) throw invalid(where(n), std::string("'") + key + "' must be a list");
    for (const auto& item : n) {
      if (!item.IsScalar()) throw invalid(where(item), std::string("'") + key + "' holds names");
      out.push_back(item.as<std::string>());
    }
    return out;
  }
  std::map<std::string, std::string> map(const char* key) const {
    YAML::Node n = node_[key];
    std::map<std::string, std::string> out;
    if (!n || n.IsNull()) return out;
    if (!n.IsMap()) throw invalid(where(n), std::string("'") + key + "' must be a mapping");
    for (const auto& kv : n) out[kv.first.as<std::string>()] = kv.second.as<std::string>();
    return out;
  }
  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }

 private:
  YAML::Node node_;
  std::string file_;
};

bool skipped_dir(const std::filesystem::path& p) {
  std::string name = p.filename().string();
  return name.starts_with(".") || name == "data" || name == "node_modules" || name == "__pycache__";
}

std::vector<Doc> read_documents(const std::filesystem::path& repo) {
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(repo);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_directory()) {
      if (skipped_dir(it->path())) it.disable_recursion_pending();
      continue;
    }
    std::string ext = it->path().extension().string();
    if ((ext == ".yaml" || ext == ".yml") && it->path().filename() != "feature_store.yaml")
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Doc> docs;
  for (const auto& path : files) {
    std::string rel = std::filesystem::relative(path, repo).string();
    std::vector<YAML::Node> nodes;
    try {
      nodes = YAML::LoadAll(core::read_file(path));
    } catch (const YAML::Exception& e) {
      throw Error(ErrorCode::kInvalidInput, rel + ": not valid YAML: " + e.what());
    }
    for (auto& node : nodes)
      if (node.IsMap() && node["kind"]) docs.emplace_back(node, rel);
  }
  return docs;
}

Entity parse_entity(const Doc& d) {
  d.allow_only({"name", "join_keys", "join_key", "value_type", "description", "tags", "owner"});
  Entity e;
  e.name = d.name();
  e.defined_in = d.where();
  std::vector<std::string> keys = d.strings("join_keys");
  if (d.node()["join_key"]) keys.push_back(d.string("join_key"));
  if (keys.size() > 1)
    throw invalid(e.defined_in, "entity '" + e.name + "' has " + std::to_string(keys.size()) +
                                    " join keys; Feast allows one per entity: declare one entity "
                                    "per key and list both in the feature view");
  e.join_key = keys.empty() ? e.name : keys[0];
  e.value_type = parse_value_type(d.string("value_type", "Int64"), e.defined_in + " value_type");
  e.description = d.string("description");
  e.tags = d.map("tags");
  e.owner = d.string("owner");
  return e;
}

Source parse_source(const Doc& d) {
  Source s;
  s.name = d.name();
  s.defined_in = d.where();
  s.description = d.string("description");
  s.tags = d.map("tags");
  if (d.kind() == "PushSource") {
    d.allow_only({"name", "batch_source", "description", "tags", "owner"});
    s.kind = Source::Kind::kPush;
    s.batch_source = d.required("batch_source");
    return s;
  }
  d.allow_only({"name", "path", "timestamp_field", "created_timestamp_column", "field_mapping",
                "file_format", "description", "tags", "owner"});
  s.path = d.required("path");
  s.timestamp_field = d.required("timestamp_field");
  s.created_timestamp_column = d.string("created_timestamp_column");
  s.field_mapping = d.map("field_mapping");
  std::string format = d.string("file_format");
  if (format.empty()) {
    try {
      format = table::format_of(s.path) == table::FileFormat::kCsv ? "csv" : "parquet";
    } catch (const Error&) {
      throw invalid(s.defined_in, "source '" + s.name + "': cannot tell the format of '" + s.path +
                                      "'; name it .parquet or .csv or set file_format");
    }
  }
  if (format != "parquet" && format != "csv")
    throw invalid(s.defined_in, "source '" + s.name + "': file_format '" + format +
                                    "' is not supported; use parquet or csv");
  s.format = format == "csv" ? Source::Format::kCsv : Source::Format::kParquet;
  return s;
}

std::vector<Field> parse_fields(const Doc& d, const char* key) {
  std::vector<Field> out;
  YAML::Node n = d.node()[key];
  if (!n || n.IsNull()) return out;
  if (!n.IsSequence()) throw invalid(d.where(n), std::string("'") + key + "' must be a list");
  for (const auto& item : n) {
    if (!item.IsMap() || !item["name"])
      throw invalid(d.where(item), "a schema field needs 'name' and 'dtype'");
    std::string dtype = item["dtype"] ? item["dtype"].as<std::string>() : "";
    if (dtype.empty())
      throw invalid(d.where(item),
                    "field '" + item["name"].as<std::string>() + "' needs a 'dtype'");
    out.push_back(
        {item["name"].as<std::string>(), parse_value_type(dtype, d.where(item) + " dtype")});
  }
  return out;
}

struct RawView {
  FeatureView view;
  std::vector<Field> schema;  // as declared, join keys included
  bool schema_declared = false;
};

RawView parse_view(const Doc& d) {
  d.allow_only({"name", "entities", "ttl", "schema", "source", "online", "offline", "description",
                "tags", "owner", "aggregations"});
  RawView raw;
  FeatureView& v = raw.view;
  v.name = d.name();
  v.defined_in = d.where();
  v.entities = d.strings("entities");
  std::string ttl = d.string("ttl", "0");
  v.ttl = parse_duration(ttl, v.defined_in + ": feature view '" + v.name + "' ttl");
  raw.schema_declared = static_cast<bool>(d.node()["schema"]);
  raw.schema = parse_fields(d, "schema");
  v.source = d.required("source");
  v.online = d.boolean("online", true);
  v.offline = d.boolean("offline", false);
  v.description = d.string("description");
  v.tags = d.map("tags");
  v.owner = d.string("owner");
  if (YAML::Node aggs = d.node()["aggregations"]; aggs && !aggs.IsNull()) {
    if (!aggs.IsSequence()) throw invalid(d.where(aggs), "'aggregations' must be a list");
    for (const auto& item : aggs) {
      Location at = d.where(item);
      if (!item.IsMap())
        throw invalid(at, "an aggregation is a mapping: {function, column, window, name}");
      for (const auto& kv : item) {
        std::string key = kv.first.as<std::string>();
        if (key != "function" && key != "column" && key != "window" && key != "name")
          throw invalid(at, "aggregation has unknown key '" + key +
                                "' (keys: function, column, window, name)");
      }
      Aggregation a;
      if (!item["function"] || !item["window"] || !item["name"])
        throw invalid(at,
                      "an aggregation needs 'function', 'window' and 'name' (and 'column' unless "
                      "it counts events)");
      a.function = parse_aggregation_function(item["function"].as<std::string>(), at);
      a.column = item["column"] ? item["column"].as<std::string>() : "";
      a.window = parse_duration(item["window"].as<std::string>(), at + " window");
      if (a.window <= 0) throw invalid(at, "an aggregation window must be longer than 0");
      a.name = item["name"].as<std::string>();
      if (a.column.empty() && a.function != AggregationFunction::kCount)
        throw invalid(at, "aggregation '" + a.name + "' needs a 'column' to " +
                              std::string(aggregation_function_name(a.function)));
      v.aggregations.push_back(std::move(a));
    }
  }
  return raw;
}

FeatureService parse_service(const Doc& d, const std::map<std::string, const RawView*>& views) {
  d.allow_only({"name", "features", "description", "tags", "owner"});
  FeatureService s;
  s.name = d.name();
  s.defined_in = d.where();
  s.description = d.string("description");
  s.tags = d.map("tags");
  s.owner = d.string("owner");
  for (const std::string& item : d.strings("features")) {
    size_t colon = item.find(':');
    std::string view_name = item.substr(0, colon);
    auto it = views.find(view_name);
    if (it == views.end())
      throw invalid(s.defined_in, "feature service '" + s.name + "' uses unknown feature view '" +
                                      view_name + "'; define it or fix the name");
    const FeatureView& v = it->second->view;
    if (colon == std::string::npos) {
      for (const Field& f : v.features) s.features.push_back(v.name + ":" + f.name);
      for (const Aggregation& a : v.aggregations) s.features.push_back(v.name + ":" + a.name);
    } else {
      s.features.push_back(item);
    }
  }
  if (s.features.empty())
    throw invalid(s.defined_in, "feature service '" + s.name +
                                    "' lists no features; add 'features: [view, view:feature]'");
  return s;
}

template <typename T>
void check_unique(const std::vector<T>& items, const std::string& kind) {
  std::map<std::string, const T*> seen;
  for (const T& item : items) {
    auto [it, inserted] = seen.emplace(item.name, &item);
    if (!inserted)
      throw invalid(item.defined_in, "duplicate " + kind + " name '" + item.name +
                                         "' (also defined at " + it->second->defined_in +
                                         "); rename one of them");
  }
}

bool types_compatible(ValueType declared, table::ColumnType actual) {
  table::ColumnType want = column_type(declared);
  if (want == actual) return true;
  // Integers read into float columns (and back) where the file stores them so.
  bool numeric_want = want == table::ColumnType::kInt64 || want == table::ColumnType::kFloat64;
  bool numeric_have = actual == table::ColumnType::kInt64 ||
                      actual == table::ColumnType::kFloat64 || actual == table::ColumnType::kBool;
  return numeric_want && numeric_have;
}

// The source file's columns after field_mapping. Throws naming the view when unreadable.
table::Schema source_schema(const Source& s, const FeatureStoreConfig& config,
                            const FeatureView& v) {
  bool s3 = storage::is_s3_uri(s.path);
  std::filesystem::path path = std::filesystem::path(s.path).is_absolute() || s3
                                   ? std::filesystem::path(s.path)
                                   : config.repo_path / s.path;
  if (!s3 && !std::filesystem::exists(path))
    throw invalid(s.defined_in, "source '" + s.name + "' (used by feature view '" + v.name +
                                    "'): file '" + path.string() +
                                    "' does not exist; create it or fix 'path'");
  table::Schema schema = table::open_table(path)->schema();
  for (auto& f : schema)
    if (auto it = s.field_mapping.find(f.name); it != s.field_mapping.end()) f.name = it->second;
  return schema;
}

const table::Field* find_field(const table::Schema& schema, const std::string& name) {
  for (const auto& f : schema)
    if (f.name == name) return &f;
  return nullptr;
}

std::string column_list(const table::Schema& schema) {
  std::string out;
  for (const auto& f : schema) out += (out.empty() ? "" : ", ") + f.name;
  return out;
}

void resolve_view(RawView& raw, const Registry& r, const FeatureStoreConfig& config) {
  FeatureView& v = raw.view;
  const Source* src = r.find_source(v.source);
  if (!src)
    throw invalid(v.defined_in, "feature view '" + v.name + "' uses unknown source '" + v.source +
                                    "'; define a FileSource or PushSource with that name");
  const Source& batch = r.batch_source(v);
  table::Schema schema = source_schema(batch, config, v);
  auto need_column = [&](const std::string& column, const std::string& role) {
    const table::Field* f = find_field(schema, column);
    if (!f)
      throw invalid(v.defined_in,
                    "feature view '" + v.name + "': " + role + " '" + column +
                        "' is not a column of source '" + batch.name + "' (" + batch.path +
                        "; columns: " + column_list(schema) +
                        "); fix the name, add the column, or map it with field_mapping");
    return f;
  };
  const table::Field* ts = need_column(batch.timestamp_field, "timestamp_field");
  if (ts->type != table::ColumnType::kTimestamp)
    throw invalid(batch.defined_in, "source '" + batch.name + "': timestamp_field '" +
                                        batch.timestamp_field + "' holds " +
                                        std::string(table::type_name(ts->type)) +
                                        ", not timestamps; store it as a timestamp column");
  if (!batch.created_timestamp_column.empty()) {
    const table::Field* c = need_column(batch.created_timestamp_column, "created_timestamp_column");
    if (c->type != table::ColumnType::kTimestamp)
      throw invalid(batch.defined_in, "source '" + batch.name + "': created_timestamp_column '" +
                                          batch.created_timestamp_column +
                                          "' does not hold timestamps");
  }
  std::set<std::string> keys;
  for (const std::string& entity_name : v.entities) {
    const Entity* e = r.find_entity(entity_name);
    if (!e)
      throw invalid(v.defined_in, "feature view '" + v.name + "' uses unknown entity '" +
                                      entity_name + "'; define it (kind: Entity) or fix the name");
    Field key{e->join_key, e->value_type};
    for (const Field& f : raw.schema)
      if (f.name == e->join_key) key.type = f.type;
    const table::Field* col = need_column(key.name, "join key");
    if (!types_compatible(key.type, col->type) &&
        !(key.type == ValueType::kString && col->type == table::ColumnType::kString))
      throw invalid(v.defined_in, "feature view '" + v.name + "': join key '" + key.name + "' is " +
                                      std::string(value_type_name(key.type)) +
                                      " but source column holds " +
                                      std::string(table::type_name(col->type)));
    keys.insert(key.name);
    v.entity_columns.push_back(key);
  }
  if (raw.schema_declared) {
    for (const Field& f : raw.schema) {
      if (keys.count(f.name)) continue;
      const table::Field* col = need_column(f.name, "schema field");
      if (!types_compatible(f.type, col->type))
        throw invalid(v.defined_in, "feature view '" + v.name + "': field '" + f.name +
                                        "' is declared " + std::string(value_type_name(f.type)) +
                                        " but source '" + batch.name + "' holds " +
                                        std::string(table::type_name(col->type)) +
                                        "; fix the dtype");
      v.features.push_back(f);
    }
  } else if (v.aggregations.empty()) {
    // Feast infers the schema from the source: every column but keys and timestamps.
    for (const auto& col : schema) {
      if (keys.count(col.name) || col.name == batch.timestamp_field ||
          col.name == batch.created_timestamp_column)
        continue;
      ValueType t = col.type == table::ColumnType::kInt64       ? ValueType::kInt64
                    : col.type == table::ColumnType::kString    ? ValueType::kString
                    : col.type == table::ColumnType::kBool      ? ValueType::kBool
                    : col.type == table::ColumnType::kTimestamp ? ValueType::kUnixTimestamp
                                                                : ValueType::kFloat64;
      v.features.push_back({col.name, t});
    }
  }
  std::set<std::string> names;
  for (const Field& f : v.features) names.insert(f.name);
  for (Aggregation& a : v.aggregations) {
    if (!names.insert(a.name).second)
      throw invalid(v.defined_in,
                    "feature view '" + v.name + "': duplicate feature name '" + a.name + "'");
    if (a.column.empty()) {
      a.type = ValueType::kInt64;
      continue;
    }
    const table::Field* col = need_column(a.column, "aggregation column");
    bool numeric = col->type == table::ColumnType::kInt64 ||
                   col->type == table::ColumnType::kFloat64 ||
                   col->type == table::ColumnType::kBool;
    if (!numeric && a.function != AggregationFunction::kCount)
      throw invalid(v.defined_in, "feature view '" + v.name + "': aggregation '" + a.name +
                                      "' needs a numeric column; '" + a.column + "' holds " +
                                      std::string(table::type_name(col->type)));
    switch (a.function) {
      case AggregationFunction::kCount:
        a.type = ValueType::kInt64;
        break;
      case AggregationFunction::kMin:
      case AggregationFunction::kMax:
      case AggregationFunction::kLast:
        a.type = col->type == table::ColumnType::kFloat64 ? ValueType::kFloat64 : ValueType::kInt64;
        break;
      default:
        a.type = ValueType::kFloat64;
    }
  }
}

}  // namespace

Registry load_definitions(const FeatureStoreConfig& config) {
  Registry r;
  r.project = config.project;
  std::vector<RawView> raw_views;
  std::vector<Doc> services;
  for (const Doc& d : read_documents(config.repo_path)) {
    std::string kind = d.kind();
    if (kind == "Entity")
      r.entities.push_back(parse_entity(d));
    else if (kind == "FileSource" || kind == "PushSource")
      r.sources.push_back(parse_source(d));
    else if (kind == "FeatureView")
      raw_views.push_back(parse_view(d));
    else if (kind == "FeatureService")
      services.push_back(d);
    else
      throw invalid(d.where(),
                    "unknown kind '" + kind +
                        "'; use Entity, FileSource, PushSource, FeatureView or FeatureService");
  }
  check_unique(r.entities, "entity");
  check_unique(r.sources, "data source");
  for (const Source& s : r.sources) {
    if (s.kind != Source::Kind::kPush) continue;
    const Source* b = r.find_source(s.batch_source);
    if (!b || b->kind != Source::Kind::kFile)
      throw invalid(s.defined_in, "push source '" + s.name + "': batch_source '" + s.batch_source +
                                      "' is not a FileSource; define one and name it here");
  }
  std::map<std::string, const RawView*> by_name;
  for (RawView& raw : raw_views) {
    resolve_view(raw, r, config);
    r.feature_views.push_back(raw.view);
  }
  check_unique(r.feature_views, "feature view");
  for (const RawView& raw : raw_views) by_name[raw.view.name] = &raw;
  for (const Doc& d : services) r.feature_services.push_back(parse_service(d, by_name));
  check_unique(r.feature_services, "feature service");
  for (const FeatureService& s : r.feature_services) {
    try {
      r.resolve(s.features);
    } catch (const Error& e) {
      throw invalid(s.defined_in, "feature service '" + s.name + "': " + e.what());
    }
  }
  return r;
}

namespace {

void diff_objects(const nlohmann::json& before, const nlohmann::json& after,
                  const std::string& kind, std::vector<RegistryChange>& out) {
  std::map<std::string, nlohmann::json> old_items, new_items;
  for (const auto& o : before) old_items[o.at("name")] = o;
  for (const auto& o : after) new_items[o.at("name")] = o;
  for (const auto& [name, o] : new_items) {
    auto it = old_items.find(name);
    if (it == old_items.end()) {
      out.push_back({RegistryChange::Action::kCreate, kind, name, {}});
      continue;
    }
    std::vector<std::string> details;
    for (const auto& [key, value] : o.items()) {
      if (key == "defined_in") continue;
      nlohmann::json old_value = it->second.value(key, nlohmann::json());
      if (old_value != value)
        details.push_back(key + ": " + old_value.dump() + " -> " + value.dump());
    }
    if (!details.empty()) out.push_back({RegistryChange::Action::kUpdate, kind, name, details});
  }
  for (const auto& [name, o] : old_items)
    if (!new_items.count(name)) out.push_back({RegistryChange::Action::kDelete, kind, name, {}});
}

}  // namespace

std::vector<RegistryChange> diff_registries(const Registry& before, const Registry& after) {
  nlohmann::json b = before.to_json(), a = after.to_json();
  std::vector<RegistryChange> out;
  diff_objects(b["entities"], a["entities"], "entity", out);
  diff_objects(b["sources"], a["sources"], "data source", out);
  diff_objects(b["feature_views"], a["feature_views"], "feature view", out);
  diff_objects(b["feature_services"], a["feature_services"], "feature service", out);
  return out;
}

}  // namespace plinth::features
