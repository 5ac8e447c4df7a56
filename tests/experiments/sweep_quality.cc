// Bayesian (TPE) against random search on Branin and Hartmann-6, many seeds: prints, per
// function and method, the number of trials each seed needed to reach the stated regret.
// sweep_quality_check.py judges the difference with scipy's Mann-Whitney U test.
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "experiments/search.h"

namespace {

using plinth::experiments::Observation;
using plinth::experiments::SweepConfig;

double branin(const std::vector<double>& x) {
  const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
  double y = x[1] - b * x[0] * x[0] + c * x[0] - r;
  return a * y * y + s * (1 - t) * std::cos(x[0]) + s;
}

double hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                 {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                 {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                 {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
    sum += alpha[i] * std::exp(-inner);
  }
  return -sum;
}

struct Problem {
  const char* name;
  nlohmann::ordered_json parameters;
  double (*f)(const std::vector<double>&);
  double optimum;
  double regret;  // the target: best-so-far minus the optimum at most this
  int budget;     // trials per run; a seed that never reaches the regret counts budget + 1
};

// Trials until the best value so far is within `regret` of the optimum.
int trials_to_regret(const Problem& problem, const std::string& method, uint64_t seed) {
  nlohmann::ordered_json doc = {{"method", method},
                                {"metric", {{"name", "y"}, {"goal", "minimize"}}},
                                {"parameters", problem.parameters}};
  SweepConfig config = plinth::experiments::parse_sweep_config(doc, problem.name);
  auto search = plinth::experiments::make_search(config, seed);
  std::vector<Observation> observations;
  for (int trial = 1; trial <= problem.budget; ++trial) {
    auto s = search->next(observations);
    std::vector<double> x;
    for (const auto& v : s->values) x.push_back(v.get<double>());
    double y = problem.f(x);
    if (y - problem.optimum <= problem.regret) return trial;
    observations.push_back({s->point, y});
  }
  return problem.budget + 1;
}

}  // namespace

int main(int argc, char** argv) {
  int seeds = argc > 1 ? std::atoi(argv[1]) : 30;
  // Parameters are named so W&B's sorting keeps x0 < x1 < ...
  nlohmann::ordered_json hartmann_params;
  for (int i = 0; i < 6; ++i)
    hartmann_params["x" + std::to_string(i)] = {{"min", 0.0}, {"max", 1.0}};
  std::vector<Problem> problems = {
      {"branin",
       {{"x0", {{"min", -5.0}, {"max", 10.0}}}, {"x1", {{"min", 0.0}, {"max", 15.0}}}},
       branin,
       0.397887357729739,
       0.1,
       150},
      {"hartmann6", hartmann_params, hartmann6, -3.32236801141551, 0.5, 200},
  };
  nlohmann::ordered_json out;
  for (const auto& p : problems) {
    nlohmann::ordered_json entry = {{"regret", p.regret}, {"budget", p.budget}};
    for (const char* method : {"random", "bayes"}) {
      std::vector<int> counts;
      for (int seed = 0; seed < seeds; ++seed)
        counts.push_back(trials_to_regret(p, method, 1000 + static_cast<uint64_t>(seed)));
      entry[method] = counts;
    }
    out[p.name] = entry;
  }
  std::cout << out.dump() << "\n";
  return 0;
}
