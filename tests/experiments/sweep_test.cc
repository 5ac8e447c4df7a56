// Sweep configuration, grid enumeration, distributions and Hyperband against W&B's own sweep
// engine: wandb_sweeps_cases.json holds what github.com/wandb/sweeps answered for each case
// (written by wandb_sweeps_oracle.py, which says how to run it).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "experiments/hyperband.h"
#include "experiments/search.h"
#include "experiments/sweep_config.h"

namespace plinth::experiments {
namespace {

using pipeline::Value;

const Value& cases() {
  static const Value kCases = [] {
    std::ifstream in(std::string(PLINTH_EXPERIMENTS_TEST_DIR) + "/wandb_sweeps_cases.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return Value::parse(ss.str());
  }();
  return kCases;
}

// Same JSON type (int, float, bool, string, ...) and value; floats to a relative 1e-9.
void expect_same(const Value& ours, const Value& theirs, const std::string& what) {
  if (theirs.is_number_float()) {
    ASSERT_TRUE(ours.is_number_float()) << what << ": " << ours.dump() << " vs " << theirs.dump();
    double a = ours.get<double>(), b = theirs.get<double>();
    EXPECT_NEAR(a, b, 1e-9 * std::max(1.0, std::abs(b))) << what;
  } else if (theirs.is_number_integer()) {
    ASSERT_TRUE(ours.is_number_integer()) << what << ": " << ours.dump() << " vs " << theirs.dump();
    EXPECT_EQ(ours.get<int64_t>(), theirs.get<int64_t>()) << what;
  } else if (theirs.is_array()) {
    ASSERT_TRUE(ours.is_array() && ours.size() == theirs.size())
        << what << ": " << ours.dump() << " vs " << theirs.dump();
    for (size_t i = 0; i < theirs.size(); ++i)
      expect_same(ours[i], theirs[i], what + "[" + std::to_string(i) + "]");
  } else {
    EXPECT_EQ(ours.dump(), theirs.dump()) << what;
  }
}

SweepConfig one_param(const std::string& name, const Value& cfg) {
  Value doc = {{"method", "random"}, {"parameters", {{name, cfg}}}};
  return parse_sweep_config(doc, "sweep.yaml");
}

TEST(SweepConfig, InfersTypesAndDefaultsAsWandb) {
  for (const auto& c : cases()["inferred"]) {
    std::string name = c["name"].get<std::string>();
    SweepConfig cfg = one_param(name, c["config"]);
    ASSERT_EQ(cfg.parameters.size(), 1u);
    const Parameter& p = cfg.parameters[0];
    EXPECT_EQ(distribution_name(p.distribution), c["type"].get<std::string>()) << name;
    const Value& f = c["filled"];
    auto num = [&](const char* key, double ours) {
      if (f.contains(key)) {
        EXPECT_DOUBLE_EQ(ours, f[key].get<double>()) << name << "." << key;
      }
    };
    num("min", p.min);
    num("max", p.max);
    num("q", p.q);
    num("mu", p.mu);
    num("sigma", p.sigma);
    num("a", p.a);
    num("b", p.b);
    if (f.contains("q")) {
      EXPECT_EQ(p.integer_q, f["q"].is_number_integer()) << name;
    }
  }
}

TEST(SweepConfig, RefusesWhatWandbRefuses) {
  for (const auto& c : cases()["bad"]) {
    bool wandb_refused = !c["wandb_error"].is_null();
    bool refused = false;
    std::string message;
    try {
      parse_sweep_config(c["config"], "sweep.yaml");
    } catch (const Error& e) {
      refused = true;
      message = e.what();
      EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    }
    EXPECT_EQ(refused, wandb_refused)
        << c["config"].dump() << " W&B: " << c["wandb_error"].dump() << " Plinth: " << message;
  }
}

std::string error_of(const std::string& yaml) {
  try {
    parse_sweep_config(pipeline::parse_structured(yaml, "sweep.yaml"), "sweep.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SweepConfig, ErrorsNameTheKeyAndTheAllowedValues) {
  EXPECT_EQ(error_of("method: grd\nparameters: {a: {values: [1]}}\n"),
            "sweep.yaml: method: 'grd' is not allowed; use grid, random or bayes");
  std::string e =
      error_of("method: random\nparameters:\n  lr: {distribution: unifrom, min: 0, max: 1}\n");
  EXPECT_NE(e.find("parameters.lr.distribution: 'unifrom' is not a distribution"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("log_uniform_values"), std::string::npos) << e;
  e = error_of("method: random\nparameters:\n  lr: {min: 0, max: 1, step: 2}\n");
  EXPECT_NE(e.find("parameters.lr: unknown key 'step'"), std::string::npos) << e;
  e = error_of("method: random\nmetric: {name: loss, goal: lower}\nparameters: {a: {value: 1}}\n");
  EXPECT_EQ(e, "sweep.yaml: metric.goal: 'lower' is not allowed; use minimize or maximize");
  e = error_of("method: grid\nparameters: {lr: {min: 0.1, max: 1.0}}\n");
  EXPECT_NE(e.find("parameters.lr: is uniform, which grid search cannot enumerate"),
            std::string::npos)
      << e;
  e = error_of("method: bayes\nparameters: {a: {min: 0.1, max: 1.0}}\n");
  EXPECT_NE(e.find("metric: is missing; bayes search needs a metric"), std::string::npos) << e;
  e = error_of(
      "method: random\nmetric: {name: loss}\nparameters: {a: {value: 1}}\n"
      "early_terminate: {type: median}\n");
  EXPECT_EQ(e,
            "sweep.yaml: early_terminate.type: 'median' is not supported; the allowed value is "
            "hyperband");
}

TEST(SweepConfig, ReadsCommandProgramAndNestedParameters) {
  SweepConfig cfg = parse_sweep_config(
      pipeline::parse_structured("method: random\nprogram: train.py\n"
                                 "command:\n  - ${env}\n  - python3\n  - ${program}\n  - ${args}\n"
                                 "parameters:\n  train:\n    parameters:\n"
                                 "      lr: {min: 0.001, max: 0.1}\n      epochs: {value: 3}\n"
                                 "  model: {values: [a, b]}\n",
                                 "sweep.yaml"),
      "sweep.yaml");
  ASSERT_EQ(cfg.parameters.size(), 3u);
  EXPECT_EQ(cfg.parameters[0].name, "model");
  EXPECT_EQ(cfg.parameters[1].name, "train.epochs");
  EXPECT_EQ(cfg.parameters[2].name, "train.lr");
  EXPECT_EQ(cfg.program, "train.py");
  EXPECT_EQ(cfg.command.size(), 4u);
}

TEST(Grid, EnumeratesExactlyAsWandb) {
  for (const auto& g : cases()["grids"]) {
    SweepConfig cfg = parse_sweep_config(g["config"], "sweep.yaml");
    ASSERT_EQ(cfg.parameters.size(), g["names"].size());
    for (size_t i = 0; i < cfg.parameters.size(); ++i)
      EXPECT_EQ(cfg.parameters[i].name, g["names"][i].get<std::string>());
    std::vector<Assignment> points = grid_points(cfg);
    ASSERT_EQ(points.size(), g["points"].size()) << g["config"].dump();
    for (size_t i = 0; i < points.size(); ++i)
      expect_same(Value(points[i]), g["points"][i],
                  g["config"].dump() + " point " + std::to_string(i));
    // The search hands them out in that order, then stops.
    auto search = make_search(cfg, 1);
    std::vector<Observation> seen;
    while (auto s = search->next(seen)) {
      expect_same(Value(s->values), g["points"][seen.size()], "search order");
      seen.push_back({s->point, std::nullopt});
    }
    EXPECT_EQ(seen.size(), points.size());
  }
}

TEST(Distributions, PpfMatchesWandb) {
  for (const auto& c : cases()["ppf"]) {
    std::string name = c["name"].get<std::string>();
    Parameter p = one_param(name, c["config"]).parameters[0];
    for (size_t i = 0; i < c["x"].size(); ++i)
      expect_same(parameter_ppf(p, c["x"][i].get<double>()), c["values"][i],
                  name + " at " + c["x"][i].dump());
  }
}

TEST(Hyperband, StopsExactlyTheRunsWandbStops) {
  size_t stopped_total = 0;
  for (const auto& c : cases()["hyperband"]) {
    Hyperband hb = hyperband_from_config(c["early_terminate"], "sweep.yaml");
    std::vector<Curve> curves;
    for (const auto& r : c["runs"]) {
      Curve curve;
      curve.running = r["state"] == "running";
      for (const auto& v : r["history"])
        curve.history.push_back(v.is_null() ? std::nan("") : v.get<double>());
      curves.push_back(std::move(curve));
    }
    Goal goal = c["goal"] == "maximize" ? Goal::kMaximize : Goal::kMinimize;
    std::vector<size_t> ours;
    for (const auto& d : hyperband_stops(hb, goal, curves)) ours.push_back(d.index);
    std::vector<size_t> theirs = c["stopped"].get<std::vector<size_t>>();
    EXPECT_EQ(ours, theirs) << c["early_terminate"].dump() << " " << c["goal"].dump() << " "
                            << c["runs"].dump();
    stopped_total += theirs.size();
  }
  EXPECT_GT(stopped_total, 20u);  // the cases do stop runs, so the comparison has teeth
}

TEST(Hyperband, BandsAsWandbComputesThem) {
  Hyperband a = hyperband_from_config({{"type", "hyperband"}, {"min_iter", 3}}, "s");
  EXPECT_EQ(std::vector<long long>(a.bands.begin(), a.bands.begin() + 4),
            (std::vector<long long>{3, 9, 27, 81}));
  EXPECT_TRUE(a.strict);
  Hyperband b =
      hyperband_from_config({{"type", "hyperband"}, {"max_iter", 27}, {"s", 3}, {"eta", 3}}, "s");
  EXPECT_EQ(b.bands, (std::vector<long long>{1, 3, 9}));
}

TEST(Search, SeededSearchesRepeat) {
  SweepConfig cfg = parse_sweep_config(
      pipeline::parse_structured("method: bayes\nmetric: {name: y}\nparameters:\n"
                                 "  x: {min: -5.0, max: 5.0}\n  c: {values: [a, b, c]}\n",
                                 "sweep.yaml"),
      "sweep.yaml");
  auto run = [&](uint64_t seed) {
    auto search = make_search(cfg, seed);
    std::vector<Observation> obs;
    std::vector<std::string> seen;
    for (int i = 0; i < 30; ++i) {
      auto s = search->next(obs);
      double x = s->values[1].get<double>();
      obs.push_back({s->point, x * x + (s->values[0] == "b" ? 0 : 1)});
      seen.push_back(Value(s->values).dump());
    }
    return seen;
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace plinth::experiments
