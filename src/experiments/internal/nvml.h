#pragma once

// NVIDIA's management library (NVML), loaded at run time so Plinth runs where it is absent.
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace plinth::experiments::internal {

class Nvml {
 public:
  // Loads `library` (e.g. "libnvidia-ml.so.1") and initialises NVML. nullptr when the library
  // is missing, lacks a function used here, fails to initialise or sees no GPU: machines
  // without NVIDIA GPUs are normal, so this says nothing above debug level.
  static std::unique_ptr<Nvml> open(const std::string& library);
  // Shuts NVML down and unloads the library.
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // Appends, per GPU N, MLflow's gpu_N_memory_usage_percentage, gpu_N_memory_usage_megabytes,
  // gpu_N_utilization_percentage, gpu_N_power_usage_watts and gpu_N_power_usage_percentage
  // (names without "system/"). A reading NVML refuses is left out; the others still come.
  void sample(std::vector<std::pair<std::string, double>>& out) const;

  struct Api;

 private:
  explicit Nvml(std::unique_ptr<Api> api);
  std::unique_ptr<Api> api_;
};

}  // namespace plinth::experiments::internal
