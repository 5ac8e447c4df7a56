#include "model/preprocess.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "monitor/quality.h"

namespace plinth::model {
using table::ColumnType;
using Kind = FeatureSpec::Kind;

std::vector<FeatureSpec> fit_preprocessing(const table::Table& t,
                                           const std::vector<std::string>& columns,
                                           const PreprocessOptions& options) {
  std::vector<FeatureSpec> specs;
  for (const auto& name : columns) {
    const table::Column& c = t.column(name);
    FeatureSpec f;
    f.column = name;
    f.type = c.type;
    if (c.type == ColumnType::kString) {
      f.kind = options.one_hot ? Kind::kOneHot : Kind::kOrdinal;
      std::set<std::string, std::less<>> seen;
      for (size_t i = 0; i < c.size(); ++i)
        if (!c.is_null(i)) seen.emplace(c.string_at(i));
      f.categories.assign(seen.begin(), seen.end());
    } else {
      std::vector<double> v = monitor::numeric_values(c, "the training data");
      if (auto m = options.missing.find(name); m != options.missing.end()) f.missing = m->second;
      if (options.standardize) {
        double n = 0, sum = 0, sq = 0;
        for (double x : v)
          if (!std::isnan(x)) n += 1, sum += x;
        f.mean = n > 0 ? sum / n : 0;
        for (double x : v)
          if (!std::isnan(x)) sq += (x - f.mean) * (x - f.mean);
        double sd = n > 0 ? std::sqrt(sq / n) : 0;
        f.scale = sd > 0 ? sd : 1;
        f.kind = Kind::kStandardized;
      }
    }
    specs.push_back(std::move(f));
  }
  return specs;
}

std::vector<std::string> feature_names(const std::vector<FeatureSpec>& specs) {
  std::vector<std::string> names;
  for (const auto& f : specs) {
    if (f.kind == Kind::kOneHot)
      for (const auto& c : f.categories) names.push_back(f.column + "=" + c);
    else
      names.push_back(f.column);
  }
  return names;
}

void check_inputs(const std::vector<FeatureSpec>& specs, const table::Schema& schema,
                  const std::string& source) {
  std::vector<std::string> missing;
  for (const auto& f : specs) {
    auto it = std::find_if(schema.begin(), schema.end(),
                           [&](const table::Field& x) { return x.name == f.column; });
    if (it == schema.end()) {
      missing.push_back(f.column);
      continue;
    }
    bool text = f.kind == Kind::kOneHot || f.kind == Kind::kOrdinal ||
                (f.kind == Kind::kPassthrough && f.type == ColumnType::kString);
    if (!text && (it->type == ColumnType::kString || it->type == ColumnType::kTimestamp))
      throw Error(ErrorCode::kInvalidInput,
                  "column '" + f.column + "' in " + source + " is " +
                      std::string(table::type_name(it->type)) +
                      " but the model reads it as a number; fix the column's values");
  }
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  throw Error(ErrorCode::kNotFound, source + " lacks the column" +
                                        (missing.size() > 1 ? "s " : " ") + list +
                                        " that the model's signature needs");
}

namespace {

// The category index of every row of a string column, -1 for unknown, -2 for null; looked up
// once per dictionary entry when the column is dictionary-encoded.
std::vector<int32_t> category_codes(const FeatureSpec& f, const table::Column& c) {
  std::unordered_map<std::string_view, int32_t> index;
  for (size_t k = 0; k < f.categories.size(); ++k)
    index.emplace(f.categories[k], static_cast<int32_t>(k));
  auto lookup = [&](std::string_view s) {
    auto it = index.find(s);
    return it == index.end() ? -1 : it->second;
  };
  std::vector<int32_t> codes(c.size());
  if (c.has_dictionary()) {
    std::vector<int32_t> dict(c.dict.size());
    for (size_t d = 0; d < dict.size(); ++d) dict[d] = lookup(c.dict[d]);
    for (size_t i = 0; i < c.size(); ++i) codes[i] = c.is_null(i) ? -2 : dict[c.codes[i]];
  } else {
    for (size_t i = 0; i < c.size(); ++i) codes[i] = c.is_null(i) ? -2 : lookup(c.str[i]);
  }
  return codes;
}

}  // namespace

FeatureMatrix transform(const std::vector<FeatureSpec>& specs, const table::Table& t,
                        const std::string& source) {
  check_inputs(specs, t.schema(), source);
  FeatureMatrix m;
  m.rows = t.num_rows();
  for (const auto& f : specs) m.cols += f.kind == Kind::kOneHot ? f.categories.size() : 1;
  m.values.assign(m.rows * m.cols, 0.0f);
  size_t col = 0;
  for (const auto& f : specs) {
    const table::Column& c = t.column(f.column);
    float* out = m.values.data() + col;
    if (f.kind == Kind::kOneHot || f.kind == Kind::kOrdinal) {
      if (c.type != ColumnType::kString)
        throw Error(ErrorCode::kInvalidInput, "column '" + f.column + "' in " + source + " is " +
                                                  std::string(table::type_name(c.type)) +
                                                  "; the model expects categories (text)");
      std::vector<int32_t> codes = category_codes(f, c);
      size_t unknown = 0;
      for (size_t i = 0; i < m.rows; ++i) {
        float* row = out + i * m.cols;
        int32_t code = codes[i];
        if (code == -1) ++unknown;
        if (f.kind == Kind::kOrdinal) {
          row[0] = code == -2   ? NAN
                   : code == -1 ? static_cast<float>(f.categories.size())
                                : static_cast<float>(code);
        } else if (code == -2) {
          for (size_t k = 0; k < f.categories.size(); ++k) row[k] = NAN;
        } else if (code >= 0) {
          row[code] = 1.0f;
        }
      }
      if (unknown) m.unknown[f.column] += unknown;
      col += f.kind == Kind::kOneHot ? f.categories.size() : 1;
      continue;
    }
    std::vector<double> v = monitor::numeric_values(c, source);
    for (size_t i = 0; i < m.rows; ++i) {
      double x = v[i];
      if (std::isnan(x) && f.missing) x = *f.missing;
      if (f.kind == Kind::kStandardized) x = (x - f.mean) / f.scale;
      out[i * m.cols] = static_cast<float>(x);
    }
    ++col;
  }
  return m;
}

}  // namespace plinth::model
