// `plinth runs exec -- CMD ...`: any command as a tracked run, with its system metrics.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/tracked_training.h"
#include "core/error.h"
#include "experiments/system_metrics.h"
#include "tracking/store.h"

extern char** environ;

namespace plinth::cli {
namespace {

// How much of the command's output (stdout and stderr, interleaved) the run keeps as its
// artifact output.log: the end, where the error usually is.
constexpr size_t kTailBytes = 1 << 20;

std::atomic<pid_t> child_pid{0};
std::atomic<int> interrupted{0};  // SIGINT, SIGTERM or SIGHUP reached plinth

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

extern "C" void forward_signal(int sig, siginfo_t* info, void*) {
  if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) interrupted = sig;
  pid_t child = child_pid;
  // Ctrl-C and its kind reach the terminal's whole foreground process group, the command
  // included, and come from the kernel (SI_KERNEL): only signals sent to plinth alone
  // (kill, timeout, a supervisor) are passed on, so the command gets each signal once.
  if (child > 0 && info->si_code != SI_KERNEL) ::kill(child, sig);
}

// While it lives: signals are forwarded to the command, and SIGPIPE is ignored (a closed
// stdout ends the forwarding of that stream, which the command then sees as its own).
class SignalForwarding {
 public:
  SignalForwarding() {
    struct sigaction forward {};
    forward.sa_sigaction = forward_signal;
    forward.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&forward.sa_mask);
    for (size_t i = 0; i < std::size(kForwarded); ++i)
      ::sigaction(kForwarded[i], &forward, &old_[i]);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~SignalForwarding() {
    for (size_t i = 0; i < std::size(kForwarded); ++i)
      ::sigaction(kForwarded[i], &old_[i], nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    child_pid = 0;
  }

 private:
  struct sigaction old_[std::size(kForwarded)]{};
  struct sigaction old_pipe_ {};
};

// The last kTailBytes of the output, cut to whole lines when it had to be cut.
class OutputTail {
 public:
  void append(const char* data, size_t n) {
    text_.append(data, n);
    if (text_.size() > 2 * kTailBytes) {
      text_.erase(0, text_.size() - kTailBytes);
      cut_ = true;
    }
  }
  std::string text() const {
    std::string t = text_.size() > kTailBytes ? text_.substr(text_.size() - kTailBytes) : text_;
    if (cut_ || text_.size() > kTailBytes) {
      size_t nl = t.find('\n');
      t.erase(0, nl == std::string::npos ? 0 : nl + 1);
    }
    return t;
  }

 private:
  std::string text_;
  bool cut_ = false;
};

// The command's stdout or stderr: a pipe plinth reads and copies to its own fd.
struct Stream {
  int read_fd = -1;
  int write_fd = -1;
  int to = -1;
};

bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Copies both streams until they close, or until the command has exited and no output came for
// 200 ms (a background process it left may hold the pipes open). Returns waitpid's status.
int pump(Stream (&streams)[2], OutputTail& tail, pid_t pid) {
  int status = 0;
  bool exited = false;
  char buffer[1 << 16];
  while (streams[0].read_fd >= 0 || streams[1].read_fd >= 0) {
    pollfd fds[2];
    nfds_t n = 0;
    Stream* which[2];
    for (auto& s : streams)
      if (s.read_fd >= 0) {
        fds[n] = {s.read_fd, POLLIN, 0};
        which[n++] = &s;
      }
    int ready = ::poll(fds, n, exited ? 200 : 100);
    if (ready < 0 && errno != EINTR) throw system_error("poll the output of", "the command", errno);
    if (ready == 0 && exited) break;
    for (nfds_t i = 0; ready > 0 && i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got > 0) tail.append(buffer, static_cast<size_t>(got));
      if (got <= 0 || !write_all(which[i]->to, buffer, static_cast<size_t>(got))) {
        ::close(which[i]->read_fd);  // EOF, or our reader went away: the command sees EPIPE
        which[i]->read_fd = -1;
      }
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) exited = true;
  }
  for (auto& s : streams)
    if (s.read_fd >= 0) ::close(s.read_fd);
  while (!exited && ::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string shell_quoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    bool plain = !a.empty() && a.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789@%+=:,./_-") == std::string::npos;
    std::string q = plain ? a : "'";
    if (!plain) {
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
    }
    out += (out.empty() ? "" : " ") + q;
  }
  return out;
}

// This process's environment with `extra` (NAME=VALUE) set over it.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view var(*e);
    bool replaced = false;
    for (const auto& x : extra)
      replaced = replaced || var.starts_with(x.substr(0, x.find('=') + 1));
    if (!replaced) env.emplace_back(var);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Starts `argv` with stdin inherited and stdout/stderr into `streams`, signals at their
// default disposition. Returns the pid, or throws when the command cannot start.
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env, Stream (&streams)[2]) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 1; fd <= 2; ++fd)
    posix_spawn_file_actions_adddup2(&actions, streams[fd - 1].write_fd, fd);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigemptyset(&none);
  sigaddset(&defaults, SIGPIPE);
  for (int sig : kForwarded) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  for (auto& s : streams) ::close(s.write_fd);
  if (rc != 0) {
    for (auto& s : streams) ::close(s.read_fd);
    throw Error(rc == ENOENT ? ErrorCode::kNotFound : ErrorCode::kPermission,
                "cannot run '" + argv[0] + "': " + std::strerror(rc) +
                    (rc == ENOENT ? " (not a file, and not found on PATH)" : ""));
  }
  return pid;
}

// Whether posix_spawnp can find `program`: a path to an executable file, or a name on PATH.
bool runnable(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (size_t at = 0; at <= dirs.size();) {
    size_t end = std::min(dirs.find(':', at), dirs.size());
    std::string dir = end > at ? dirs.substr(at, end - at) : ".";
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    at = end + 1;
  }
  return false;
}

struct ExecFlags {
  std::string experiment, run_name, tracking_uri;
  double interval = experiments::kDefaultSystemMetricsInterval;
  std::vector<std::string> command;
};

int exec_tracked(const ExecFlags& f) {
  experiments::check_system_metrics_interval(f.interval);
  if (!runnable(f.command[0])) {
    std::cerr << "error: cannot run '" << f.command[0]
              << "': no such executable file, and none of that name on PATH\n";
    return 127;  // as shells say it; no run is recorded for a typo
  }
  LiveRun run(LiveRun::Spec{
      f.experiment,
      f.run_name,
      {{"plinth.command", shell_quoted(f.command)}, {"mlflow.source.name", f.command[0]}},
      f.tracking_uri});
  std::cerr << "plinth: run " << run.id() << " started" << std::endl;
  Stream streams[2];
  for (int fd = 1; fd <= 2; ++fd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw system_error("create a pipe for", "the command", errno);
    streams[fd - 1] = {p[0], p[1], fd};
  }
  SignalForwarding forwarding;
  interrupted = 0;
  OutputTail tail;
  int code = 0;
  std::string status = "FINISHED";
  try {
    pid_t pid = spawn(f.command, child_environment(run.child_environment()), streams);
    child_pid = pid;
    if (int sig = interrupted) ::kill(pid, sig);  // it came while the command was starting
    run.sample_system_metrics(pid, f.interval);
    int wait_status = pump(streams, tail, pid);
    int sig = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    code = sig ? 128 + sig : WEXITSTATUS(wait_status);
    if (interrupted || sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
      status = "KILLED";
    else if (code != 0)
      status = "FAILED";
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    code = e.code() == ErrorCode::kNotFound ? 127 : 126;  // as shells say it
    status = "FAILED";
  }
  run.store().log_batch(run.id(), {}, {}, {{"plinth.exit_code", std::to_string(code)}});
  try {
    if (std::string text = tail.text(); !text.empty()) run.put_artifact("output.log", text);
  } catch (const std::exception& e) {
    spdlog::warn("could not store the output as artifact output.log of run {}: {}", run.id(),
                 e.what());
  }
  run.end(status);
  std::cerr << "plinth: run " << run.id() << " " << status << " (exit code " << code << ")"
            << std::endl;
  return code;
}

}  // namespace

void register_exec_command(CLI::App& app, Invocation& inv) {
  CLI::App* runs = app.get_subcommand("runs");
  auto* cmd = runs->add_subcommand(
      "exec",
      "Run a command as a tracked run: its command line, exit code, output tail and system "
      "metrics (CPU, memory, disk, network, GPU) are recorded; stdin, stdout, stderr, signals "
      "and the exit code pass through");
  auto f = std::make_shared<ExecFlags>();
  cmd->add_option("-e,--experiment-name", f->experiment, "Experiment (created if missing)");
  cmd->add_option("-n,--run-name", f->run_name, "Run name (default: generated)");
  cmd->add_option("--system-metrics-interval", f->interval,
                  "Seconds between system-metrics samples; 0 turns them off (default 10)");
  cmd->add_option(
      "--tracking-uri", f->tracking_uri,
      "sqlite:///PATH.db, postgresql://... or http(s)://server (default: "
      "$PLINTH_TRACKING_URI, $MLFLOW_TRACKING_URI, else mlruns.db at the project root)");
  cmd->add_option("CMD", f->command, "The command and its arguments, after --")->required();
  cmd->callback([&inv, f] { inv.run = [f] { return exec_tracked(*f); }; });
}

}  // namespace plinth::cli
