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

// One column of a table read in pieces: the same column of every piece, in order.
using Pieces = std::vector<const table::Column*>;

// Strings as a dictionary of the labels used, each value hashed once (CSV), or each entry of a
// piece's own dictionary once (Parquet: every row group may have its own).
void encode_strings(const Pieces& pieces, ColumnSample& s) {
  std::unordered_map<std::string_view, int32_t> index;
  auto code_of = [&](std::string_view v) {
    auto [it, added] = index.try_emplace(v, static_cast<int32_t>(index.size()));
    if (added) s.categories.emplace_back(v);
    return it->second;
  };
  for (const auto* c : pieces) {
    size_t n = c->size();
    if (c->has_dictionary()) {
      std::vector<int32_t> remap(c->dict.size(), -1);
      for (size_t i = 0; i < n; ++i) {
        if (c->is_null(i)) {
          s.codes.push_back(-1);
          continue;
        }
        int32_t& code = remap[c->codes[i]];
        if (code < 0) code = code_of(c->dict[c->codes[i]]);
        s.codes.push_back(code);
      }
      continue;
    }
    for (size_t i = 0; i < n; ++i) s.codes.push_back(c->is_null(i) ? -1 : code_of(c->str[i]));
  }
}

// A numeric piece's values as doubles, NaN for nulls.
void put_numbers(const table::Column& c, double* out) {
  size_t n = c.size();
  switch (c.type) {
    case ColumnType::kFloat64:
      std::copy(c.f64.begin(), c.f64.begin() + n, out);
      break;
    case ColumnType::kBool:
      for (size_t i = 0; i < n; ++i) out[i] = c.b[i];
      break;
    default:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(c.i64[i]);
  }
  if (!c.valid.empty())
    for (size_t i = 0; i < n; ++i)
      if (!c.valid[i]) out[i] = NAN;
}

ColumnSample sample_of(const Pieces& pieces, ColumnKind kind) {
  ColumnSample s;
  s.name = pieces.front()->name;
  s.kind = kind;
  s.values_are_numbers = pieces.front()->type != ColumnType::kString;
  size_t rows = 0;
  for (const auto* c : pieces) rows += c->size();
  if (!s.values_are_numbers) {
    s.codes.reserve(rows);
    encode_strings(pieces, s);
    return s;
  }
  s.numbers.resize(rows);
  double* out = s.numbers.data();
  for (const auto* c : pieces) {
    put_numbers(*c, out);
    out += c->size();
  }
  return s;
}

// How pandas sees a column Evidently types by its dtype: an integer or boolean column with a
// missing value becomes float64 or object.
struct PandasView {
  bool numeric = false, integer = false;
  size_t distinct = 0;  // non-missing
  double min = INFINITY, max = -INFINITY;
};

PandasView pandas_view(ColumnType type, std::initializer_list<const ColumnSample*> samples) {
  PandasView v;
  if (type == ColumnType::kString) return v;
  bool nulls = false;
  std::unordered_set<double> seen;
  for (const ColumnSample* s : samples)
    for (double x : s->numbers) {
      if (std::isnan(x)) {
        nulls = true;
        continue;
      }
      seen.insert(x);
      v.min = std::min(v.min, x);
      v.max = std::max(v.max, x);
    }
  v.numeric = type != ColumnType::kBool || !nulls;
  v.integer = type == ColumnType::kInt64 && !nulls;
  v.distinct = seen.size();
  return v;
}

// Evidently's typing of a column mapping's target and prediction (recognize_task and
// recognize_column_type_): the task is regression when the target is a number column with at
// least 5 distinct reference values, else classification; the target is numerical for
// regression; the prediction too, or without a target when it has more than 5 distinct values,
// or when it is a non-integer number column within [0, 1] (a probability).
ColumnKind role_kind(bool is_target, ColumnType type, const ColumnSample& r, const ColumnSample& c,
                     std::optional<bool> regression) {
  if (is_target)
    return regression.value_or(false) ? ColumnKind::kNumerical : ColumnKind::kCategorical;
  PandasView both = pandas_view(type, {&r, &c});
  bool numerical = (regression && *regression) ||
                   (!regression && both.numeric && both.distinct > 5) ||
                   (both.numeric && !both.integer && both.min >= 0 && both.max <= 1);
  return numerical ? ColumnKind::kNumerical : ColumnKind::kCategorical;
}

// "a, b, c" (the first 20 names, then how many more).
std::string column_list(const table::Table& t) {
  std::string out;
  size_t shown = 0;
  for (const auto& c : t.columns()) {
    if (shown == 20) return out + ", and " + std::to_string(t.columns().size() - 20) + " more";
    out += (shown++ ? ", " : "") + c.name;
  }
  return out.empty() ? "no columns" : out;
}

}  // namespace

ColumnSample sample_of(const table::Column& column, ColumnKind kind) {
  return sample_of(Pieces{&column}, kind);
}

ColumnSelection select_columns(const std::vector<table::Table>& reference_pieces,
                               const std::vector<table::Table>& current_pieces,
                               const std::vector<std::string>& wanted,
                               const std::string& reference_name, const std::string& current_name,
                               const Roles& roles) {
  if (reference_pieces.empty() || current_pieces.empty())
    throw Error(ErrorCode::kInternal, "select_columns needs at least one table of each file");
  const table::Table &reference = reference_pieces.front(), &current = current_pieces.front();
  std::vector<std::string> names = wanted;
  if (names.empty())
    for (const auto& c : reference.columns())
      if (current.find(c.name)) names.push_back(c.name);
  bool explicitly = !wanted.empty();
  if (names.empty())
    throw Error(ErrorCode::kInvalidInput,
                "no column is in both files: " + reference_name + " has " + column_list(reference) +
                    "; " + current_name + " has " + column_list(current) +
                    ". Compare files of the same data, or rename the columns so they match");
  // Checks first, in column order, so the first bad column is the one named.
  std::vector<std::pair<size_t, size_t>> pairs;  // column index in the reference, the current
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
    pairs.emplace_back(*r_index, *c_index);
  }
  std::optional<bool> regression;  // Evidently's task, known when a target is named
  if (auto t = roles.target.empty() ? std::nullopt : reference.find(roles.target)) {
    Pieces r;
    for (const auto& piece : reference_pieces) r.push_back(&piece.column(*t));
    ColumnSample target = sample_of(r, ColumnKind::kNumerical);
    PandasView v = pandas_view(r.front()->type, {&target});
    regression = v.numeric && v.distinct >= 5;
  }
  // Counting distinct values and copying samples is a pass over every row: one column per core.
  std::vector<std::optional<std::pair<ColumnSample, ColumnSample>>> samples(pairs.size());
  std::vector<std::string> why_skipped(pairs.size());
  core::ThreadPool pool(std::min(core::default_jobs(), std::max<size_t>(pairs.size(), 1)));
  pool.parallel_for(pairs.size(), [&](size_t k) {
    Pieces r, c;
    for (const auto& t : reference_pieces) r.push_back(&t.column(pairs[k].first));
    for (const auto& t : current_pieces) c.push_back(&t.column(pairs[k].second));
    ColumnType type = r.front()->type;
    const std::string& name = r.front()->name;
    if (type == ColumnType::kTimestamp) {
      why_skipped[k] = name + " (timestamp)";
      return;
    }
    // Evidently's DataDriftPreset without a column mapping: every number column numerical.
    ColumnKind kind = type == ColumnType::kFloat64 || type == ColumnType::kInt64
                          ? ColumnKind::kNumerical
                          : ColumnKind::kCategorical;
    samples[k].emplace(sample_of(r, kind), sample_of(c, kind));
    if (name == roles.target || name == roles.prediction) {
      auto& [rs, cs] = *samples[k];
      rs.kind = cs.kind = role_kind(name == roles.target, type, rs, cs, regression);
    }
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
  if (out.reference.empty())
    throw Error(ErrorCode::kInvalidInput, "no column of " + reference_name + " and " +
                                              current_name + " can be tested: skipped " +
                                              out.skipped.front() +
                                              (out.skipped.size() > 1 ? " and others" : "") +
                                              "; drift tests take numbers, strings and booleans");
  return out;
}

}  // namespace plinth::monitor
