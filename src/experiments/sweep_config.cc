#include "experiments/sweep_config.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::experiments {
namespace {

using pipeline::Value;

[[noreturn]] void fail(const std::string& where, const std::string& key, const std::string& what) {
  throw Error(ErrorCode::kInvalidInput, where + ": " + key + ": " + what);
}

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string show(const Value& v) { return pipeline::python_str(v); }

bool is_number(const Value& v) { return v.is_number(); }  // nlohmann: booleans are not numbers
bool is_int(const Value& v) { return v.is_number_integer(); }

// One of W&B's parameter schemas (schema.json "definitions"), checked the way jsonschema
// checks it: only its keys, its required keys, its types and bounds.
struct ParamSchema {
  Distribution distribution;
  const char* name;               // the `distribution:` value
  std::vector<std::string> keys;  // allowed besides "distribution"
  std::vector<std::string> required;
  bool distribution_required;
};

const std::vector<ParamSchema>& schemas() {
  static const std::vector<ParamSchema> kSchemas = {
      {Distribution::kQBeta, "q_beta", {"a", "b", "q"}, {}, true},
      {Distribution::kBeta, "beta", {"a", "b"}, {}, true},
      {Distribution::kCategorical, "categorical", {"values"}, {"values"}, false},
      {Distribution::kCategoricalWithProbabilities,
       "categorical_w_probabilities",
       {"values", "probabilities"},
       {"values", "probabilities"},
       false},
      {Distribution::kIntUniform, "int_uniform", {"min", "max"}, {"min", "max"}, false},
      {Distribution::kUniform, "uniform", {"min", "max"}, {"min", "max"}, false},
      {Distribution::kLogNormal, "log_normal", {"mu", "sigma"}, {}, true},
      {Distribution::kNormal, "normal", {"mu", "sigma"}, {}, true},
      {Distribution::kQLogNormal, "q_log_normal", {"mu", "sigma", "q"}, {}, true},
      {Distribution::kQNormal, "q_normal", {"mu", "sigma", "q"}, {}, true},
      {Distribution::kQUniform, "q_uniform", {"min", "max", "q"}, {"min", "max"}, true},
      {Distribution::kConstant, "constant", {"value"}, {"value"}, false},
      {Distribution::kInvLogUniformValues,
       "inv_log_uniform_values",
       {"min", "max"},
       {"min", "max"},
       true},
      {Distribution::kLogUniformValues, "log_uniform_values", {"min", "max"}, {"min", "max"}, true},
      {Distribution::kQLogUniformValues,
       "q_log_uniform_values",
       {"min", "max", "q"},
       {"min", "max"},
       true},
  };
  return kSchemas;
}

// W&B's deprecated log distributions (min/max are exponents); its validator refuses them.
const std::map<std::string, std::string>& deprecated() {
  static const std::map<std::string, std::string> kDeprecated = {
      {"log_uniform", "log_uniform_values"},
      {"inv_log_uniform", "inv_log_uniform_values"},
      {"q_log_uniform", "q_log_uniform_values"},
  };
  return kDeprecated;
}

std::vector<std::string> distribution_names() {
  std::vector<std::string> names;
  for (const auto& s : schemas()) names.push_back(s.name);
  return names;
}

// Why `param` does not fit `schema`, or "" when it does.
std::string mismatch(const ParamSchema& schema, const Value& param) {
  if (param.contains("distribution") && param["distribution"] != schema.name)
    return "distribution is not " + std::string(schema.name);
  if (schema.distribution_required && !param.contains("distribution"))
    return std::string("distribution: ") + schema.name + " is required";
  for (auto it = param.begin(); it != param.end(); ++it) {
    if (it.key() == "distribution") continue;
    if (std::find(schema.keys.begin(), schema.keys.end(), it.key()) == schema.keys.end())
      return "unknown key '" + it.key() + "' (a " + schema.name + " parameter takes " +
             join(schema.keys) + ")";
  }
  for (const auto& key : schema.required)
    if (!param.contains(key))
      return "'" + key + "' is missing (a " + schema.name + " parameter needs " +
             join(schema.required) + ")";
  for (auto it = param.begin(); it != param.end(); ++it) {
    const std::string& key = it.key();
    const Value& v = it.value();
    if (key == "distribution" || key == "value") continue;
    if (key == "values") {
      if (!v.is_array() || v.empty()) return "values must be a non-empty list";
      continue;
    }
    if (key == "probabilities") {
      if (!v.is_array() || v.empty()) return "probabilities must be a non-empty list";
      for (const auto& p : v)
        if (!is_number(p) || p.get<double>() < 0)
          return "probabilities must be numbers >= 0, not " + show(p);
      continue;
    }
    if (schema.distribution == Distribution::kIntUniform) {
      if (!is_int(v))
        return key + " must be an integer for int_uniform, not " + show(v) +
               " (write both min and max as floats, e.g. 1.0, for a uniform float)";
      continue;
    }
    if (!is_number(v)) return key + " must be a number, not " + show(v);
    double d = v.get<double>();
    if ((key == "sigma" || key == "a" || key == "b") && d < 0) return key + " must be >= 0";
    if (key == "q" && d <= 0) return "q must be > 0";
    if (key == "min" && d <= 0 &&
        (schema.distribution == Distribution::kLogUniformValues ||
         schema.distribution == Distribution::kInvLogUniformValues ||
         schema.distribution == Distribution::kQLogUniformValues))
      return "min must be > 0 for " + std::string(schema.name);
  }
  // W&B infers uniform from min/max without a distribution only when one bound is a float
  // (both integers: int_uniform, tried first).
  if (schema.distribution == Distribution::kUniform && !param.contains("distribution") &&
      !param["min"].is_number_float() && !param["max"].is_number_float())
    return "min and max are both integers";
  return "";
}

Parameter make_parameter(const std::string& name, const ParamSchema& schema, const Value& p,
                         const std::string& where) {
  Parameter out;
  out.name = name;
  out.distribution = schema.distribution;
  auto num = [&](const char* key, double fallback) {
    return p.contains(key) ? p[key].get<double>() : fallback;
  };
  if (p.contains("value")) out.value = p["value"];
  if (p.contains("values"))
    for (const auto& v : p["values"]) out.values.push_back(v);
  if (p.contains("probabilities")) {
    double sum = 0;
    for (const auto& v : p["probabilities"]) {
      out.probabilities.push_back(v.get<double>());
      sum += out.probabilities.back();
    }
    if (out.probabilities.size() != out.values.size())
      fail(where, "parameters." + name,
           "values and probabilities are not the same length (" +
               std::to_string(out.values.size()) + " and " +
               std::to_string(out.probabilities.size()) + ")");
    // numpy.isclose(sum, 1.0): |sum - 1| <= 1e-8 + 1e-5
    if (std::abs(sum - 1.0) > 1e-8 + 1e-5)
      fail(where, "parameters." + name + ".probabilities",
           "probabilities sum to " + pipeline::python_float_repr(sum) + "; they must sum to 1");
  }
  out.min = num("min", 0);
  out.max = num("max", 0);
  if (p.contains("min") && p.contains("max")) {
    out.integer_bounds = is_int(p["min"]) && is_int(p["max"]);
    if (out.min >= out.max)
      fail(where, "parameters." + name,
           "min " + show(p["min"]) + " is not less than max " + show(p["max"]));
  }
  out.q = num("q", 1.0);
  out.integer_q = p.contains("q") && is_int(p["q"]);
  out.mu = num("mu", 0);
  out.sigma = num("sigma", 1);
  out.a = num("a", 1);
  out.b = num("b", 1);
  return out;
}

// The schema a user most likely meant, to explain why `param` fits none.
const ParamSchema* intended(const Value& param) {
  auto by = [](Distribution d) {
    for (const auto& s : schemas())
      if (s.distribution == d) return &s;
    return static_cast<const ParamSchema*>(nullptr);
  };
  if (param.contains("distribution")) {
    for (const auto& s : schemas())
      if (param["distribution"] == s.name) return &s;
    return nullptr;
  }
  if (param.contains("probabilities")) return by(Distribution::kCategoricalWithProbabilities);
  if (param.contains("values")) return by(Distribution::kCategorical);
  if (param.contains("value")) return by(Distribution::kConstant);
  if (param.contains("min") || param.contains("max")) {
    bool floats = (param.contains("min") && param["min"].is_number_float()) ||
                  (param.contains("max") && param["max"].is_number_float());
    return by(floats ? Distribution::kUniform : Distribution::kIntUniform);
  }
  return nullptr;
}

void add_parameters(const Value& section, const std::string& prefix, const std::string& where,
                    std::vector<Parameter>& out) {
  static const std::regex kName("^[A-Za-z_][A-Za-z0-9_.-]*$");
  std::string key_path = prefix.empty() ? "parameters" : "parameters." + prefix + "parameters";
  if (!section.is_object() || section.empty())
    fail(where, key_path, "must be a mapping of parameter names to their settings");
  std::vector<std::string> names;
  for (auto it = section.begin(); it != section.end(); ++it) names.push_back(it.key());
  std::sort(names.begin(), names.end());  // W&B sorts parameters at every nesting level
  for (const auto& key : names) {
    std::string name = prefix + key;
    std::string at = "parameters." + name;
    if (!std::regex_match(key, kName))
      fail(where, at, "a parameter name must match [A-Za-z_][A-Za-z0-9_.-]*");
    const Value& p = section[key];
    if (!p.is_object())
      fail(where, at,
           "must be a mapping such as {values: [...]}, {value: x}, {min: a, max: b} or "
           "{distribution: ..., ...}; got " +
               show(p));
    if (p.contains("distribution")) {
      if (!p["distribution"].is_string())
        fail(where, at + ".distribution", "must be a name: " + join(distribution_names()));
      auto dep = deprecated().find(p["distribution"].get<std::string>());
      if (dep != deprecated().end())
        fail(where, at + ".distribution",
             "uses " + dep->first + ", where min/max specify base-e exponents. Use " + dep->second +
                 " to specify limit values.");
    }
    if (p.contains("parameters")) {
      if (p.size() != 1)
        fail(where, at, "a parameter with nested `parameters:` takes no other keys");
      add_parameters(p["parameters"], name + ".", where, out);
      continue;
    }
    const ParamSchema* match = nullptr;
    for (const auto& schema : schemas())
      if (mismatch(schema, p).empty()) {
        match = &schema;
        break;
      }
    if (match) {
      out.push_back(make_parameter(name, *match, p, where));
      continue;
    }
    const ParamSchema* meant = intended(p);
    if (p.contains("distribution") && !meant)
      fail(where, at + ".distribution",
           "'" + show(p["distribution"]) + "' is not a distribution; use one of " +
               join(distribution_names()));
    if (!meant)
      fail(where, at,
           "cannot tell the parameter's type; give values: [...], value: x, min and max, or "
           "distribution: one of " +
               join(distribution_names()));
    fail(where, at, mismatch(*meant, p));
  }
}

}  // namespace

const char* distribution_name(Distribution d) {
  for (const auto& s : schemas())
    if (s.distribution == d) return s.name;
  return "constant";
}

Hyperband hyperband_from_config(const Value& et, const std::string& where) {
  static const std::set<std::string> kKeys = {"type", "max_iter", "min_iter", "s", "eta", "strict"};
  if (!et.is_object()) fail(where, "early_terminate", "must be a mapping {type: hyperband, ...}");
  for (auto it = et.begin(); it != et.end(); ++it)
    if (!kKeys.count(it.key()))
      fail(where, "early_terminate." + it.key(),
           "unknown key; early_terminate takes type, min_iter, max_iter, s, eta, strict");
  if (!et.contains("type") || et["type"] != "hyperband")
    fail(where, "early_terminate.type",
         (et.contains("type") ? "'" + show(et["type"]) + "' is not supported" : "is missing") +
             "; the allowed value is hyperband");
  Hyperband hb;
  if (et.contains("eta")) {
    if (!is_number(et["eta"]) || et["eta"].get<double>() <= 1)
      fail(where, "early_terminate.eta", "must be a number > 1, not " + show(et["eta"]));
    hb.eta = et["eta"].get<double>();
  }
  if (et.contains("strict")) {
    if (!et["strict"].is_boolean())
      fail(where, "early_terminate.strict", "must be true or false, not " + show(et["strict"]));
    hb.strict = et["strict"].get<bool>();
  }
  for (const char* key : {"max_iter", "min_iter"})
    if (et.contains(key) && !is_int(et[key]))
      fail(where, std::string("early_terminate.") + key,
           "must be an integer, not " + show(et[key]));
  if (et.contains("s") &&
      !(is_number(et["s"]) && std::floor(et["s"].get<double>()) == et["s"].get<double>()))
    fail(where, "early_terminate.s", "must be a whole number, not " + show(et["s"]));
  if (et.contains("max_iter") && et.contains("s")) {
    // W&B: band = max_iter; s times: band /= eta; stop below 1; keep int(band); sort.
    double band = et["max_iter"].get<double>();
    long long s = et["s"].get<long long>();
    for (long long i = 0; i < s; ++i) {
      band /= hb.eta;
      if (band < 1) break;
      hb.bands.push_back(static_cast<long long>(band));
    }
    std::sort(hb.bands.begin(), hb.bands.end());
    if (hb.bands.empty())
      fail(where, "early_terminate",
           "gives no bands (max_iter/eta < 1); increase max_iter or s, or decrease eta");
  } else if (et.contains("max_iter")) {
    fail(where, "early_terminate.s", "is missing; max_iter needs s (or give min_iter instead)");
  } else if (et.contains("min_iter")) {
    long long min_iter = et["min_iter"].get<long long>();
    if (min_iter < 1) fail(where, "early_terminate.min_iter", "must be >= 1");
    // W&B: 100 bands min_iter·eta^k; those beyond any run's length never apply.
    double band = static_cast<double>(min_iter);
    for (int i = 0; i < 100 && band < 9e15; ++i) {
      hb.bands.push_back(static_cast<long long>(band));
      band *= hb.eta;
    }
  } else {
    fail(where, "early_terminate", "needs min_iter (or max_iter and s)");
  }
  return hb;
}

SweepConfig parse_sweep_config(const Value& doc, const std::string& where) {
  static const std::vector<std::string> kKeys = {
      "method",  "metric",     "parameters", "early_terminate", "command",
      "program", "name",       "run_cap",    "description",     "project",
      "entity",  "controller", "kind",       "apiVersion"};
  static const std::set<std::string> kUnsupported = {"job", "image_uri", "scheduler", "metrics"};
  if (!doc.is_object())
    throw Error(ErrorCode::kInvalidInput,
                where +
                    ": a sweep configuration is a mapping with method, metric and "
                    "parameters");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (kUnsupported.count(it.key()))
      fail(where, it.key(),
           "is W&B Launch / custom-scheduler configuration, which plinth sweep does not run; "
           "remove it");
    if (std::find(kKeys.begin(), kKeys.end(), it.key()) == kKeys.end())
      fail(where, it.key(), "unknown key; a sweep configuration takes " + join(kKeys));
  }
  SweepConfig cfg;
  if (!doc.contains("method"))
    fail(where, "method", "is missing; the allowed values are grid, random, bayes");
  const Value& method = doc["method"];
  if (method == "grid")
    cfg.method = SearchMethod::kGrid;
  else if (method == "random")
    cfg.method = SearchMethod::kRandom;
  else if (method == "bayes")
    cfg.method = SearchMethod::kBayes;
  else
    fail(where, "method", "'" + show(method) + "' is not allowed; use grid, random or bayes");

  if (doc.contains("name")) {
    if (!doc["name"].is_string()) fail(where, "name", "must be a string");
    cfg.name = doc["name"].get<std::string>();
  }
  if (doc.contains("metric")) {
    const Value& m = doc["metric"];
    if (!m.is_object()) fail(where, "metric", "must be a mapping {name: ..., goal: minimize}");
    for (auto it = m.begin(); it != m.end(); ++it)
      if (it.key() != "name" && it.key() != "goal" && it.key() != "target" &&
          it.key() != "impute" && it.key() != "impute_while_running")
        fail(where, "metric." + it.key(),
             "unknown key; metric takes name, goal, target, impute, impute_while_running");
    if (!m.contains("name") || !m["name"].is_string() || m["name"].get<std::string>().empty())
      fail(where, "metric.name",
           "is missing; name the metric to optimise (a key of the "
           "pipeline's metrics files)");
    cfg.metric = m["name"].get<std::string>();
    if (m.contains("goal")) {
      if (m["goal"] == "minimize")
        cfg.goal = Goal::kMinimize;
      else if (m["goal"] == "maximize")
        cfg.goal = Goal::kMaximize;
      else
        fail(where, "metric.goal",
             "'" + show(m["goal"]) + "' is not allowed; use minimize or maximize");
    }
    if (m.contains("target")) {
      if (!is_number(m["target"])) fail(where, "metric.target", "must be a number");
      cfg.target = m["target"].get<double>();
    }
  }
  if (!doc.contains("parameters"))
    fail(where, "parameters", "is missing; give at least one parameter to sweep");
  add_parameters(doc["parameters"], "", where, cfg.parameters);

  if (doc.contains("early_terminate")) {
    cfg.early_terminate = hyperband_from_config(doc["early_terminate"], where);
    if (cfg.metric.empty())
      fail(where, "metric", "is missing; early_terminate needs the metric to compare runs on");
  }
  if (cfg.method == SearchMethod::kBayes && cfg.metric.empty())
    fail(where, "metric", "is missing; bayes search needs a metric to optimise");
  if (cfg.method == SearchMethod::kGrid)
    for (const auto& p : cfg.parameters)
      if (p.distribution != Distribution::kCategorical &&
          p.distribution != Distribution::kConstant &&
          p.distribution != Distribution::kIntUniform && p.distribution != Distribution::kQUniform)
        fail(where, "parameters." + p.name,
             std::string("is ") + distribution_name(p.distribution) +
                 ", which grid search cannot enumerate; grid needs values, value, int_uniform "
                 "or q_uniform (or use method: random or bayes)");

  if (doc.contains("command")) {
    const Value& c = doc["command"];
    if (!c.is_array() || c.empty())
      fail(where, "command", "must be a non-empty list, e.g. [python, train.py, ${args}]");
    for (const auto& part : c) {
      if (!part.is_string() && !part.is_number())
        fail(where, "command", "entries must be strings, not " + show(part));
      cfg.command.push_back(part.is_string() ? part.get<std::string>() : show(part));
    }
  }
  if (doc.contains("program")) {
    if (!doc["program"].is_string()) fail(where, "program", "must be a path to a script");
    cfg.program = doc["program"].get<std::string>();
  }
  if (doc.contains("run_cap")) {
    if (!is_int(doc["run_cap"]) || doc["run_cap"].get<long long>() <= 0)
      fail(where, "run_cap", "must be an integer > 0");
    cfg.run_cap = doc["run_cap"].get<long long>();
  }
  return cfg;
}

SweepConfig load_sweep_config(const std::filesystem::path& path) {
  std::string text;
  try {
    text = core::read_file(path);
  } catch (const Error& e) {
    throw Error(ErrorCode::kNotFound, e.what() + std::string("; give the sweep file's path"));
  }
  return parse_sweep_config(pipeline::parse_structured(text, path.string()), path.string());
}

}  // namespace plinth::experiments
