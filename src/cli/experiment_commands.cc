// `plinth exp`: experiments over the pipeline, stored as DVC stores them (refs/exps/).
#include <signal.h>

#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tracked_training.h"
#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/queue.h"
#include "experiments/refs.h"
#include "experiments/show.h"
#include "pipeline/compare.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::mutex print_mutex;

// Blocks SIGINT and SIGTERM (threads started later inherit the mask) and calls `on_signal`
// from a thread of its own at the first one, so Ctrl-C stops experiments cleanly instead of
// leaving them running; restores the mask when destroyed.
class InterruptWatch {
 public:
  explicit InterruptWatch(std::function<void()> on_signal) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this, f = std::move(on_signal)] {
      timespec tick{0, 100'000'000};
      while (!done_)
        if (sigtimedwait(&set_, nullptr, &tick) > 0) return f();
    });
  }
  ~InterruptWatch() {
    done_ = true;
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t set_, old_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

void print_line(const std::string& line) {
  std::lock_guard lock(print_mutex);
  std::cout << line << std::endl;
}

std::string seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

struct RunFlags {
  experiments::ExperimentSpec spec;
  bool queue = false;
  bool run_all = false;
  size_t jobs = 1;
  std::string tracking_experiment;
};

void add_run(CLI::App* exp, Invocation& inv) {
  auto* cmd = exp->add_subcommand(
      "run", "Run the pipeline with changed params as an experiment, in a copy of the workspace");
  auto f = std::make_shared<RunFlags>();
  cmd->add_option("-S,--set-param", f->spec.set_params,
                  "[file:]section.param=value (repeatable): change a param for this experiment; "
                  "+key=value adds a key, ~key deletes one")
      ->allow_extra_args(false);
  cmd->add_option("-n,--name", f->spec.name, "Experiment name (default: generated, like DVC's)");
  cmd->add_flag("--queue", f->queue, "Queue the experiment; run the queue with --run-all");
  cmd->add_flag("--run-all", f->run_all, "Run every queued experiment");
  cmd->add_option("-j,--jobs", f->jobs, "Queued experiments to run at once (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-e,--experiment", f->tracking_experiment,
                  "Tracking experiment the runs go to (default: the project folder's name)");
  cmd->add_option("--system-metrics-interval", f->spec.system_metrics_interval,
                  "Seconds between system-metrics samples (CPU, memory, disk, network, GPU) of "
                  "each experiment's run; 0 turns them off (default 10)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&inv, f] {
    inv.run = [f] {
      repo::Workspace ws = open_workspace();
      if (f->queue && f->run_all)
        throw Error(ErrorCode::kInvalidInput, "--queue and --run-all do not go together");
      if (f->run_all && (!f->spec.set_params.empty() || !f->spec.name.empty()))
        throw Error(ErrorCode::kInvalidInput,
                    "--run-all runs the queue as it is; queue experiments with -S/--name first "
                    "('plinth exp run --queue -S ...')");
      if (f->queue) {
        auto q = experiments::enqueue(ws.root(), f->spec);
        std::cout << "Queued experiment '" << q.spec.name << "' for future execution.\n";
        return 0;
      }
      auto store = open_tracking_store();
      experiments::ExperimentContext context;
      context.root = ws.root();
      context.store = store.get();
      context.tracking_experiment = f->tracking_experiment;
      if (f->run_all) {
        size_t waiting = experiments::queued(ws.root()).size();
        if (waiting == 0) {
          std::cout << "No experiments in the queue.\n";
          return 0;
        }
        context.print = print_line;
        std::vector<std::string> ok, failed;
        std::atomic<bool> cancel{false};
        InterruptWatch interrupt([&cancel] {
          print_line("Stopping: the running experiments go back to the queue...");
          cancel = true;
        });
        experiments::run_queue(
            context, f->jobs,
            [](const experiments::QueuedExperiment& q) {
              print_line("Running experiment '" + q.spec.name + "'");
            },
            [&](const experiments::ExperimentOutcome& o) {
              print_line("Experiment '" + o.name + "': " + experiments::status_name(o.status) +
                         (o.failed_stage.empty() ? ""
                                                 : " (stage '" + o.failed_stage + "', exit code " +
                                                       std::to_string(o.exit_code) + ")") +
                         " in " + seconds(o.duration) +
                         (o.run_id.empty() ? "" : " (run " + o.run_id + ")"));
              if (o.status == experiments::Status::kFinished) {
                ok.push_back(o.name);
              } else if (o.status != experiments::Status::kKilled) {
                failed.push_back(o.name);
                // A failed stage's output was printed as it ran; anything else, say why.
                if (o.log_tail.find("error: ") != std::string::npos && o.failed_stage.empty() &&
                    o.exit_code != 1)
                  print_line(o.log_tail);
              }
            },
            &cancel);
        if (!ok.empty()) std::cout << "\nRan experiment(s): " << joined(ok) << "\n";
        if (cancel) return 130;
        if (!failed.empty()) std::cerr << "error: failed experiment(s): " << joined(failed) << "\n";
        return failed.empty() ? 0 : 1;
      }
      context.print = [](const std::string& line) {
        // One experiment: its output as the pipeline prints it, without the name prefix.
        size_t close = line.find("] ");
        print_line(close == std::string::npos ? line : line.substr(close + 2));
      };
      auto running = experiments::start(context, f->spec);
      experiments::RunningExperiment* exp = running.get();
      std::optional<experiments::ExperimentOutcome> result;
      {
        InterruptWatch interrupt([exp] { exp->stop(); });
        result = running->wait();
      }
      auto& outcome = *result;
      if (outcome.status != experiments::Status::kFinished) {
        if (outcome.exit_code == 0) std::cerr << outcome.log_tail;
        std::cerr << "error: experiment '" << outcome.name << "' failed ("
                  << (outcome.failed_stage.empty() ? "" : "stage '" + outcome.failed_stage + "', ")
                  << "exit code " << outcome.exit_code << ")"
                  << (outcome.run_id.empty() ? "" : "; tracked as run " + outcome.run_id) << "\n";
        return 1;
      }
      experiments::apply_experiment(ws.root(), outcome.name);
      std::cout << "\nRan experiment(s): " << outcome.name << "\n"
                << "Experiment results have been applied to your workspace.\n";
      if (!outcome.run_id.empty()) std::cout << "Tracked as run " << outcome.run_id << "\n";
      return 0;
    };
  });
}

void add_show(CLI::App* exp, Invocation& inv) {
  auto* cmd = exp->add_subcommand(
      "show", "Table of the workspace, HEAD and HEAD's experiments: params, metrics, deps");
  auto as_json = std::make_shared<bool>(false);
  auto as_csv = std::make_shared<bool>(false);
  auto queue = std::make_shared<bool>(false);
  auto options = std::make_shared<experiments::ShowOptions>();
  auto order = std::make_shared<std::string>("asc");
  cmd->add_flag("--json", *as_json, "Print DVC's `exp show --json` document");
  cmd->add_flag("--csv", *as_csv, "Print CSV (full values)");
  cmd->add_flag("--queue", *queue, "List the queued experiments instead");
  cmd->add_option("--sort-by", options->sort_by, "Sort experiments by this metric or param");
  cmd->add_option("--sort-order", *order, "asc (default) or desc")
      ->check(CLI::IsMember({"asc", "desc"}));
  cmd->add_option("--precision", options->precision, "Decimals in the table (default 5)");
  cmd->callback([&inv, as_json, as_csv, queue, options, order] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      if (*queue) {
        auto waiting = experiments::queued(ws.root());
        if (*as_json) {
          json out = json::array();
          for (const auto& q : waiting)
            out.push_back({{"name", q.spec.name},
                           {"set_params", q.spec.set_params},
                           {"baseline", q.spec.baseline}});
          print_json(out);
          return 0;
        }
        for (const auto& q : waiting)
          std::cout << q.spec.name << "  " << joined(q.spec.set_params) << "\n";
        if (waiting.empty()) std::cout << "No experiments in the queue.\n";
        return 0;
      }
      options->descending = *order == "desc";
      nlohmann::ordered_json shown = experiments::show_json(ws.root());
      if (*as_json) {
        std::cout << shown.dump(2) << "\n";
      } else if (*as_csv) {
        std::cout << experiments::show_csv(shown, *options);
      } else {
        std::cout << experiments::show_table(shown, *options);
      }
      return 0;
    };
  });
}

// An experiment name, else any git revision, else "workspace".
pipeline::Revision revision_of(const fs::path& root, const std::string& name) {
  if (name == "workspace") return {"workspace", true};
  try {
    return {experiments::find_experiment(root, name).commit, false};
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
  }
  return {name, false};  // RevisionView reports a revision that does not resolve
}

void add_diff(CLI::App* exp, Invocation& inv) {
  auto* cmd = exp->add_subcommand(
      "diff",
      "Params and metrics that differ between two experiments (default: HEAD and "
      "workspace)");
  auto revs = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto precision = std::make_shared<int>(5);
  cmd->add_option("REV", *revs, "A [B]: experiment names or git revisions")->expected(0, 2);
  cmd->add_flag("--all", *all, "Also show values that did not change");
  cmd->add_flag("--json", *as_json, "Print {\"metrics\": ..., \"params\": ...}");
  cmd->add_option("--precision", *precision, "Decimals to round floats to (default 5)");
  cmd->callback([&inv, revs, all, as_json, precision] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      std::string a_name = revs->empty() ? "HEAD" : (*revs)[0];
      std::string b_name = revs->size() < 2 ? "workspace" : (*revs)[1];
      auto a = revision_of(ws.root(), a_name), b = revision_of(ws.root(), b_name);
      auto ma = pipeline::collect_metrics(ws.root(), a),
           mb = pipeline::collect_metrics(ws.root(), b);
      auto pa = pipeline::collect_params(ws.root(), a), pb = pipeline::collect_params(ws.root(), b);
      if (*as_json) {
        nlohmann::ordered_json out = {{"metrics", pipeline::diff_json(ma, mb, true, *all)},
                                      {"params", pipeline::diff_json(pa, pb, true, *all)}};
        std::cout << out.dump(2) << "\n";
        return 0;
      }
      std::string metrics =
          pipeline::diff_table(ma, mb, a_name, b_name, "Metric", true, *all, *precision);
      std::string params =
          pipeline::diff_table(pa, pb, a_name, b_name, "Param", true, *all, *precision);
      std::cout << metrics << (metrics.empty() || params.empty() ? "" : "\n") << params;
      return 0;
    };
  });
}

void add_apply_branch_remove(CLI::App* exp, Invocation& inv) {
  auto name = std::make_shared<std::string>();
  auto* apply = exp->add_subcommand(
      "apply", "Put an experiment's params, dvc.lock, metrics and outputs into the workspace");
  apply->add_option("NAME", *name, "Experiment name or commit")->required();
  apply->callback([&inv, name] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      experiments::apply_experiment(ws.root(), *name);
      std::cout << "Changes for experiment '" << *name
                << "' have been applied to your current workspace.\n";
      return 0;
    };
  });

  auto branch = std::make_shared<std::string>();
  auto* br = exp->add_subcommand("branch", "Make a git branch of an experiment's commit");
  br->add_option("NAME", *name, "Experiment name or commit")->required();
  br->add_option("BRANCH", *branch, "New branch name")->required();
  br->callback([&inv, name, branch] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      experiments::branch_experiment(ws.root(), *name, *branch);
      std::cout << "Git branch '" << *branch << "' has been created from experiment '" << *name
                << "'.\nTo switch to the new branch run:\n\n\tgit checkout " << *branch << "\n";
      return 0;
    };
  });

  auto names = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  auto queue = std::make_shared<bool>(false);
  auto* rm = exp->add_subcommand("remove", "Delete experiments (their refs/exps/ refs)");
  rm->alias("rm");
  rm->add_option("NAME", *names, "Experiment names or commits");
  rm->add_flag("-A,--all", *all, "Every experiment of every baseline");
  rm->add_flag("--queue", *queue, "The queued experiments NAME (all when none is named)");
  rm->callback([&inv, names, all, queue] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      std::vector<std::string> removed;
      if (*queue) {
        for (const auto& q : experiments::dequeue(ws.root(), *names))
          removed.push_back(q.spec.name);
      } else {
        std::vector<std::string> targets = *names;
        if (*all)
          for (const auto& e : experiments::list_experiments(ws.root())) targets.push_back(e.ref);
        if (targets.empty())
          throw Error(ErrorCode::kInvalidInput,
                      "exp remove: name the experiments, or use --all or --queue");
        for (const auto& e : experiments::remove_experiments(ws.root(), targets))
          removed.push_back(e.name);
      }
      std::cout << "Removed experiments: " << (removed.empty() ? "none" : joined(removed)) << "\n";
      return 0;
    };
  });
}

}  // namespace

void register_experiment_commands(CLI::App& app, Invocation& inv) {
  auto* exp = app.add_subcommand("exp", "Run, compare and keep experiments (DVC-compatible)");
  exp->require_subcommand(1);
  add_run(exp, inv);
  add_show(exp, inv);
  add_diff(exp, inv);
  add_apply_branch_remove(exp, inv);
}

}  // namespace plinth::cli
