#include "experiments/queue.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "core/random_id.h"
#include "experiments/internal/git_repo.h"
#include "experiments/internal/names.h"
#include "experiments/refs.h"
#include "experiments/set_params.h"

namespace plinth::experiments {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path queue_dir(const fs::path& root) { return root / ".dvc" / "tmp" / "plinth-exps" / "queue"; }
fs::path claimed_dir(const fs::path& root) {
  return root / ".dvc" / "tmp" / "plinth-exps" / "claimed";
}

json to_json(const ExperimentSpec& s) {
  return {{"name", s.name},
          {"set_params", s.set_params},
          {"baseline", s.baseline},
          {"source_tree", s.source_tree},
          {"parent_run_id", s.parent_run_id},
          {"tags", s.tags},
          {"command", s.command},
          {"system_metrics_interval", s.system_metrics_interval}};
}

QueuedExperiment load_entry(const fs::path& file) {
  QueuedExperiment q;
  q.id = file.stem().string();
  try {
    json j = json::parse(core::read_file(file));
    q.spec.name = j.at("name");
    q.spec.set_params = j.at("set_params").get<std::vector<std::string>>();
    q.spec.baseline = j.at("baseline");
    q.spec.source_tree = j.at("source_tree");
    q.spec.parent_run_id = j.value("parent_run_id", "");
    q.spec.tags = j.value("tags", std::map<std::string, std::string>{});
    q.spec.command = j.value("command", std::vector<std::string>{});
    q.spec.system_metrics_interval =
        j.value("system_metrics_interval", kDefaultSystemMetricsInterval);
  } catch (const json::exception& e) {
    throw Error(ErrorCode::kCorrupted, "queued experiment " + file.string() + " is damaged (" +
                                           e.what() +
                                           "): delete it, or 'plinth exp remove --queue'");
  }
  return q;
}

std::vector<fs::path> entry_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Checks the -S entries against copies of the params files they name, so that a bad entry is
// refused when it is queued rather than when it runs.
void check_overrides(const fs::path& root, const std::vector<std::string>& entries) {
  if (entries.empty()) return;
  fs::path scratch = root / ".dvc" / "tmp" / "plinth-exps" / ("check-" + core::random_hex(8));
  try {
    for (const auto& e : entries) {
      ParamOverride o = parse_override(e);
      if (fs::is_regular_file(root / o.file) && !fs::exists(scratch / o.file)) {
        fs::create_directories((scratch / o.file).parent_path());
        fs::copy_file(root / o.file, scratch / o.file);
      }
    }
    apply_overrides(scratch, entries);
  } catch (...) {
    fs::remove_all(scratch);
    throw;
  }
  fs::remove_all(scratch);
}

// Takes the oldest waiting entry by moving it to claimed/<id>.<runner pid>.json; nullopt when
// none is left.
std::optional<std::pair<QueuedExperiment, fs::path>> claim(const fs::path& root) {
  fs::create_directories(claimed_dir(root));
  for (const auto& file : entry_files(queue_dir(root))) {
    fs::path target =
        claimed_dir(root) / (file.stem().string() + "." + std::to_string(::getpid()) + ".json");
    if (std::rename(file.c_str(), target.c_str()) != 0) {
      if (errno == ENOENT) continue;  // another runner took it first
      throw system_error("claim queued experiment", file.string(), errno);
    }
    QueuedExperiment entry = load_entry(target);
    entry.id = file.stem().string();
    return std::make_pair(entry, target);
  }
  return std::nullopt;
}

// Puts entries claimed by runners that died (killed, crashed) back into the queue.
void requeue_orphans(const fs::path& root) {
  for (const auto& file : entry_files(claimed_dir(root))) {
    std::string stem = file.stem().string();
    size_t dot = stem.rfind('.');
    if (dot == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atol(stem.c_str() + dot + 1));
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::rename(file.c_str(), (queue_dir(root) / (stem.substr(0, dot) + ".json")).c_str());
  }
}

}  // namespace

QueuedExperiment enqueue(const fs::path& root, ExperimentSpec spec) {
  internal::GitRepo git(root);
  if (spec.baseline.empty()) spec.baseline = git.head_commit();
  check_overrides(root, spec.set_params);
  auto taken = [&](const std::string& name) {
    if (!git.refs(experiment_ref(spec.baseline, name)).empty()) return true;
    for (const auto& q : queued(root))
      if (q.spec.name == name) return true;
    return false;
  };
  if (spec.name.empty()) {
    do spec.name = internal::random_experiment_name();
    while (taken(spec.name));
  } else {
    check_experiment_name(spec.name);
    if (taken(spec.name))
      throw Error(ErrorCode::kConflict, "experiment '" + spec.name +
                                            "' already exists or is queued: choose another "
                                            "--name, or remove it with 'plinth exp remove'");
  }
  if (spec.source_tree.empty()) spec.source_tree = git.workspace_tree(spec.baseline);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(ns));
  QueuedExperiment q{std::string(stamp) + "-" + core::random_hex(8), spec};
  fs::create_directories(queue_dir(root));
  core::write_file_atomic(queue_dir(root) / (q.id + ".json"), to_json(spec).dump(2) + "\n");
  return q;
}

std::vector<QueuedExperiment> queued(const fs::path& root) {
  std::vector<QueuedExperiment> out;
  for (const auto& file : entry_files(queue_dir(root))) out.push_back(load_entry(file));
  return out;
}

std::vector<QueuedExperiment> dequeue(const fs::path& root, const std::vector<std::string>& names) {
  auto all = queued(root);
  std::vector<QueuedExperiment> chosen;
  for (const auto& n : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& q) { return q.spec.name == n; });
    if (it == all.end())
      throw Error(ErrorCode::kNotFound, "no queued experiment named '" + n +
                                            "'; 'plinth exp show --queue' lists the queue");
    chosen.push_back(*it);
  }
  if (names.empty()) chosen = all;
  for (const auto& q : chosen) fs::remove(queue_dir(root) / (q.id + ".json"));
  return chosen;
}

std::vector<ExperimentOutcome> run_queue(
    const ExperimentContext& context, size_t jobs,
    const std::function<void(const QueuedExperiment&)>& on_start,
    const std::function<void(const ExperimentOutcome&)>& on_done, const std::atomic<bool>* cancel) {
  requeue_orphans(context.root);
  std::mutex mutex;
  std::vector<ExperimentOutcome> outcomes;
  std::vector<RunningExperiment*> running;
  std::exception_ptr error;
  auto cancelled = [&] { return cancel && cancel->load(); };
  auto worker = [&] {
    try {
      while (!cancelled()) {
        auto next = claim(context.root);
        if (!next) break;
        auto& [entry, file] = *next;
        {
          std::lock_guard lock(mutex);
          if (on_start) on_start(entry);
        }
        ExperimentOutcome out;
        try {
          auto exp = start(context, entry.spec);
          {
            std::lock_guard lock(mutex);
            running.push_back(exp.get());
          }
          if (cancelled()) exp->stop();
          out = exp->wait();
          std::lock_guard lock(mutex);
          running.erase(std::find(running.begin(), running.end(), exp.get()));
        } catch (const Error& e) {
          out.name = entry.spec.name;
          out.baseline = entry.spec.baseline;
          out.status = Status::kFailed;
          out.exit_code = exit_code(e.code());
          out.log_tail = std::string("error: ") + e.what() + "\n";
        }
        if (out.status == Status::kKilled)  // interrupted: it runs again next time
          std::rename(file.c_str(), (queue_dir(context.root) / (entry.id + ".json")).c_str());
        else
          fs::remove(file);
        std::lock_guard lock(mutex);
        if (on_done) on_done(out);
        outcomes.push_back(std::move(out));
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < std::max<size_t>(jobs, 1); ++i) threads.emplace_back(worker);
  std::thread watcher;  // stops the running experiments once `cancel` is set
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  if (cancel)
    watcher = std::thread([&] {
      std::unique_lock done_lock(done_mutex);
      while (!done && !cancelled()) done_cv.wait_for(done_lock, std::chrono::milliseconds(50));
      std::lock_guard lock(mutex);
      for (auto* exp : running) exp->stop();
    });
  for (auto& t : threads) t.join();
  {
    std::lock_guard done_lock(done_mutex);
    done = true;
  }
  done_cv.notify_all();
  if (watcher.joinable()) watcher.join();
  if (error) std::rethrow_exception(error);
  return outcomes;
}

}  // namespace plinth::experiments
