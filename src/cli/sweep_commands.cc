// `plinth sweep`: W&B sweep configurations run as experiments over the pipeline.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tracked_training.h"
#include "core/error.h"
#include "core/file_io.h"
#include "experiments/set_params.h"
#include "experiments/sweep.h"
#include "tracking/store.h"

namespace plinth::cli {
namespace {

namespace fs = std::filesystem;
using experiments::SweepConfig;
using experiments::SweepState;
using experiments::Trial;

std::atomic<bool> g_interrupt{false};

extern "C" void on_sigint(int) { g_interrupt.store(true); }

struct SweepFlags {
  std::string file;
  int jobs = 1;
  long long count = 0;
  uint64_t seed = 0;
  bool seed_given = false;
  bool apply_best = false;
  bool json = false;
  std::string name;
  std::string tracking_experiment;
  double system_metrics_interval = experiments::kDefaultSystemMetricsInterval;
};

std::string fmt_metric(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", *v);
  return buf;
}

std::string seconds(const Trial& t) {
  auto end = t.status == "RUNNING" ? std::chrono::system_clock::now() : t.ended;
  double s = std::chrono::duration<double>(end - t.started).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string params_text(const SweepConfig& config, const Trial& t) {
  std::string out;
  for (size_t i = 0; i < config.parameters.size(); ++i) {
    if (config.parameters[i].distribution == experiments::Distribution::kConstant) continue;
    const auto& v = t.values[i];  // floats to 6 significant digits; --json has them whole
    out += (out.empty() ? "" : " ") + config.parameters[i].name + "=" +
           (v.is_number_float() ? fmt_metric(v.get<double>()) : pipeline::python_str(v));
  }
  return out;
}

std::string status_text(const Trial& t) {
  if (t.early_stopped) return "STOPPED";
  if (t.status == "FAILED") return "FAILED(" + std::to_string(t.exit_code) + ")";
  return t.status;
}

// Trials best first: finished (and early-stopped) by metric, then running, then the rest.
std::vector<const Trial*> ranked(const SweepConfig& config, const SweepState& s) {
  std::vector<const Trial*> out;
  for (const auto& t : s.trials) out.push_back(&t);
  auto group = [](const Trial* t) {
    if ((t->status == "FINISHED" || t->early_stopped) && t->metric) return 0;
    if (t->status == "RUNNING") return 1;
    return 2;
  };
  std::stable_sort(out.begin(), out.end(), [&](const Trial* a, const Trial* b) {
    int ga = group(a), gb = group(b);
    if (ga != gb) return ga < gb;
    if (ga != 0) return a->number < b->number;
    return config.goal == experiments::Goal::kMaximize ? *a->metric > *b->metric
                                                       : *a->metric < *b->metric;
  });
  return out;
}

std::vector<std::string> leaderboard(const SweepConfig& config, const SweepState& s,
                                     const std::string& sweep_name, size_t max_rows) {
  std::vector<std::string> lines;
  size_t running = 0, finished = 0, failed = 0;
  for (const auto& t : s.trials) {
    running += t.status == "RUNNING";
    finished += t.status == "FINISHED";
    failed += t.status == "FAILED";
  }
  std::string head = "Sweep " + sweep_name;
  if (!s.run_id.empty()) head += " (run " + s.run_id + ")";
  head += ": " + plural(s.trials.size(), "trial") + ", " + std::to_string(running) + " running, " +
          std::to_string(finished) + " finished, " + std::to_string(failed) + " failed";
  lines.push_back(head);
  std::string metric = config.metric.empty() ? "metric" : config.metric;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%4s %5s  %-24s %-11s %12s %5s %8s  %s", "rank", "trial", "name",
                "status", metric.substr(0, 12).c_str(), "step", "time", "params");
  lines.push_back(buf);
  auto order = ranked(config, s);
  for (size_t i = 0; i < order.size() && i < max_rows; ++i) {
    const Trial& t = *order[i];
    bool ranked_row = (t.status == "FINISHED" || t.early_stopped) && t.metric;
    std::snprintf(buf, sizeof buf, "%4s %5d  %-24s %-11s %12s %5zu %8s  %s",
                  ranked_row ? std::to_string(i + 1).c_str() : "", t.number,
                  t.name.substr(0, 24).c_str(), status_text(t).c_str(),
                  fmt_metric(t.metric).c_str(), t.history.size(), seconds(t).c_str(),
                  params_text(config, t).c_str());
    lines.push_back(buf);
  }
  if (order.size() > max_rows)
    lines.push_back("  ... " + plural(order.size() - max_rows, "more trial"));
  return lines;
}

// Redraws the leaderboard in place on a terminal; prints one line per event otherwise.
class LiveBoard {
 public:
  LiveBoard(const SweepConfig& config, std::string name, FILE* out, bool tty)
      : config_(config), name_(std::move(name)), out_(out), tty_(tty) {}

  bool redraws() const { return tty_; }

  void update(const SweepState& s) {
    if (tty_) {
      auto lines = leaderboard(config_, s, name_, 15);
      if (drawn_) std::fprintf(out_, "\x1b[%zuF\x1b[J", drawn_);
      for (const auto& l : lines) std::fprintf(out_, "%s\n", l.c_str());
      drawn_ = lines.size();
    } else {
      for (const auto& t : s.trials) {
        if (t.name.empty() && t.status == "RUNNING") continue;  // still being set up
        auto& seen = seen_[t.number];
        if (seen.empty())
          line("trial " + std::to_string(t.number) + " (" + t.name +
               ") started: " + params_text(config_, t));
        std::string now = status_text(t);
        if (now != "RUNNING" && seen != now) {
          std::string l = "trial " + std::to_string(t.number) + " (" + t.name + ") " + now;
          if (t.metric) l += ": " + config_.metric + "=" + fmt_metric(t.metric);
          if (t.early_stopped) l += " (Hyperband, step " + std::to_string(t.history.size()) + ")";
          l += " in " + seconds(t);
          if (t.status == "FAILED" && !t.log_tail.empty()) l += "\n" + indent(t.log_tail);
          line(l);
        }
        seen = now;
      }
    }
    std::fflush(out_);
  }

 private:
  void line(const std::string& l) { std::fprintf(out_, "%s\n", l.c_str()); }
  static std::string indent(const std::string& text) {
    std::string out = "    | ";
    std::string tail = text;
    while (!tail.empty() && tail.back() == '\n') tail.pop_back();
    for (char c : tail) out += c == '\n' ? std::string("\n    | ") : std::string(1, c);
    return out;
  }

  const SweepConfig& config_;
  std::string name_;
  FILE* out_;
  bool tty_;
  size_t drawn_ = 0;
  std::map<int, std::string> seen_;
};

nlohmann::json to_json(const SweepConfig& config, const SweepState& s) {
  auto trial = [&](const Trial& t) {
    nlohmann::json params = nlohmann::json::object();
    for (size_t i = 0; i < config.parameters.size(); ++i)
      params[config.parameters[i].name] = t.values[i];
    auto ms = [](auto tp) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
    };
    return nlohmann::json{{"number", t.number},
                          {"name", t.name},
                          {"run_id", t.run_id},
                          {"status", t.status},
                          {"early_stopped", t.early_stopped},
                          {"exit_code", t.exit_code},
                          {"failed_stage", t.failed_stage},
                          {"metric", t.metric ? nlohmann::json(*t.metric) : nlohmann::json()},
                          {"steps", t.history.size()},
                          {"params", params},
                          {"start_time", ms(t.started)},
                          {"end_time", ms(t.ended)},
                          {"log_tail", t.status == "FAILED" ? t.log_tail : ""}};
  };
  nlohmann::json trials = nlohmann::json::array();
  for (const auto* t : ranked(config, s)) trials.push_back(trial(*t));
  auto best = s.best(config);
  return {{"run_id", s.run_id},
          {"metric", config.metric},
          {"goal", config.goal == experiments::Goal::kMaximize ? "maximize" : "minimize"},
          {"interrupted", s.interrupted},
          {"best", best ? trial(s.trials[*best]) : nlohmann::json()},
          {"trials", trials}};
}

// A parameter params.yaml does not have is added to it in each trial; usually a typo.
void warn_unknown_params(const SweepConfig& config, const fs::path& root) {
  fs::path file = root / "params.yaml";
  if (!fs::exists(file)) return;
  pipeline::Value params = pipeline::parse_structured(core::read_file(file), "params.yaml");
  for (const auto& p : config.parameters)
    if (!pipeline::lookup_dotted(params, p.name))
      std::fprintf(stderr,
                   "warning: '%s' is not in params.yaml; each trial adds it there (check the "
                   "name if a stage should use it)\n",
                   p.name.c_str());
}

int run(const SweepFlags& f) {
  repo::Workspace ws = open_workspace();
  SweepConfig config = experiments::load_sweep_config(f.file);
  experiments::planned_trials(config, ws.root(), f.count);  // checked before anything is opened
  warn_unknown_params(config, ws.root());
  auto store = open_tracking_store();
  experiments::ExperimentContext context;
  context.root = ws.root();
  context.store = store.get();
  context.tracking_experiment = f.tracking_experiment;

  std::string name = !f.name.empty()        ? f.name
                     : !config.name.empty() ? config.name
                                            : fs::path(f.file).stem().string();
  experiments::SweepOptions options;
  options.name = name;
  options.jobs = f.jobs;
  options.count = f.count;
  options.seed = f.seed_given ? f.seed : static_cast<uint64_t>(std::random_device{}());
  options.system_metrics_interval = f.system_metrics_interval;
  options.interrupt = &g_interrupt;
  // With --json, stdout holds the JSON alone; the live board goes to stderr.
  FILE* out = f.json ? stderr : stdout;
  LiveBoard board(config, name, out, ::isatty(::fileno(out)) != 0);
  options.on_update = [&](const SweepState& s) { board.update(s); };

  g_interrupt.store(false);
  struct sigaction sa = {}, old_int = {}, old_term = {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  SweepState state;
  try {
    state = experiments::run_sweep(config, context, options);
  } catch (...) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    throw;
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);

  auto best = state.best(config);
  if (f.json) {
    print_json(to_json(config, state));
  } else {
    if (!board.redraws()) {  // a terminal already shows the final board
      std::printf("\n");
      for (const auto& l : leaderboard(config, state, name, 1000)) std::printf("%s\n", l.c_str());
    }
    if (best)
      std::printf("Best: trial %d (%s, run %s) %s=%s  %s\n", state.trials[*best].number,
                  state.trials[*best].name.c_str(), state.trials[*best].run_id.c_str(),
                  config.metric.c_str(), fmt_metric(state.trials[*best].metric).c_str(),
                  params_text(config, state.trials[*best]).c_str());
  }
  if (state.interrupted) {
    std::fprintf(
        stderr,
        "Sweep interrupted: %zu finished trials kept; running ones were stopped "
        "(KILLED).\n",
        static_cast<size_t>(std::count_if(state.trials.begin(), state.trials.end(),
                                          [](const Trial& t) { return t.status == "FINISHED"; })));
    return 130;
  }
  if (f.apply_best) {
    if (!best)
      throw Error(ErrorCode::kNotFound, "--apply-best: no trial finished with a value of '" +
                                            config.metric + "'; nothing to write to params.yaml");
    experiments::apply_overrides(ws.root(),
                                 experiments::trial_overrides(config, state.trials[*best].values));
    std::fprintf(stderr, "Wrote trial %d's params to params.yaml.\n", state.trials[*best].number);
  }
  bool any_finished = std::any_of(state.trials.begin(), state.trials.end(),
                                  [](const Trial& t) { return t.status == "FINISHED"; });
  return any_finished ? 0 : 1;
}

}  // namespace

void register_sweep_commands(CLI::App& app, Invocation& invocation) {
  auto f = std::make_shared<SweepFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sweep",
      "Run a hyperparameter sweep (W&B's sweep.yaml: method grid|random|bayes, metric, "
      "parameters, early_terminate) over the pipeline: each trial is an experiment and a "
      "child run of the sweep's run");
  cmd->add_option("file", f->file, "The sweep configuration (YAML or JSON)")->required();
  cmd->add_option("-j,--jobs", f->jobs, "Trials to run at once")
      ->check(CLI::Range(1, 256))
      ->default_val(1);
  cmd->add_option("--count", f->count,
                  "Trials to run at most (required for random and bayes unless the file "
                  "has run_cap; grid runs every point)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f->seed, "Seed of the random and bayes searches (default: random)")
      ->each([f](const std::string&) { f->seed_given = true; });
  cmd->add_option("--name", f->name, "Name of the sweep's run (default: the file's name:)");
  cmd->add_option("-e,--experiment", f->tracking_experiment,
                  "MLflow experiment of the sweep's runs (default: the repository's folder)");
  cmd->add_option("--system-metrics-interval", f->system_metrics_interval,
                  "Seconds between system-metrics samples (CPU, memory, disk, network, GPU) of "
                  "each trial's run; 0 turns them off (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--apply-best", f->apply_best,
                "Write the best trial's params into params.yaml (other content kept)");
  cmd->add_flag("--json", f->json, "Print the result as JSON (the live board goes to stderr)");
  cmd->callback([f, &invocation] { invocation.run = [f] { return run(*f); }; });
}

}  // namespace plinth::cli
