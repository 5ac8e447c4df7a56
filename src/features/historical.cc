#include "features/historical.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "features/aggregate.h"
#include "table/table_io.h"
#include "table/timestamp.h"

namespace plinth::features {
namespace {

using table::Column;
using table::ColumnType;
using table::Table;

constexpr uint32_t kNoKey = UINT32_MAX;
constexpr int64_t kNoRow = -1;
constexpr size_t kChunk = 1 << 15;

Error invalid(std::string message) { return Error(ErrorCode::kInvalidInput, std::move(message)); }

// Runs fn(begin, end) over [0, n) in chunks on the pool.
template <typename Fn>
void for_chunks(core::ThreadPool& pool, size_t n, Fn&& fn) {
  size_t chunks = (n + kChunk - 1) / kChunk;
  pool.parallel_for(chunks, [&](size_t c) { fn(c * kChunk, std::min(n, (c + 1) * kChunk)); });
}

// Dense ids for the join-key values of both sides: equal keys get equal ids; ids lie in
// [0, count); kNoKey marks a null key or (entity side) a key the source does not have.
struct KeyIds {
  std::vector<uint32_t> source;
  std::vector<uint32_t> entity;
  uint32_t count = 0;
};

bool is_integer_key(const Column& c) {
  return c.type == ColumnType::kInt64 || c.type == ColumnType::kBool;
}
int64_t int_key(const Column& c, size_t row) {
  return c.type == ColumnType::kBool ? c.b[row] : c.i64[row];
}

KeyIds integer_keys(const Column& src, const Column& ent, core::ThreadPool& pool) {
  KeyIds ids;
  const size_t n = src.size();
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    if (src.is_null(i)) continue;
    lo = std::min(lo, int_key(src, i));
    hi = std::max(hi, int_key(src, i));
  }
  ids.source.assign(n, kNoKey);
  ids.entity.assign(ent.size(), kNoKey);
  if (lo > hi) return ids;
  // Keys in a compact range index an array directly; otherwise a hash map numbers them.
  bool dense = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) < 4 * n + 1024;
  if (dense) {
    ids.count = static_cast<uint32_t>(hi - lo + 1);
    for_chunks(pool, n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        if (!src.is_null(i)) ids.source[i] = static_cast<uint32_t>(int_key(src, i) - lo);
    });
    for_chunks(pool, ent.size(), [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        if (ent.is_null(i)) continue;
        int64_t k = int_key(ent, i);
        if (k >= lo && k <= hi) ids.entity[i] = static_cast<uint32_t>(k - lo);
      }
    });
    return ids;
  }
  std::unordered_map<int64_t, uint32_t> map;
  map.reserve(n / 4 + 16);
  for (size_t i = 0; i < n; ++i) {
    if (src.is_null(i)) continue;
    auto [it, inserted] = map.emplace(int_key(src, i), static_cast<uint32_t>(map.size()));
    ids.source[i] = it->second;
  }
  ids.count = static_cast<uint32_t>(map.size());
  for (size_t i = 0; i < ent.size(); ++i) {
    if (ent.is_null(i)) continue;
    if (auto it = map.find(int_key(ent, i)); it != map.end()) ids.entity[i] = it->second;
  }
  return ids;
}

// Any key columns: each row's key values as bytes, numbered through a hash map.
std::optional<std::string> key_bytes(const std::vector<const Column*>& cols, size_t row) {
  std::string key;
  for (const Column* c : cols) {
    if (c->is_null(row)) return std::nullopt;
    if (c->type == ColumnType::kString) {
      std::string_view s = c->string_at(row);
      uint32_t len = static_cast<uint32_t>(s.size());
      key.append(reinterpret_cast<const char*>(&len), sizeof len);
      key.append(s);
    } else {
      int64_t v = int_key(*c, row);
      key.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
  }
  return key;
}

KeyIds general_keys(const std::vector<const Column*>& src, const std::vector<const Column*>& ent,
                    size_t src_rows, size_t ent_rows) {
  KeyIds ids;
  ids.source.assign(src_rows, kNoKey);
  ids.entity.assign(ent_rows, kNoKey);
  std::unordered_map<std::string, uint32_t> map;
  for (size_t i = 0; i < src_rows; ++i) {
    auto key = key_bytes(src, i);
    if (!key) continue;
    auto [it, inserted] = map.emplace(std::move(*key), static_cast<uint32_t>(map.size()));
    ids.source[i] = it->second;
  }
  ids.count = static_cast<uint32_t>(map.size());
  for (size_t i = 0; i < ent_rows; ++i) {
    auto key = key_bytes(ent, i);
    if (!key) continue;
    if (auto it = map.find(*key); it != map.end()) ids.entity[i] = it->second;
  }
  return ids;
}

// Source rows grouped by key id, each group sorted by (event time, created, row):
// rows order[offsets[k] .. offsets[k+1]) with event times ts[...] alongside.
struct SortedSource {
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> order;
  std::vector<int64_t> ts;
};

SortedSource sort_source(const KeyIds& ids, const Column& ts, const Column* created,
                         core::ThreadPool& pool) {
  SortedSource s;
  s.offsets.assign(ids.count + 1, 0);
  const size_t n = ids.source.size();
  for (size_t i = 0; i < n; ++i)
    if (ids.source[i] != kNoKey && !ts.is_null(i)) ++s.offsets[ids.source[i] + 1];
  for (size_t k = 0; k < ids.count; ++k) s.offsets[k + 1] += s.offsets[k];
  // Scatter (event time, created, row) into key groups, then sort each group in place:
  // contiguous entries, so the sort stays in cache instead of chasing rows.
  struct Entry {
    int64_t ts;
    int64_t created;
    uint32_t row;
    bool operator<(const Entry& o) const {
      if (ts != o.ts) return ts < o.ts;
      return created != o.created ? created < o.created : row < o.row;
    }
  };
  std::vector<Entry> entries(s.offsets.back());
  std::vector<uint64_t> fill(s.offsets.begin(), s.offsets.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (ids.source[i] == kNoKey || ts.is_null(i)) continue;
    int64_t c = created == nullptr || created->is_null(i) ? INT64_MIN : created->i64[i];
    entries[fill[ids.source[i]]++] = {ts.i64[i], c, static_cast<uint32_t>(i)};
  }
  s.order.resize(entries.size());
  s.ts.resize(entries.size());
  size_t key_chunks = (ids.count + 4095) / 4096;
  pool.parallel_for(key_chunks, [&](size_t c) {
    size_t kb = c * 4096, ke = std::min<size_t>(ids.count, kb + 4096);
    auto first = entries.begin() + s.offsets[kb], last = entries.begin() + s.offsets[ke];
    for (size_t k = kb; k < ke; ++k) {
      auto b = entries.begin() + s.offsets[k], e = entries.begin() + s.offsets[k + 1];
      if (!std::is_sorted(b, e)) std::sort(b, e);
    }
    for (auto it = first; it != last; ++it) {
      size_t p = it - entries.begin();
      s.order[p] = it->row;
      s.ts[p] = it->ts;
    }
  });
  return s;
}

// The entity rows' event times: `event_timestamp`, or the only timestamp column. A text column
// is parsed; a value that is not a timestamp is an error naming it.
std::vector<int64_t> entity_times(const Table& entities, const std::string& file,
                                  std::vector<uint8_t>& valid, std::string& column_name) {
  std::optional<size_t> col = entities.find("event_timestamp");
  if (!col) {
    std::vector<size_t> candidates;
    for (size_t i = 0; i < entities.num_columns(); ++i)
      if (entities.column(i).type == ColumnType::kTimestamp) candidates.push_back(i);
    if (candidates.size() != 1)
      throw invalid(file + ": no 'event_timestamp' column" +
                    (candidates.empty()
                         ? std::string(" and no timestamp column")
                         : " and " + std::to_string(candidates.size()) + " timestamp columns") +
                    "; name the entity rows' time column event_timestamp");
    col = candidates[0];
  }
  const Column& c = entities.column(*col);
  column_name = c.name;
  const size_t n = c.size();
  std::vector<int64_t> t(n, 0);
  valid.assign(n, 1);
  if (c.type == ColumnType::kTimestamp) {
    for (size_t i = 0; i < n; ++i) {
      if (c.is_null(i))
        valid[i] = 0;
      else
        t[i] = c.i64[i];
    }
  } else if (c.type == ColumnType::kString) {
    for (size_t i = 0; i < n; ++i) {
      if (c.is_null(i)) {
        valid[i] = 0;
        continue;
      }
      auto parsed = table::parse_timestamp(c.string_at(i));
      if (!parsed)
        throw invalid(file + ": column '" + c.name + "', row " + std::to_string(i + 1) + ": '" +
                      std::string(c.string_at(i)) +
                      "' is not a timestamp; write ISO 8601, e.g. 2026-01-31T12:00:00Z");
      t[i] = *parsed;
    }
  } else {
    throw invalid(file + ": column '" + c.name + "' holds " +
                  std::string(table::type_name(c.type)) +
                  ", not timestamps; write ISO 8601 times, e.g. 2026-01-31T12:00:00Z");
  }
  return t;
}

// The feature value of each entity row's winner (kNoRow: null); NaN becomes null.
Column gather(const Column& src, const std::vector<int64_t>& winner, std::string name,
              core::ThreadPool& pool) {
  Column out(std::move(name), src.type);
  const size_t n = winner.size();
  out.valid.assign(n, 0);
  if (src.type == ColumnType::kString) {
    for (size_t i = 0; i < n; ++i) {
      int64_t w = winner[i];
      if (w == kNoRow || src.is_null(w)) {
        out.str.push_back("");
      } else {
        out.str.push_back(src.string_at(w));
        out.valid[i] = 1;
      }
    }
    return out;
  }
  if (src.type == ColumnType::kFloat64)
    out.f64.assign(n, 0);
  else if (src.type == ColumnType::kBool)
    out.b.assign(n, 0);
  else
    out.i64.assign(n, 0);
  for_chunks(pool, n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      int64_t w = winner[i];
      if (w == kNoRow || src.is_null(w)) continue;
      switch (src.type) {
        case ColumnType::kFloat64:
          if (std::isnan(src.f64[w])) continue;
          out.f64[i] = src.f64[w];
          break;
        case ColumnType::kBool:
          out.b[i] = src.b[w];
          break;
        default:
          out.i64[i] = src.i64[w];
      }
      out.valid[i] = 1;
    }
  });
  return out;
}

std::string key_type_name(const Column& c) { return std::string(table::type_name(c.type)); }

// One view's part of the join: which features, and where they land in the output.
struct ViewRequest {
  const FeatureView* view = nullptr;
  std::vector<const FeatureRef*> plain;
  std::vector<const FeatureRef*> aggregated;
};

class Joiner {
 public:
  Joiner(const Registry& registry, const FeatureStoreConfig& config, const Table& entities,
         const std::string& file, const HistoricalOptions& options)
      : registry_(registry),
        config_(config),
        entities_(entities),
        file_(file),
        options_(options),
        pool_(options.jobs ? options.jobs : core::default_jobs()) {
    times_ = entity_times(entities, file, time_valid_, time_column_);
  }

  std::map<const FeatureRef*, Column> join(const ViewRequest& req, core::Progress& progress) {
    const FeatureView& view = *req.view;
    const Source& source = registry_.batch_source(view);
    // The columns to read, by their names in the file (field_mapping renames them).
    std::map<std::string, std::string> file_name;
    for (const auto& [from, to] : source.field_mapping) file_name[to] = from;
    auto in_file = [&](const std::string& name) {
      auto it = file_name.find(name);
      return it == file_name.end() ? name : it->second;
    };
    std::vector<std::string> wanted;
    auto want = [&](const std::string& name) {
      if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) wanted.push_back(name);
    };
    std::vector<std::string> keys = registry_.join_keys(view);
    for (const auto& k : keys) want(k);
    want(source.timestamp_field);
    if (!source.created_timestamp_column.empty()) want(source.created_timestamp_column);
    for (const FeatureRef* f : req.plain) want(f->name);
    for (const FeatureRef* f : req.aggregated)
      if (!f->aggregation->column.empty()) want(f->aggregation->column);
    std::vector<std::string> read_names;
    for (const auto& w : wanted) read_names.push_back(in_file(w));
    table::ReadOptions ro;
    ro.columns = read_names;
    ro.jobs = options_.jobs;
    std::filesystem::path path = registry_.source_path(source, config_.repo_path);
    Table src = table::read_table(path, ro);
    for (size_t i = 0; i < wanted.size(); ++i) src.columns()[i].name = wanted[i];

    KeyIds ids = key_ids(view, keys, src, path);
    const Column& ts = src.column(source.timestamp_field);
    if (ts.type != ColumnType::kTimestamp)
      throw invalid(path.string() + ": timestamp_field '" + source.timestamp_field +
                    "' does not hold timestamps (" + key_type_name(ts) + ")");
    const Column* created = source.created_timestamp_column.empty()
                                ? nullptr
                                : &src.column(source.created_timestamp_column);
    SortedSource sorted = sort_source(ids, ts, created, pool_);

    std::map<const FeatureRef*, Column> out;
    if (!req.plain.empty()) {
      std::vector<int64_t> winner = winners(ids, sorted, view.ttl, progress);
      for (const FeatureRef* f : req.plain) out[f] = gather(src.column(f->name), winner, "", pool_);
    }
    if (!req.aggregated.empty()) aggregate_view(req, ids, sorted, src, created, out);
    return out;
  }

  const std::string& time_column() const { return time_column_; }

 private:
  KeyIds key_ids(const FeatureView& view, const std::vector<std::string>& keys, const Table& src,
                 const std::filesystem::path& path) {
    if (keys.empty()) {  // Feast's dummy entity: every row matches every source row
      KeyIds ids;
      ids.count = 1;
      ids.source.assign(src.num_rows(), 0);
      ids.entity.assign(entities_.num_rows(), 0);
      return ids;
    }
    std::vector<const Column*> s, e;
    for (const std::string& k : keys) {
      std::optional<size_t> idx = entities_.find(k);
      if (!idx) {
        std::string cols;
        for (const auto& c : entities_.columns()) cols += (cols.empty() ? "" : ", ") + c.name;
        throw invalid(file_ + ": join key column '" + k + "' (needed by feature view '" +
                      view.name + "') is missing (columns: " + cols +
                      "); add it to the entity rows");
      }
      const Column& ec = entities_.column(*idx);
      const Column& sc = src.column(k);
      bool both_int = is_integer_key(ec) && is_integer_key(sc);
      bool both_str = ec.type == ColumnType::kString && sc.type == ColumnType::kString;
      if (!both_int && !both_str)
        throw invalid(file_ + ": join key column '" + k + "' holds " + key_type_name(ec) +
                      " but feature view '" + view.name + "' has " + key_type_name(sc) +
                      " keys in " + path.string() + "; write the keys with the same type");
      s.push_back(&sc);
      e.push_back(&ec);
    }
    if (s.size() == 1 && is_integer_key(*s[0])) return integer_keys(*s[0], *e[0], pool_);
    return general_keys(s, e, src.num_rows(), entities_.num_rows());
  }

  std::vector<int64_t> winners(const KeyIds& ids, const SortedSource& sorted, int64_t ttl,
                               core::Progress& progress) {
    const size_t n = entities_.num_rows();
    std::vector<int64_t> winner(n, kNoRow);
    for_chunks(pool_, n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        uint32_t k = ids.entity[i];
        if (k == kNoKey || !time_valid_[i]) continue;
        const int64_t t = times_[i];
        auto first = sorted.ts.begin() + sorted.offsets[k],
             last = sorted.ts.begin() + sorted.offsets[k + 1];
        auto p = std::upper_bound(first, last, t);
        if (p == first) continue;
        --p;
        if (ttl > 0 && *p < t - ttl) continue;
        winner[i] = sorted.order[p - sorted.ts.begin()];
      }
      progress.add(e - b);
    });
    return winner;
  }

  void aggregate_view(const ViewRequest& req, const KeyIds& ids, const SortedSource& sorted,
                      const Table& src, const Column* created,
                      std::map<const FeatureRef*, Column>& out) {
    std::vector<Aggregation> aggs;
    for (const FeatureRef* f : req.aggregated) aggs.push_back(*f->aggregation);
    AggregationPlan plan(aggs);
    const size_t n = entities_.num_rows(), width = plan.columns.size();
    // Event values as doubles, row-major, for WindowState::add.
    std::vector<double> values(src.num_rows() * width, 0);
    std::vector<uint8_t> valid(src.num_rows() * width, 0);
    for (size_t c = 0; c < width; ++c) {
      const Column& col = src.column(plan.columns[c]);
      for (size_t r = 0; r < src.num_rows(); ++r) {
        if (col.is_null(r)) continue;
        double v = col.type == ColumnType::kFloat64 ? col.f64[r]
                   : col.type == ColumnType::kBool  ? col.b[r]
                   : col.type == ColumnType::kInt64 ? static_cast<double>(col.i64[r])
                                                    : 1.0;  // count of a text column: presence
        values[r * width + c] = v;
        valid[r * width + c] = 1;
      }
    }
    // Entity rows grouped by key, in time order within a key.
    std::vector<uint64_t> offsets(ids.count + 1, 0);
    for (size_t i = 0; i < n; ++i)
      if (ids.entity[i] != kNoKey && time_valid_[i]) ++offsets[ids.entity[i] + 1];
    for (size_t k = 0; k < ids.count; ++k) offsets[k + 1] += offsets[k];
    std::vector<uint32_t> rows(offsets.back());
    std::vector<uint64_t> fill(offsets.begin(), offsets.end() - 1);
    for (size_t i = 0; i < n; ++i)
      if (ids.entity[i] != kNoKey && time_valid_[i])
        rows[fill[ids.entity[i]]++] = static_cast<uint32_t>(i);
    std::vector<std::optional<double>> results(n * aggs.size());
    // Rows without a matching key see an empty window.
    std::vector<std::optional<double>> empty(aggs.size());
    {
      AggregationPlan empty_plan(aggs);
      WindowState none(empty_plan);
      none.evaluate(0, empty);
    }
    for (size_t i = 0; i < n; ++i)
      if (ids.entity[i] == kNoKey && time_valid_[i])
        std::copy(empty.begin(), empty.end(), results.begin() + i * aggs.size());
    pool_.parallel_for((ids.count + 1023) / 1024, [&](size_t chunk) {
      size_t kb = chunk * 1024, ke = std::min<size_t>(ids.count, kb + 1024);
      for (size_t k = kb; k < ke; ++k) {
        auto first = rows.begin() + offsets[k], last = rows.begin() + offsets[k + 1];
        if (first == last) continue;
        std::stable_sort(first, last,
                         [&](uint32_t a, uint32_t b) { return times_[a] < times_[b]; });
        WindowState state(plan);
        uint64_t next = sorted.offsets[k];
        for (auto it = first; it != last; ++it) {
          const int64_t t = times_[*it];
          for (; next < sorted.offsets[k + 1] && sorted.ts[next] <= t; ++next) {
            uint32_t r = sorted.order[next];
            int64_t c = created == nullptr || created->is_null(r) ? INT64_MIN : created->i64[r];
            state.add(sorted.ts[next], c, {values.data() + r * width, width},
                      {valid.data() + r * width, width});
          }
          state.evaluate(t, {results.data() + *it * aggs.size(), aggs.size()});
        }
      }
    });
    for (size_t a = 0; a < aggs.size(); ++a) {
      bool integer = aggs[a].type == ValueType::kInt64;
      Column col("", integer ? ColumnType::kInt64 : ColumnType::kFloat64);
      col.valid.assign(n, 0);
      if (integer)
        col.i64.assign(n, 0);
      else
        col.f64.assign(n, 0);
      for (size_t i = 0; i < n; ++i) {
        const auto& v = results[i * aggs.size() + a];
        if (!v) continue;
        col.valid[i] = 1;
        if (integer)
          col.i64[i] = static_cast<int64_t>(*v);
        else
          col.f64[i] = *v;
      }
      out[req.aggregated[a]] = std::move(col);
    }
  }

  const Registry& registry_;
  const FeatureStoreConfig& config_;
  const Table& entities_;
  const std::string& file_;
  const HistoricalOptions& options_;
  core::ThreadPool pool_;
  std::vector<int64_t> times_;
  std::vector<uint8_t> time_valid_;
  std::string time_column_;
};

}  // namespace

table::Table get_historical_features(const Registry& registry, const FeatureStoreConfig& config,
                                     const Table& entities, const std::string& entity_file,
                                     const std::vector<FeatureRef>& features,
                                     const HistoricalOptions& options) {
  // Output names first, so a collision fails before any work.
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (const auto& c : entities.columns()) taken.insert(c.name);
  for (const FeatureRef& f : features) {
    std::string name = options.full_feature_names ? f.view->name + "__" + f.name : f.name;
    if (!taken.insert(name).second)
      throw invalid("feature column '" + name + "' (" + f.reference() +
                    ") collides with another column of the output; " +
                    (options.full_feature_names
                         ? "rename the entity file's column"
                         : "pass --full-feature-names to name features view__feature"));
    names.push_back(name);
  }
  std::vector<ViewRequest> requests;
  for (const FeatureRef& f : features) {
    auto it = std::find_if(requests.begin(), requests.end(),
                           [&](const ViewRequest& r) { return r.view == f.view; });
    if (it == requests.end()) it = requests.insert(requests.end(), ViewRequest{f.view, {}, {}});
    (f.aggregation ? it->aggregated : it->plain).push_back(&f);
  }
  Joiner joiner(registry, config, entities, entity_file, options);
  core::Progress progress("Joining", entities.num_rows() * requests.size(),
                          core::ProgressUnit::kItems, "rows");
  std::map<const FeatureRef*, Column> columns;
  for (const ViewRequest& req : requests) {
    auto part = joiner.join(req, progress);
    if (req.plain.empty()) progress.add(entities.num_rows());
    for (auto& [ref, col] : part) columns[ref] = std::move(col);
  }
  std::vector<Column> out = entities.columns();
  for (size_t i = 0; i < features.size(); ++i) {
    Column& c = columns.at(&features[i]);
    c.name = names[i];
    out.push_back(std::move(c));
  }
  return Table(std::move(out));
}

}  // namespace plinth::features
