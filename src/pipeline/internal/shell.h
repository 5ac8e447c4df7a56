#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace plinth::pipeline {

// Runs `cmd` with the user's shell ($SHELL, else /bin/sh; bash and zsh without rc files) in
// `cwd` with environment `env` ("NAME=value"), and returns its exit code (128 + signal when
// killed). With a `prefix`, stdout and stderr are captured and passed to `print` line by line
// behind it (for parallel runs); otherwise the command shares Plinth's terminal.
int run_shell_command(const std::string& cmd, const std::filesystem::path& cwd,
                      const std::vector<std::string>& env, const std::string& prefix,
                      const std::function<void(const std::string&)>& print);

}  // namespace plinth::pipeline
