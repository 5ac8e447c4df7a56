#include "experiments/internal/nvml.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <cmath>

namespace plinth::experiments::internal {
namespace {

// The parts of NVIDIA's nvml.h used here (the documented C API; NVML_SUCCESS is 0).
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
struct NvmlMemory {  // nvmlMemory_t (version 1), bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
struct NvmlUtilization {  // nvmlUtilization_t, percent over the driver's last sample period
  unsigned int gpu;
  unsigned int memory;
};
constexpr NvmlReturn kNvmlSuccess = 0;

double round1(double v) { return std::round(v * 10) / 10; }

}  // namespace

struct Nvml::Api {
  void* library = nullptr;
  NvmlReturn (*init)() = nullptr;  // nvmlInit_v2
  NvmlReturn (*shutdown)() = nullptr;
  NvmlReturn (*device_count)(unsigned int*) = nullptr;                 // nvmlDeviceGetCount_v2
  NvmlReturn (*device_by_index)(unsigned int, NvmlDevice*) = nullptr;  // ..._v2
  NvmlReturn (*memory_info)(NvmlDevice, NvmlMemory*) = nullptr;
  NvmlReturn (*utilization)(NvmlDevice, NvmlUtilization*) = nullptr;
  NvmlReturn (*power_usage)(NvmlDevice, unsigned int*) = nullptr;           // milliwatts
  NvmlReturn (*enforced_power_limit)(NvmlDevice, unsigned int*) = nullptr;  // milliwatts
  std::vector<NvmlDevice> devices;
  bool initialised = false;

  ~Api() {
    if (initialised) shutdown();
    if (library) dlclose(library);
  }

  template <typename F>
  bool bind(F& fn, const char* symbol) {
    fn = reinterpret_cast<F>(dlsym(library, symbol));
    if (!fn) spdlog::debug("NVML: the library has no {}; GPU metrics off", symbol);
    return fn != nullptr;
  }
};

std::unique_ptr<Nvml> Nvml::open(const std::string& library) {
  auto api = std::make_unique<Api>();
  api->library = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!api->library) {
    spdlog::debug("NVML: cannot load {} ({}); GPU metrics off", library, dlerror());
    return nullptr;
  }
  if (!api->bind(api->init, "nvmlInit_v2") || !api->bind(api->shutdown, "nvmlShutdown") ||
      !api->bind(api->device_count, "nvmlDeviceGetCount_v2") ||
      !api->bind(api->device_by_index, "nvmlDeviceGetHandleByIndex_v2") ||
      !api->bind(api->memory_info, "nvmlDeviceGetMemoryInfo") ||
      !api->bind(api->utilization, "nvmlDeviceGetUtilizationRates") ||
      !api->bind(api->power_usage, "nvmlDeviceGetPowerUsage") ||
      !api->bind(api->enforced_power_limit, "nvmlDeviceGetEnforcedPowerLimit"))
    return nullptr;
  if (NvmlReturn rc = api->init(); rc != kNvmlSuccess) {
    spdlog::debug("NVML: nvmlInit_v2 returned {}; GPU metrics off", rc);
    return nullptr;
  }
  api->initialised = true;
  unsigned int count = 0;
  if (api->device_count(&count) != kNvmlSuccess) return nullptr;
  for (unsigned int i = 0; i < count; ++i) {
    NvmlDevice device = nullptr;
    if (api->device_by_index(i, &device) != kNvmlSuccess) {
      spdlog::debug("NVML: no handle for GPU {}; GPU metrics off", i);
      return nullptr;  // MLflow too gives up on GPUs when a handle fails
    }
    api->devices.push_back(device);
  }
  if (api->devices.empty()) return nullptr;
  return std::unique_ptr<Nvml>(new Nvml(std::move(api)));
}

Nvml::Nvml(std::unique_ptr<Api> api) : api_(std::move(api)) {}

Nvml::~Nvml() = default;

void Nvml::sample(std::vector<std::pair<std::string, double>>& out) const {
  for (size_t i = 0; i < api_->devices.size(); ++i) {
    NvmlDevice device = api_->devices[i];
    std::string gpu = "gpu_" + std::to_string(i) + "_";
    if (NvmlMemory m{}; api_->memory_info(device, &m) == kNvmlSuccess && m.total > 0) {
      out.emplace_back(gpu + "memory_usage_percentage", round1(100.0 * m.used / m.total));
      out.emplace_back(gpu + "memory_usage_megabytes", round1(m.used / 1e6));
    }
    if (NvmlUtilization u{}; api_->utilization(device, &u) == kNvmlSuccess)
      out.emplace_back(gpu + "utilization_percentage", u.gpu);
    unsigned int milliwatts = 0, limit = 0;
    if (api_->power_usage(device, &milliwatts) == kNvmlSuccess &&
        api_->enforced_power_limit(device, &limit) == kNvmlSuccess && limit > 0) {
      out.emplace_back(gpu + "power_usage_watts", round1(milliwatts / 1000.0));
      out.emplace_back(gpu + "power_usage_percentage", round1(100.0 * milliwatts / limit));
    }
  }
}

}  // namespace plinth::experiments::internal
