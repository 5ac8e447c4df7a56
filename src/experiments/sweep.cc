#include "experiments/sweep.h"

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "experiments/hyperband.h"
#include "tracking/store.h"

namespace plinth::experiments {
namespace fs = std::filesystem;
using pipeline::Value;

namespace {

// A value as YAML reads it back with the same type, for a `-S` override.
std::string yaml_text(const Value& v) {
  if (v.is_string()) return v.dump();  // double-quoted: always a string
  if (v.is_number_float()) return pipeline::python_float_repr(v.get<double>());
  return v.dump();
}

// The sweep's values nested as W&B's run config nests them: {"train": {"lr": 0.1}, ...}.
Value nested_values(const SweepConfig& config, const Assignment& values) {
  Value out = Value::object();
  for (size_t i = 0; i < config.parameters.size(); ++i) {
    const std::string& name = config.parameters[i].name;
    Value* at = &out;
    size_t pos = 0;
    for (size_t dot; (dot = name.find('.', pos)) != std::string::npos; pos = dot + 1) {
      std::string key = name.substr(pos, dot - pos);
      if (!(*at)[key].is_object()) (*at)[key] = Value::object();
      at = &(*at)[key];
    }
    (*at)[name.substr(pos)] = values[i];
  }
  return out;
}

// The metric per step from DVCLive's TSV (`step<TAB>name` rows), complete lines only.
std::vector<double> read_history(const fs::path& file, const std::string& column) {
  std::vector<double> out;
  std::ifstream in(file);
  std::string line;
  int col = -1;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    size_t p = 0;
    for (size_t tab; (tab = line.find('\t', p)) != std::string::npos; p = tab + 1)
      cells.push_back(line.substr(p, tab - p));
    cells.push_back(line.substr(p));
    if (col < 0) {
      for (size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == column) col = static_cast<int>(i);
      if (col < 0) col = static_cast<int>(cells.size()) - 1;
      continue;
    }
    if (static_cast<size_t>(col) >= cells.size()) continue;
    char* end = nullptr;
    double v = std::strtod(cells[col].c_str(), &end);
    out.push_back(end != cells[col].c_str() ? v : std::nan(""));
  }
  return out;
}

// DVCLive writes <dir>/plots/metrics/<name>.tsv; <dir> is "dvclive" unless the pipeline chose
// another, so look one level below the workspace (and in stage folders one level deeper).
std::optional<fs::path> find_history_file(const fs::path& workspace, const std::string& metric) {
  std::string rel = "plots/metrics/" + metric + ".tsv";
  std::error_code ec;
  if (fs::exists(workspace / "dvclive" / rel, ec)) return workspace / "dvclive" / rel;
  for (auto it = fs::recursive_directory_iterator(
           workspace, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 2 || it->path().filename() == ".git" || it->path().filename() == ".dvc") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec) && fs::exists(it->path() / rel, ec)) return it->path() / rel;
  }
  return std::nullopt;
}

// The metric's final value in the experiment's metrics files (`exp show` shape).
std::optional<double> final_metric(const Value& metrics, const std::string& name) {
  if (!metrics.is_object()) return std::nullopt;
  std::string dotted = name;
  std::replace(dotted.begin(), dotted.end(), '/', '.');
  for (auto it = metrics.begin(); it != metrics.end(); ++it) {
    if (!it.value().contains("data")) continue;
    for (const auto& key : {name, dotted}) {
      auto v = pipeline::lookup_dotted(it.value()["data"], key);
      if (v && v->is_number()) return v->get<double>();
    }
  }
  return std::nullopt;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

std::string tracking_experiment_id(tracking::Store& store, const ExperimentContext& context) {
  std::string name = context.tracking_experiment.empty() ? context.root.filename().string()
                                                         : context.tracking_experiment;
  for (int attempt = 0;; ++attempt) {
    try {
      return store.get_experiment_by_name(name).experiment_id;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
    }
    try {
      return store.create_experiment(name, "", {});
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kConflict || attempt > 0) throw;
    }
  }
}

// A trial in flight. Its thread starts the experiment (copying the workspace takes a while,
// so the sweep keeps reading the other trials' steps meanwhile) and waits for it; the fields
// below are guarded by the sweep's mutex.
struct Slot {
  std::unique_ptr<RunningExperiment> handle;  // set once started
  bool stop_requested = false;                // stop as soon as it has started
  std::optional<fs::path> history_file;
  std::thread thread;
  bool ended = false;
  ExperimentOutcome outcome;
  std::optional<Error> start_error;

  void stop() {
    if (handle)
      handle->stop();
    else
      stop_requested = true;
  }
};

}  // namespace

std::optional<size_t> SweepState::best(const SweepConfig& config) const {
  std::optional<size_t> best;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (!t.metric || (t.status != "FINISHED" && !t.early_stopped)) continue;
    if (!best) {
      best = i;
      continue;
    }
    double b = *trials[*best].metric;
    if (config.goal == Goal::kMaximize ? *t.metric > b : *t.metric < b) best = i;
  }
  return best;
}

std::vector<std::string> trial_overrides(const SweepConfig& config, const Assignment& values) {
  std::vector<std::string> out;
  for (size_t i = 0; i < config.parameters.size(); ++i)
    out.push_back("++" + config.parameters[i].name + "=" + yaml_text(values[i]));
  return out;
}

std::vector<std::string> trial_command(const SweepConfig& config, const Assignment& values,
                                       const std::string& args_json_file) {
  std::vector<std::string> command = config.command;
  if (command.empty() && !config.program.empty())
    command = {"${env}", "${interpreter}", "${program}", "${args}"};
  if (command.empty()) return {};
  Value args = nested_values(config, values);
  std::map<std::string, std::vector<std::string>> vars;
  for (auto it = args.begin(); it != args.end(); ++it) {
    std::string flag = it.key() + "=" + pipeline::python_str(it.value());
    vars["args"].push_back("--" + flag);
    vars["args_no_hyphens"].push_back(flag);
    vars["args_no_equals"].push_back("--" + it.key());
    vars["args_no_equals"].push_back(pipeline::python_str(it.value()));
    vars["args_append_hydra"].push_back("+" + flag);
    vars["args_override_hydra"].push_back("++" + flag);
    if (!it.value().is_boolean())
      vars["args_no_boolean_flags"].push_back("--" + flag);
    else if (it.value().get<bool>())
      vars["args_no_boolean_flags"].push_back("--" + it.key());
  }
  vars["args_json"] = {pipeline::python_json_sorted(args)};
  vars["args_json_file"] = {args_json_file};
  vars["env"] = {"/usr/bin/env"};
  vars["interpreter"] = {"python"};
  vars["program"] = {config.program};
  static const std::regex kEnvVar(R"(\$\{envvar:([A-Z0-9_]*)\})");
  std::vector<std::string> out;
  for (std::string c : command) {
    std::smatch m;
    while (std::regex_search(c, m, kEnvVar))
      c = m.prefix().str() + env_or(m[1].str().c_str(), m[1].str()) + m.suffix().str();
    if (c.size() > 3 && c.starts_with("${") && c.ends_with("}")) {
      std::string var = c.substr(2, c.size() - 3);
      if (var == "program" && config.program.empty())
        throw Error(ErrorCode::kInvalidInput,
                    "command: uses ${program}, but the sweep file has no program:; add "
                    "program: train.py");
      auto found = vars.find(var);
      if (found != vars.end()) out.insert(out.end(), found->second.begin(), found->second.end());
      continue;  // W&B drops macros it does not know
    }
    out.push_back(c);
  }
  return out;
}

long long planned_trials(const SweepConfig& config, const fs::path& root, long long count) {
  if (count <= 0 && config.run_cap) count = *config.run_cap;
  if (count <= 0 && config.method != SearchMethod::kGrid)
    throw Error(ErrorCode::kInvalidInput,
                "a random or bayes sweep needs a number of trials: pass --count N (or set "
                "run_cap: N in the sweep file)");
  if (!fs::exists(root / "params.yaml") && config.command.empty() && config.program.empty())
    throw Error(ErrorCode::kNotFound,
                (root / "params.yaml").string() +
                    " does not exist: the sweep sets its parameters there for the pipeline; "
                    "create it, or give the sweep file a command:");
  return count;
}

SweepState run_sweep(const SweepConfig& config, const ExperimentContext& context,
                     const SweepOptions& options) {
  SweepState state;
  long long count = planned_trials(config, context.root, options.count);
  auto search = make_search(config, options.seed);
  bool use_params = fs::exists(context.root / "params.yaml");

  // The sweep's own run, parent of every trial.
  tracking::Store* store = context.store;
  std::string sweep_name = !options.name.empty()  ? options.name
                           : !config.name.empty() ? config.name
                                                  : std::string("sweep");
  if (store) {
    tracking::NewRun nr;
    nr.experiment_id = tracking_experiment_id(*store, context);
    nr.run_name = sweep_name;
    nr.tags = {{"plinth.sweep", "true"},
               {"plinth.sweep.method", config.method == SearchMethod::kGrid     ? "grid"
                                       : config.method == SearchMethod::kRandom ? "random"
                                                                                : "bayes"},
               {"plinth.sweep.metric", config.metric}};
    state.run_id = store->create_run(nr).info.run_id;
  }

  fs::path scratch = fs::temp_directory_path() /
                     ("plinth-sweep-" + std::to_string(::getpid()) + "-" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(scratch);

  std::mutex mu;
  std::condition_variable cv;
  std::map<size_t, std::unique_ptr<Slot>> running;  // trial index -> slot
  std::vector<Observation> observations;
  bool exhausted = false, target_reached = false;
  auto notify = [&] {
    if (options.on_update) options.on_update(state);
  };
  auto interrupted = [&] { return options.interrupt && options.interrupt->load(); };

  auto launch = [&]() -> bool {
    auto s = search->next(observations);
    if (!s) return false;
    size_t index = state.trials.size();
    Trial t;
    t.number = static_cast<int>(index) + 1;
    t.values = s->values;
    t.point = s->point;
    t.started = std::chrono::system_clock::now();
    observations.push_back({s->point, std::nullopt});
    ExperimentSpec spec;
    if (use_params) spec.set_params = trial_overrides(config, s->values);
    fs::path json_file = scratch / ("trial-" + std::to_string(t.number) + ".json");
    spec.command = trial_command(config, s->values, json_file.string());
    if (!spec.command.empty())
      core::write_file_atomic(json_file,
                              pipeline::python_json_sorted(nested_values(config, s->values)));
    spec.parent_run_id = state.run_id;
    spec.tags = {{"plinth.sweep.trial", std::to_string(t.number)}};
    spec.system_metrics_interval = options.system_metrics_interval;
    auto slot = std::make_unique<Slot>();
    Slot* raw = slot.get();
    raw->thread = std::thread([raw, spec, &context, &mu, &cv] {
      std::unique_ptr<RunningExperiment> handle;
      try {
        handle = start(context, spec);
      } catch (const Error& e) {
        std::lock_guard lock(mu);
        raw->start_error = e;
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        raw->start_error = Error(ErrorCode::kInternal, e.what());
      }
      RunningExperiment* h = handle.get();
      if (h) {
        std::lock_guard lock(mu);
        raw->handle = std::move(handle);
        if (raw->stop_requested) h->stop();
      }
      ExperimentOutcome out;
      if (h) {
        try {
          out = h->wait();
        } catch (const std::exception& e) {
          out.status = Status::kFailed;
          out.exit_code = -1;
          out.log_tail = e.what();
        }
      }
      std::lock_guard lock(mu);
      raw->outcome = std::move(out);
      raw->ended = true;
      cv.notify_all();
    });
    state.trials.push_back(std::move(t));
    running[index] = std::move(slot);
    return true;
  };

  std::unique_lock lock(mu);
  try {
    while (true) {
      bool stopping = interrupted();
      // Start trials while there is room.
      while (!stopping && !exhausted && !target_reached &&
             static_cast<long long>(running.size()) < std::max(options.jobs, 1) &&
             (count <= 0 || static_cast<long long>(state.trials.size()) < count)) {
        if (!launch()) exhausted = true;
        notify();
      }
      if (running.empty() && (stopping || exhausted || target_reached ||
                              (count > 0 && static_cast<long long>(state.trials.size()) >= count)))
        break;
      cv.wait_for(lock, options.poll);
      if (interrupted())
        for (auto& [i, slot] : running) slot->stop();
      // Collect ended trials.
      bool changed = false;
      for (auto it = running.begin(); it != running.end();) {
        Slot& slot = *it->second;
        if (!slot.ended) {
          ++it;
          continue;
        }
        Trial& t = state.trials[it->first];
        slot.thread.join();
        if (slot.start_error) {
          // A bad override or name in the very first trial is the sweep's fault: stop there.
          if (slot.start_error->code() == ErrorCode::kInvalidInput && it->first == 0)
            throw *slot.start_error;
          t.status = "FAILED";
          t.exit_code = -1;
          t.log_tail = slot.start_error->what();
          t.ended = std::chrono::system_clock::now();
          it = running.erase(it);
          changed = true;
          continue;
        }
        if (t.name.empty()) t.name = slot.handle->name();
        const ExperimentOutcome& out = slot.outcome;
        t.run_id = out.run_id;
        t.status = status_name(out.status);
        t.exit_code = out.exit_code;
        t.failed_stage = out.failed_stage;
        t.log_tail = out.log_tail;
        t.ended = std::chrono::system_clock::now();
        // The workspace is gone once wait() returned: keep the steps read while it ran.
        t.metric = final_metric(out.metrics, config.metric);
        if (!t.metric && !t.history.empty() && t.early_stopped) t.metric = t.history.back();
        if (t.status == "FINISHED") observations[it->first].value = t.metric;
        if (t.metric && config.target &&
            (config.goal == Goal::kMaximize ? *t.metric >= *config.target
                                            : *t.metric <= *config.target))
          target_reached = true;
        it = running.erase(it);
        changed = true;
      }
      // Per-step metrics of running trials, and Hyperband.
      if (!config.metric.empty()) {
        for (auto& [i, slot] : running) {
          if (!slot->handle) continue;
          if (state.trials[i].name.empty()) {
            state.trials[i].name = slot->handle->name();
            changed = true;
          }
          if (!slot->history_file)
            slot->history_file = find_history_file(slot->handle->workspace(), config.metric);
          if (!slot->history_file) continue;
          auto h = read_history(*slot->history_file, config.metric);
          // Only ever more steps: the file vanishes with the workspace when the trial ends.
          if (h.size() > state.trials[i].history.size()) {
            state.trials[i].history = std::move(h);
            if (!state.trials[i].history.empty())
              state.trials[i].metric = state.trials[i].history.back();
            changed = true;
          }
        }
      }
      if (config.early_terminate && !interrupted()) {
        std::vector<Curve> curves;
        for (size_t i = 0; i < state.trials.size(); ++i)
          curves.push_back(
              {state.trials[i].history, running.count(i) && !state.trials[i].early_stopped});
        for (const auto& d : hyperband_stops(*config.early_terminate, config.goal, curves)) {
          state.trials[d.index].early_stopped = true;
          running[d.index]->stop();
          changed = true;
        }
      }
      if (changed) notify();
    }
  } catch (...) {
    for (auto& [i, slot] : running) slot->stop();
    cv.wait(lock, [&] {
      for (auto& [i, slot] : running)
        if (!slot->ended) return false;
      return true;
    });
    for (auto& [i, slot] : running)
      if (slot->thread.joinable()) slot->thread.join();
    lock.unlock();
    if (store && !state.run_id.empty())
      store->update_run(state.run_id, "FAILED", std::nullopt, std::nullopt);
    throw;
  }
  lock.unlock();
  std::error_code ec;
  fs::remove_all(scratch, ec);

  state.interrupted = interrupted();
  state.done = true;
  if (store && !state.run_id.empty()) {
    std::vector<tracking::Metric> metrics;
    std::vector<tracking::Tag> params;
    std::vector<tracking::Tag> tags = {
        {"plinth.sweep.trials", std::to_string(state.trials.size())}};
    if (auto b = state.best(config)) {
      const Trial& t = state.trials[*b];
      tracking::Metric m;
      m.key = config.metric;
      m.value = *t.metric;
      m.timestamp = tracking::now_ms();
      metrics.push_back(m);
      for (size_t i = 0; i < config.parameters.size(); ++i)
        params.push_back({config.parameters[i].name, pipeline::python_str(t.values[i])});
      tags.push_back({"plinth.sweep.best_run_id", t.run_id});
    }
    store->log_batch(state.run_id, metrics, params, tags);
    store->update_run(state.run_id, state.interrupted ? "KILLED" : "FINISHED", tracking::now_ms(),
                      std::nullopt);
  }
  notify();
  return state;
}

}  // namespace plinth::experiments
