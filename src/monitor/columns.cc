#include "monitor/columns.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/thread_pool.h"

namespace plinth::monitor {
namespace {

using table::ColumnType;

size_t distinct_integers(const table::Column& c) {
  std::unordered_set<int64_t> ints;
  for (size_t i = 0; i < c.size(); ++i)
    if (!c.is_null(i)) ints.insert(c.i64[i]);
  return ints.size();
}

// Distinct labels among the rows of a string sample.
size_t distinct_labels(const ColumnSample& s) {
  std::vector<uint8_t> used(s.categories.size());
  for (int32_t code : s.codes)
    if (code >= 0) used[code] = 1;
  std::unordered_set<std::string_view> labels;
  for (size_t k = 0; k < used.size(); ++k)
    if (used[k]) labels.insert(s.categories[k]);
  return labels.size();
}

// Strings as a dictionary, through the column's own when it has one (Parquet), else by hashing
// each value once (CSV).
void encode_strings(const table::Column& c, ColumnSample& s) {
  size_t n = c.size();
  s.codes.resize(n);
  if (c.has_dictionary()) {
    for (size_t k = 0; k < c.dict.size(); ++k) s.categories.emplace_back(c.dict[k]);
    for (size_t i = 0; i < n; ++i) s.codes[i] = c.is_null(i) ? -1 : c.codes[i];
    return;
  }
  std::unordered_map<std::string_view, int32_t> index;
  for (size_t i = 0; i < n; ++i) {
    if (c.is_null(i)) {
      s.codes[i] = -1;
      continue;
    }
    auto [it, added] = index.try_emplace(c.str[i], static_cast<int32_t>(index.size()));
    if (added) s.categories.emplace_back(it->first);
    s.codes[i] = it->second;
  }
}

}  // namespace

ColumnSample sample_of(const table::Column& c, ColumnKind kind) {
  ColumnSample s;
  s.name = c.name;
  s.kind = kind;
  s.values_are_numbers = c.type != ColumnType::kString;
  size_t n = c.size();
  if (c.type == ColumnType::kString) {
    encode_strings(c, s);
    return s;
  }
  s.numbers.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (c.is_null(i)) {
      s.numbers[i] = NAN;
      continue;
    }
    switch (c.type) {
      case ColumnType::kFloat64:
        s.numbers[i] = c.f64[i];
        break;
      case ColumnType::kBool:
        s.numbers[i] = c.b[i];
        break;
      default:
        s.numbers[i] = static_cast<double>(c.i64[i]);
    }
  }
  return s;
}

ColumnSelection select_columns(const table::Table& reference, const table::Table& current,
                               const std::vector<std::string>& wanted,
                               const std::string& reference_name, const std::string& current_name) {
  std::vector<std::string> names = wanted;
  if (names.empty())
    for (const auto& c : reference.columns())
      if (current.find(c.name)) names.push_back(c.name);
  bool explicitly = !wanted.empty();
  // Checks first, in column order, so the first bad column is the one named.
  std::vector<std::pair<const table::Column*, const table::Column*>> pairs;
  for (const auto& name : names) {
    const auto r_index = reference.find(name), c_index = current.find(name);
    if (!r_index || !c_index)
      throw Error(ErrorCode::kNotFound, "column '" + name + "' is not in " +
                                            (!r_index ? reference_name : current_name) +
                                            "; check --columns");
    const table::Column& r = reference.column(*r_index);
    const table::Column& c = current.column(*c_index);
    bool numeric_r = r.type != ColumnType::kString, numeric_c = c.type != ColumnType::kString;
    if (numeric_r != numeric_c ||
        (r.type == ColumnType::kTimestamp) != (c.type == ColumnType::kTimestamp))
      throw Error(ErrorCode::kInvalidInput,
                  "column '" + name + "' is " + std::string(table::type_name(r.type)) + " in " +
                      reference_name + " but " + std::string(table::type_name(c.type)) + " in " +
                      current_name + "; both files need the same type");
    if (r.type == ColumnType::kTimestamp && explicitly)
      throw Error(ErrorCode::kInvalidInput,
                  "column '" + name + "' holds timestamps, which drift tests do not take");
    pairs.emplace_back(&r, &c);
  }
  // Counting distinct values and copying samples is a pass over every row: one column per core.
  std::vector<std::optional<std::pair<ColumnSample, ColumnSample>>> samples(pairs.size());
  std::vector<std::string> why_skipped(pairs.size());
  core::ThreadPool pool(std::min(core::default_jobs(), std::max<size_t>(pairs.size(), 1)));
  pool.parallel_for(pairs.size(), [&](size_t k) {
    const table::Column &r = *pairs[k].first, &c = *pairs[k].second;
    if (r.type == ColumnType::kTimestamp) {
      why_skipped[k] = r.name + " (timestamp)";
      return;
    }
    ColumnKind kind = ColumnKind::kCategorical;
    if (r.type == ColumnType::kFloat64) kind = ColumnKind::kNumerical;
    if (r.type == ColumnType::kInt64 && distinct_integers(r) > 5) kind = ColumnKind::kNumerical;
    ColumnSample reference_sample = sample_of(r, kind);
    if (r.type == ColumnType::kString && !explicitly) {
      size_t distinct = distinct_labels(reference_sample);
      if (static_cast<double>(distinct) > 0.5 * static_cast<double>(r.size() - r.null_count())) {
        why_skipped[k] =
            r.name + " (identifier or text: " + std::to_string(distinct) + " distinct values)";
        return;
      }
    }
    samples[k].emplace(std::move(reference_sample), sample_of(c, kind));
  });
  ColumnSelection out;
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (!samples[k]) {
      out.skipped.push_back(std::move(why_skipped[k]));
      continue;
    }
    out.reference.push_back(std::move(samples[k]->first));
    out.current.push_back(std::move(samples[k]->second));
  }
  return out;
}

}  // namespace plinth::monitor
