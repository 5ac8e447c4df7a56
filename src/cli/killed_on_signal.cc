// KilledOnSignal: a tracked run that Ctrl-C ends is KILLED, not left RUNNING.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "cli/tracked_training.h"
#include "core/error.h"

namespace plinth::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> wake_fd{-1};
std::atomic<bool> arrived{false};

// Only async-signal-safe work here: the thread does the rest.
extern "C" void note_signal(int sig) {
  arrived = true;
  char byte = static_cast<char>(sig);
  if (int fd = wake_fd; fd >= 0) (void)!::write(fd, &byte, 1);
}

}  // namespace

struct KilledOnSignal::State {
  int pipe_fds[2] = {-1, -1};
  struct sigaction old[std::size(kSignals)]{};
  std::thread watcher;
};

KilledOnSignal::KilledOnSignal(LiveRun& run) : state_(std::make_unique<State>()) {
  if (::pipe2(state_->pipe_fds, O_CLOEXEC) != 0)
    throw system_error("create a pipe for", "signal handling", errno);
  wake_fd = state_->pipe_fds[1];
  state_->watcher = std::thread([&run, fd = state_->pipe_fds[0]] {
    char sig = 0;
    while (::read(fd, &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // the guard ends
    try {
      run.end("KILLED");
    } catch (const std::exception& e) {
      spdlog::warn("cannot mark run {} KILLED: {}", run.id(), e.what());
    }
    ::signal(sig, SIG_DFL);
    ::kill(::getpid(), sig);
  });
  struct sigaction note {};
  note.sa_handler = note_signal;
  note.sa_flags = SA_RESTART;
  sigemptyset(&note.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &note, &state_->old[i]);
}

KilledOnSignal::~KilledOnSignal() {
  for (size_t i = 0; i < std::size(kSignals); ++i)
    ::sigaction(kSignals[i], &state_->old[i], nullptr);
  wake_fd = -1;
  char stop = 0;  // read after a signal's byte, if one came: then the watcher ends the process
  (void)!::write(state_->pipe_fds[1], &stop, 1);
  state_->watcher.join();
  ::close(state_->pipe_fds[0]);
  ::close(state_->pipe_fds[1]);
}

bool KilledOnSignal::signalled() { return arrived; }

}  // namespace plinth::cli
