#include "experiments/experiment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/random_id.h"
#include "experiments/internal/git_repo.h"
#include "experiments/internal/names.h"
#include "experiments/internal/run_record.h"
#include "experiments/refs.h"
#include "experiments/set_params.h"
#include "experiments/system_metrics.h"
#include "pipeline/values.h"
#include "repo/config.h"
#include "repo/workspace.h"

extern char** environ;

namespace plinth::experiments {
namespace fs = std::filesystem;
using internal::GitRepo;
using nlohmann::json;

namespace {

constexpr size_t kLogTailBytes = 4096;
constexpr auto kKillGrace = std::chrono::seconds(3);

// DVC's message names the hash of the experiment's dvc.lock stages (dict_sha256).
std::string commit_message(const fs::path& workspace) {
  pipeline::Value stages = pipeline::Value::object();
  fs::path lock = workspace / "dvc.lock";
  if (fs::exists(lock)) {
    pipeline::Value doc = pipeline::parse_structured(core::read_file(lock), "dvc.lock");
    if (doc.contains("stages")) stages = doc["stages"];
  }
  return "dvc: commit experiment " + core::sha256_hex(pipeline::python_json_sorted(stages));
}

// The experiment's own workspace: the source tree's files, the shared cache, the pointer
// files' data linked in from it.
// A file of the throwaway workspace copy: written plainly, no fsync (a crash loses the
// experiment, not data).
void write_scratch(const fs::path& path, std::string_view data) {
  core::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (fd.get() < 0) throw system_error("create", path.string(), errno);
  core::write_all(fd.get(), data, path);
}

// The main workspace's cache folder, as repo::Workspace resolves cache.dir.
fs::path cache_dir(const fs::path& root) {
  repo::Config config = repo::Config::load(root / ".dvc");
  auto dir = config.get("cache", "dir");
  if (!dir) return root / ".dvc" / "cache";
  fs::path p(*dir);
  return p.is_absolute() ? p
                         : (config.source_of("cache", "dir").parent_path() / p).lexically_normal();
}

void prepare_workspace(GitRepo& git, const fs::path& root, const fs::path& dir,
                       const std::string& tree) {
  size_t pointers = git.checkout_tree_to(tree, dir);
  fs::path dvc_dir = dir / ".dvc";
  fs::create_directories(dvc_dir / "tmp");
  repo::ConfigFile local = repo::ConfigFile::load(root / ".dvc" / "config.local");
  repo::ConfigFile copy = repo::ConfigFile::load(dvc_dir / "config.local");
  for (const auto& section : local.section_names())
    for (const auto& [k, v] : local.entries(section)) copy.set(section, k, v);
  copy.set("cache", "dir", fs::absolute(cache_dir(root)).string());
  write_scratch(dvc_dir / "config.local", copy.serialize());
  if (pointers > 0) repo::Workspace::open(dir).checkout({}, {});
}

// Keeps the last kLogTailBytes of output, on line boundaries.
class LogTail {
 public:
  void add(const std::string& line) {
    lines_.push_back(line);
    bytes_ += line.size() + 1;
    while (bytes_ > kLogTailBytes && lines_.size() > 1) {
      bytes_ -= lines_.front().size() + 1;
      lines_.pop_front();
    }
  }
  std::string text() const {
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
};

class Running final : public RunningExperiment {
 public:
  Running(ExperimentContext context, ExperimentSpec spec)
      : context_(std::move(context)),
        spec_(std::move(spec)),
        started_(std::chrono::steady_clock::now()) {}

  ~Running() override {
    if (pid_ > 0 && !waited_) {
      stop();
      try {
        wait();
      } catch (const std::exception&) {
      }
    }
  }

  const std::string& name() const override { return spec_.name; }
  const fs::path& workspace() const override { return workspace_; }

  void start() {
    GitRepo git(context_.root);
    if (spec_.baseline.empty()) spec_.baseline = git.head_commit();
    if (spec_.source_tree.empty()) spec_.source_tree = git.workspace_tree(spec_.baseline);
    if (spec_.name.empty()) {
      do spec_.name = internal::random_experiment_name();
      while (git.refs(experiment_ref(spec_.baseline, spec_.name)).size());
    } else {
      check_experiment_name(spec_.name);
      if (!git.refs(experiment_ref(spec_.baseline, spec_.name)).empty())
        throw Error(ErrorCode::kConflict,
                    "experiment '" + spec_.name +
                        "' already exists for this baseline: choose another --name, or remove "
                        "it with 'plinth exp remove " +
                        spec_.name + "'");
    }
    for (const auto& entry : spec_.set_params) parse_override(entry);  // fail before copying
    workspace_ = context_.root / ".dvc" / "tmp" / "exps" / ("plinth-" + core::random_hex(12));
    try {
      prepare_workspace(git, context_.root, workspace_, spec_.source_tree);
      copied_at_ = mark_time();
      apply_overrides(workspace_, spec_.set_params);
      if (context_.store) run_ = internal::start_run(context_, spec_, workspace_);
      launch();
    } catch (const std::exception& e) {
      if (run_) {
        ExperimentOutcome failed;
        failed.log_tail = e.what();
        internal::finish_run(context_, *run_, workspace_, failed);
      }
      std::error_code ec;
      fs::remove_all(workspace_, ec);
      throw;
    }
  }

  void stop() override {
    std::lock_guard lock(mutex_);
    if (reaped_ || pid_ <= 0 || stopping_) return;
    stopping_ = true;
    ::kill(-pid_, SIGTERM);
    killer_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      if (!reaped_cv_.wait_for(lock, kKillGrace, [this] { return reaped_; }))
        ::kill(-pid_, SIGKILL);
    });
  }

  ExperimentOutcome wait() override {
    if (waited_) throw Error(ErrorCode::kInternal, "wait() called twice on " + spec_.name);
    waited_ = true;
    if (reader_.joinable()) reader_.join();
    // Wait for the exit without reaping, so stop() can never signal a reused pid.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0 &&
           errno == EINTR) {
    }
    if (sampler_) sampler_->stop();  // its last sample covers the end of the run
    int status = 0;
    {
      std::lock_guard lock(mutex_);
      reaped_ = true;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    reaped_cv_.notify_all();
    if (killer_.joinable()) killer_.join();
    ExperimentOutcome out;
    out.name = spec_.name;
    out.baseline = spec_.baseline;
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    out.status = stopping_            ? Status::kKilled
                 : out.exit_code == 0 ? Status::kFinished
                                      : Status::kFailed;
    if (out.status == Status::kFailed) read_failed_stage(out);
    try {
      internal::read_results(workspace_, out);
      if (out.status == Status::kFinished) commit(out);
    } catch (const std::exception& e) {
      out.status = Status::kFailed;
      tail_.add(std::string("error: ") + e.what());
    }
    out.log_tail = tail_.text();
    out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started_);
    if (run_) out.run_id = internal::finish_run(context_, *run_, workspace_, out);
    std::error_code ec;
    fs::remove_all(workspace_, ec);
    return out;
  }

 private:
  std::string failed_stage_file() const {
    return (workspace_ / ".dvc" / "tmp" / "plinth-failed-stage.json").string();
  }

  // The stage whose command failed and its exit code, which repro wrote (see launch()).
  void read_failed_stage(ExperimentOutcome& out) {
    if (!spec_.command.empty() || !fs::exists(failed_stage_file())) return;
    try {
      json failed = json::parse(core::read_file(failed_stage_file()));
      out.failed_stage = failed.at("stage").get<std::string>();
      out.exit_code = failed.at("exit_code").get<int>();
    } catch (const json::exception&) {  // then repro's own exit code stands
    }
  }

  // The file system's idea of now (its timestamps are coarser than the clocks').
  fs::file_time_type mark_time() {
    fs::path marker = workspace_ / ".dvc" / "tmp" / "plinth-copied";
    write_scratch(marker, "");
    return fs::last_write_time(marker);
  }

  void launch() {
    std::vector<std::string> args = spec_.command;
    if (args.empty()) {
      fs::path exe = context_.plinth_executable.empty() ? fs::read_symlink("/proc/self/exe")
                                                        : context_.plinth_executable;
      args = {exe.string(), "repro"};
    }
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      // The experiment's run is logged here; `repro` must not log one of its own.
      if (kv.starts_with("PLINTH_TRACKING_URI=") && spec_.command.empty()) continue;
      if (kv.starts_with("PLINTH_EXP_NAME=") || kv.starts_with("PLINTH_RUN_ID=") ||
          kv.starts_with("PLINTH_FAILED_STAGE_FILE="))
        continue;
      env.emplace_back(kv);
    }
    env.push_back("PLINTH_EXP_NAME=" + spec_.name);
    // repro exits 1 when a stage fails; this file tells which stage, with its exit code.
    if (spec_.command.empty()) env.push_back("PLINTH_FAILED_STAGE_FILE=" + failed_stage_file());
    if (run_) env.push_back("PLINTH_RUN_ID=" + run_->run_id);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw system_error("pipe for", spec_.name, errno);
    std::string dir = workspace_.string();
    bool search_path = args[0].find('/') == std::string::npos;
    pid_t pid = ::fork();
    if (pid < 0) throw system_error("fork for experiment", spec_.name, errno);
    if (pid == 0) {
      sigset_t none;  // the caller may block signals it waits for; the experiment must not
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::setpgid(0, 0);
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      if (::chdir(dir.c_str()) != 0) _exit(127);
      if (search_path) {
        ::environ = envp.data();
        ::execvp(argv[0], argv.data());
      } else {
        ::execve(argv[0], argv.data(), envp.data());
      }
      const char* msg = "plinth: cannot run the experiment's command\n";
      (void)!::write(2, msg, std::strlen(msg));
      _exit(127);
    }
    ::setpgid(pid, pid);  // also here, so stop() right after start() reaches the group
    ::close(fds[1]);
    pid_ = pid;
    reader_ = std::thread([this, fd = fds[0]] { read_output(fd); });
    if (run_ && spec_.system_metrics_interval > 0) {
      SystemMetricsOptions options;
      options.interval_seconds = spec_.system_metrics_interval;
      options.root_pid = pid;
      options.disk_path = context_.root;
      sampler_ = std::make_unique<SystemMetricsSampler>(*context_.store, run_->run_id, options);
    }
  }

  void read_output(int fd) {
    std::string pending;
    char buf[4096];
    std::string prefix = "[" + spec_.name + "] ";
    auto emit = [&](const std::string& line) {
      tail_.add(line);
      if (context_.print) context_.print(prefix + line);
    };
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<size_t>(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
        emit(pending.substr(0, nl));
    }
    if (!pending.empty()) emit(pending);
    ::close(fd);
  }

  void commit(ExperimentOutcome& out) {
    GitRepo git(context_.root);
    std::string tree = git.tree_from_dir(spec_.source_tree, workspace_, copied_at_);
    std::string sha = git.commit(tree, spec_.baseline, commit_message(workspace_));
    if (!git.create_ref(experiment_ref(spec_.baseline, spec_.name), sha))
      throw Error(ErrorCode::kConflict, "experiment '" + spec_.name +
                                            "' was created by someone else meanwhile; its "
                                            "results are in commit " +
                                            sha);
    out.commit = sha;
  }

  const ExperimentContext context_;
  ExperimentSpec spec_;
  std::chrono::steady_clock::time_point started_;
  fs::path workspace_;
  fs::file_time_type copied_at_;
  std::optional<internal::TrackedRun> run_;
  std::unique_ptr<SystemMetricsSampler> sampler_;
  pid_t pid_ = -1;
  std::thread reader_, killer_;
  LogTail tail_;
  std::mutex mutex_;
  std::condition_variable reaped_cv_;
  bool reaped_ = false, stopping_ = false, waited_ = false;
};

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::kFinished:
      return "FINISHED";
    case Status::kFailed:
      return "FAILED";
    case Status::kKilled:
      return "KILLED";
  }
  return "FAILED";
}

std::unique_ptr<RunningExperiment> start(const ExperimentContext& context,
                                         const ExperimentSpec& spec) {
  auto running = std::make_unique<Running>(context, spec);
  running->start();
  return running;
}

}  // namespace plinth::experiments
