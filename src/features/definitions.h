#pragma once

// The feature store's data model: what feature_store.yaml and the YAML definition files
// declare, and the Registry that holds the applied definitions. Shared by the offline side
// (apply, historical joins, windowed aggregations) and the online side (materialization,
// online stores, the feature server, the model server's enrichment).
//
// Conventions every user of this header relies on:
// - Times are UTC nanoseconds since the Unix epoch (int64), as in table::ColumnType::kTimestamp.
//   Durations (ttl, windows) are nanoseconds too.
// - Names (entities, sources, views, services) are unique within their kind in a registry.
// - Objects refer to each other by name; the Registry resolves names (and has been validated
//   by `plinth features apply`, so a loaded registry's references all resolve).
// - Feature references are "view:feature" strings, as in Feast.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "table/table.h"

namespace plinth::features {

// ---- feature_store.yaml ----------------------------------------------------------------------

struct OnlineStoreConfig {
  enum class Type { kSqlite, kRedis };
  Type type = Type::kSqlite;
  // kSqlite: the database file, absolute (resolved against the repository folder).
  std::filesystem::path path;
  // kRedis: Feast's connection string, "host:port[,db=N][,password=...][,ssl=true]".
  std::string connection_string;
  // kRedis: Feast's `key_ttl_seconds` (EXPIRE on each entity hash); nullopt = none.
  std::optional<int64_t> key_ttl_seconds;
};

struct OfflineStoreConfig {
  // Only "file" (Feast's `file`/`dask`): sources are CSV or Parquet files.
  std::string type = "file";
};

struct FeatureStoreConfig {
  std::filesystem::path repo_path;  // the folder holding feature_store.yaml, absolute
  std::string project;              // letters, digits, underscore; not starting with '_'
  std::string provider = "local";
  // The applied registry (JSON, versioned with the repository), absolute. `registry:` in
  // feature_store.yaml; default registry.json. Feast's protobuf default `data/registry.db` is
  // read as `data/registry.json` (same folder and stem, .json), so a Feast repository's yaml
  // works unchanged and Feast's own file is never overwritten.
  std::filesystem::path registry_path;
  OnlineStoreConfig online_store;
  OfflineStoreConfig offline_store;
  // Feast's `coerce_tz_aware`: naive entity timestamps are UTC (always true in Plinth).
};

// Reads <repo_dir>/feature_store.yaml. Throws Error(kNotFound) when it is missing and
// Error(kInvalidInput) naming the key and value for anything malformed.
FeatureStoreConfig load_config(const std::filesystem::path& repo_dir);

// ---- value types -----------------------------------------------------------------------------

// Feast's primitive types (Field dtypes and Entity value types).
enum class ValueType { kInt32, kInt64, kFloat32, kFloat64, kString, kBytes, kBool, kUnixTimestamp };

// Feast's dtype spelling: "Int32", "Int64", "Float32", "Float64", "String", "Bytes", "Bool",
// "UnixTimestamp".
std::string_view value_type_name(ValueType type);
// Accepts the dtype spelling and Feast's ValueType enum spelling ("INT64", "STRING",
// "UNIX_TIMESTAMP", ...), case-insensitively. Throws Error(kInvalidInput) naming `where`, the
// value and the accepted names.
ValueType parse_value_type(std::string_view name, std::string_view where);
// The column type that holds values of `type` (Int32/Int64 -> kInt64, Float32/Float64 ->
// kFloat64, String/Bytes -> kString, Bool -> kBool, UnixTimestamp -> kTimestamp).
table::ColumnType column_type(ValueType type);

// "1h", "24h", "7d", "30m", "45s", "500ms", "2w", combinations like "1h30m", or a plain number
// of seconds ("86400"); "0" is zero. Throws Error(kInvalidInput) naming `where` and the text.
int64_t parse_duration(std::string_view text, std::string_view where);
// The shortest form parse_duration reads back: 3600e9 -> "1h", 90e9 -> "1m30s", 0 -> "0s".
std::string format_duration(int64_t nanos);

// ---- objects -----------------------------------------------------------------------------------

// Where an object was declared, for error messages: "features/driver.yaml:12".
using Location = std::string;

struct Entity {
  std::string name;
  std::string join_key;  // exactly one (Feast allows only one); defaults to the name
  ValueType value_type = ValueType::kInt64;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string owner;
  Location defined_in;
};

struct Source {
  enum class Kind { kFile, kPush };
  enum class Format { kParquet, kCsv };
  std::string name;
  Kind kind = Kind::kFile;
  // kFile: the file, as written in the definition (relative paths are relative to the
  // repository folder; see Registry::source_path) and its format (by extension or
  // `file_format:`).
  std::string path;
  Format format = Format::kParquet;
  std::string timestamp_field;           // event time, used for point-in-time joins
  std::string created_timestamp_column;  // empty: none; breaks ties between equal event times
  // Feast's field_mapping: source column -> feature/join-key name.
  std::map<std::string, std::string> field_mapping;
  // kPush: the file source pushed rows also go to (for `to: offline`); the push source's
  // timestamp_field/created_timestamp_column/path are those of the batch source.
  std::string batch_source;
  std::string description;
  std::map<std::string, std::string> tags;
  Location defined_in;
};

struct Field {
  std::string name;
  ValueType type = ValueType::kFloat64;
};

// ---- windowed aggregations (offline and online compute them with features/aggregate.h) ----
//
// An aggregation of a view's source column over a sliding window per entity key, evaluated
// "as of" a time t. THE WINDOW IS (t - window, t]: events with t - window < ts <= t, the
// event at exactly t included and the one at exactly t - window excluded (pandas'
// rolling(window) default, closed="right"). Offline, t is each entity row's timestamp; online,
// t is the time the value is read as of, and an online store must produce exactly the value
// the offline join gives at the same t: both sides call features/aggregate.h, which owns the
// arithmetic. Events with a null column value are skipped (they still count for `count` only
// when `column` is empty, meaning "count events"). In an empty window count and sum are 0;
// mean, min, max, last are null; stddev (sample, n - 1) is null with fewer than two values.
// `last` is the value of the latest event in the window (ties: later created, then later in
// source order). The view's ttl does not apply to aggregations: the window is their look-back.
enum class AggregationFunction { kCount, kSum, kMean, kMin, kMax, kStddev, kLast };
std::string_view aggregation_function_name(AggregationFunction function);  // "count", ...
AggregationFunction parse_aggregation_function(std::string_view name, std::string_view where);

struct Aggregation {
  AggregationFunction function = AggregationFunction::kCount;
  std::string column;  // source column (after field_mapping); empty only for count
  int64_t window = 0;  // nanoseconds, > 0
  std::string name;    // output feature name, e.g. "transaction_velocity"
  // The output's type: Int64 for count, the column's type for min/max/last, Float64 otherwise.
  ValueType type = ValueType::kFloat64;
};

struct FeatureView {
  std::string name;
  std::vector<std::string> entities;  // entity names; empty = Feast's dummy entity
  // Maximum age of a feature row relative to each entity row's timestamp, both ends inclusive:
  // [t - ttl, t]. 0 = unlimited.
  int64_t ttl = 0;
  // The declared schema without the join-key fields: the plain (point-in-time joined) features,
  // in declaration order. When a definition declares no schema, apply infers it from the
  // source (every column but join keys and timestamps).
  std::vector<Field> features;
  // The join-key fields, one per entity in `entities` order (type from the schema if declared
  // there, else the entity's value type).
  std::vector<Field> entity_columns;
  std::vector<Aggregation> aggregations;  // windowed features, after the plain ones
  std::string source;                     // a Source name (file or push)
  bool online = true;
  bool offline = false;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string owner;
  Location defined_in;
};

struct FeatureService {
  std::string name;
  // "view:feature" references, expanded: a service listing a whole view holds one reference
  // per feature of that view (plain features, then aggregations).
  std::vector<std::string> features;
  std::string description;
  std::map<std::string, std::string> tags;
  std::string owner;
  Location defined_in;
};

// One resolved feature: its view and either a plain feature or an aggregation.
struct FeatureRef {
  const FeatureView* view = nullptr;
  std::string name;  // the feature's name within the view
  ValueType type = ValueType::kFloat64;
  const Aggregation* aggregation = nullptr;  // null for a plain feature
  std::string reference() const { return view->name + ":" + name; }
};

// The applied definitions of one project. Plain data plus lookups; pointers returned stay
// valid while the Registry lives and is not modified.
class Registry {
 public:
  std::string project;
  std::vector<Entity> entities;
  std::vector<Source> sources;
  std::vector<FeatureView> feature_views;
  std::vector<FeatureService> feature_services;

  // nullptr when absent.
  const Entity* find_entity(std::string_view name) const;
  const Source* find_source(std::string_view name) const;
  const FeatureView* find_feature_view(std::string_view name) const;
  const FeatureService* find_feature_service(std::string_view name) const;
  // The same, throwing Error(kNotFound) naming the object and listing the ones there are.
  const Entity& entity(std::string_view name) const;
  const Source& source(std::string_view name) const;
  const FeatureView& feature_view(std::string_view name) const;
  const FeatureService& feature_service(std::string_view name) const;

  // The file source holding a view's rows: its own source, or a push source's batch source.
  const Source& batch_source(const FeatureView& view) const;
  // A file source's path, resolved against the repository folder.
  std::filesystem::path source_path(const Source& source,
                                    const std::filesystem::path& repo_path) const;
  // The join keys of a view, in `entities` order (empty for an entity-less view).
  std::vector<std::string> join_keys(const FeatureView& view) const;

  // Resolves "view:feature" references (a bare "view" is not accepted here). Throws
  // Error(kNotFound) naming the first unknown view or feature and listing what there is.
  std::vector<FeatureRef> resolve(const std::vector<std::string>& references) const;
  // The resolved features of a service.
  std::vector<FeatureRef> service_features(std::string_view service) const;

  // The JSON document stored in the registry file: keys sorted, one object per line-friendly
  // structure, so that `git diff` shows what changed.
  nlohmann::json to_json() const;
  // Throws Error(kCorrupted) naming `file` when the document is not a registry.
  static Registry from_json(const nlohmann::json& document, const std::string& file);
};

// The applied registry of the repository `config` describes. Throws Error(kNotFound) saying to
// run `plinth features apply` when there is none yet.
Registry load_registry(const FeatureStoreConfig& config);
// Writes the registry file atomically.
void save_registry(const Registry& registry, const FeatureStoreConfig& config);

}  // namespace plinth::features
