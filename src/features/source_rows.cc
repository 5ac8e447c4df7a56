#include "features/source_rows.h"

#include <sys/stat.h>

#include "core/error.h"
#include "features/online_row.h"
#include "table/table_io.h"
#include "table/timestamp.h"

namespace plinth::features {

std::vector<int64_t> timestamps_of(const table::Column& column, const std::string& file) {
  std::vector<int64_t> out(column.size(), INT64_MIN);
  if (column.type == table::ColumnType::kTimestamp) {
    for (size_t r = 0; r < out.size(); ++r)
      if (!column.is_null(r)) out[r] = column.i64[r];
    return out;
  }
  if (column.type == table::ColumnType::kString) {
    for (size_t r = 0; r < out.size(); ++r) {
      if (column.is_null(r)) continue;
      auto t = table::parse_timestamp(column.string_at(r));
      if (!t)
        throw Error(ErrorCode::kInvalidInput,
                    file + ": column '" + column.name + "' row " + std::to_string(r + 1) + " is '" +
                        std::string(column.string_at(r)) +
                        "', not an ISO 8601 timestamp such as 2025-01-01T00:00:00Z");
      out[r] = *t;
    }
    return out;
  }
  throw Error(ErrorCode::kInvalidInput,
              file + ": column '" + column.name + "' holds " +
                  std::string(table::type_name(column.type)) +
                  " values, not timestamps; store event times as timestamps or ISO 8601 text");
}

SourceRows read_source_rows(const FeatureStoreConfig& config, const Registry& registry,
                            const FeatureView& view, int64_t start, int64_t end,
                            const std::vector<std::string>& extra_columns) {
  const Source& source = registry.batch_source(view);
  std::filesystem::path path = registry.source_path(source, config.repo_path);
  std::string file = path.string();
  // Source column of each name the view uses (field_mapping renames source -> feature).
  auto source_column = [&](const std::string& name) {
    for (const auto& [from, to] : source.field_mapping)
      if (to == name) return from;
    return name;
  };
  std::vector<std::string> wanted = {source.timestamp_field};
  if (!source.created_timestamp_column.empty()) wanted.push_back(source.created_timestamp_column);
  for (const auto& k : view.entity_columns) wanted.push_back(source_column(k.name));
  for (const auto& f : view.features) wanted.push_back(source_column(f.name));
  for (const auto& c : extra_columns) wanted.push_back(source_column(c));
  std::vector<std::string> unique;
  for (const auto& w : wanted)
    if (std::find(unique.begin(), unique.end(), w) == unique.end()) unique.push_back(w);

  table::ReadOptions options;
  options.columns = unique;
  table::Table all = table::read_table(path, options);
  table::check_columns_exist(all.schema(), unique, file);

  std::vector<int64_t> ts = timestamps_of(all.column(source.timestamp_field), file);
  std::vector<int64_t> created(all.num_rows(), 0);
  if (!source.created_timestamp_column.empty()) {
    created = timestamps_of(all.column(source.created_timestamp_column), file);
    for (auto& c : created)
      if (c == INT64_MIN) c = 0;
  }

  SourceRows out;
  std::vector<size_t> keep;
  for (size_t r = 0; r < ts.size(); ++r)
    if (ts[r] != INT64_MIN && ts[r] >= start && ts[r] <= end) keep.push_back(r);
  // The kept rows of every column, renamed to the view's names.
  std::vector<table::Column> columns;
  for (const auto& name : unique) {
    const table::Column& c = all.column(name);
    table::Column kept(c.name, c.type);
    kept.reserve(keep.size());
    for (size_t r : keep) kept.append(c, r, r + 1);
    columns.push_back(std::move(kept));
  }
  for (auto& c : columns)
    for (const auto& [from, to] : source.field_mapping)
      if (c.name == from) c.name = to;
  out.table = table::Table(std::move(columns));
  for (size_t r : keep) {
    out.ts.push_back(ts[r]);
    out.created.push_back(created[r]);
  }
  std::vector<const table::Column*> key_columns;
  for (const auto& k : view.entity_columns) key_columns.push_back(&out.table.column(k.name));
  out.keys.resize(keep.size());
  std::vector<Value> parts(key_columns.size());
  for (size_t r = 0; r < keep.size(); ++r) {
    for (size_t k = 0; k < key_columns.size(); ++k)
      parts[k] = cell_value(*key_columns[k], r, view.entity_columns[k].type);
    out.keys[r] = entity_key(parts);
  }
  for (const auto& f : view.features) out.features.push_back(&out.table.column(f.name));
  for (const auto& c : extra_columns) out.extra.push_back(&out.table.column(c));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0)
    out.fingerprint = std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec);
  return out;
}

}  // namespace plinth::features
