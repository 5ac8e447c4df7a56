#include "pipeline/run_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

std::vector<StageLock> RunCache::lookup(const StageLock& lock) const {
  std::string key = run_cache_key(lock);
  fs::path dir = root_ / key.substr(0, 2) / key;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && !e.path().filename().string().starts_with("."))
      files.emplace_back(e.last_write_time(ec), e.path());
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<StageLock> out;
  for (const auto& [time, path] : files) {
    try {
      out.push_back(StageLock::parse(YAML::Load(core::read_file(path)), path.string()));
    } catch (const std::exception& e) {
      spdlog::warn("skipping unreadable run-cache entry {}: {}", path.string(), e.what());
    }
  }
  return out;
}

void RunCache::save(const StageLock& lock) const {
  std::string key = run_cache_key(lock);
  fs::path dir = root_ / key.substr(0, 2) / key;
  fs::create_directories(dir);
  core::write_file_atomic(dir / run_cache_value(lock), lock.serialize(0));
}

}  // namespace plinth::pipeline
