#include "pipeline/internal/shell.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "core/error.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

int run_shell_command(const std::string& cmd, const fs::path& cwd,
                      const std::vector<std::string>& env, const std::string& prefix,
                      const std::function<void(const std::string&)>& print) {
  const char* shell_env = std::getenv("SHELL");
  std::string shell = shell_env && *shell_env ? shell_env : "/bin/sh";
  std::vector<std::string> args = {shell};
  if (shell.ends_with("/bash")) args.insert(args.end(), {"--noprofile", "--norc"});
  if (shell.ends_with("/zsh")) args.push_back("--no-rcs");
  args.insert(args.end(), {"-c", cmd});
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int fds[2] = {-1, -1};
  if (!prefix.empty() && ::pipe2(fds, O_CLOEXEC) != 0) throw system_error("pipe", cmd, errno);
  pid_t pid = ::fork();
  if (pid < 0) throw system_error("fork for", cmd, errno);
  if (pid == 0) {
    if (fds[1] >= 0) {
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
    }
    if (::chdir(cwd.c_str()) != 0) _exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (fds[1] >= 0) {
    ::close(fds[1]);
    std::string pending;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        break;
      }
      pending.append(buf, n);
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        print(prefix + pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) print(prefix + pending);
    ::close(fds[0]);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace plinth::pipeline
