#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

namespace plinth::tracking {
class Store;
}

namespace plinth::experiments {

// System metrics of a run, logged under MLflow 3.17's names (mlflow/system_metrics): every
// sample is one log_batch at step 0, 1, 2, ... (MLflow's step convention), all points of a
// sample sharing its timestamp. Values are MLflow's: CPU and memory as psutil computes them,
// megabytes are 10^6 bytes, averages rounded to one decimal, network counted from the start.
//
//   system/cpu_utilization_percentage        busy share of all CPUs since the previous sample
//   system/system_memory_usage_megabytes     MemTotal - MemAvailable
//   system/system_memory_usage_percentage    the same, of MemTotal
//   system/disk_usage_percentage             of the filesystem holding `disk_path`
//   system/disk_usage_megabytes, system/disk_available_megabytes
//   system/network_receive_megabytes         all interfaces, since the sampler started
//   system/network_transmit_megabytes
//   system/gpu_N_utilization_percentage      per NVIDIA GPU N, when NVML is present
//   system/gpu_N_memory_usage_megabytes, system/gpu_N_memory_usage_percentage
//   system/gpu_N_power_usage_watts, system/gpu_N_power_usage_percentage
//
// Plinth adds two for the process tree under `root_pid` (it and all its descendants):
//
//   system/process_tree_rss_megabytes               sum of resident set sizes
//   system/process_tree_cpu_utilization_percentage  CPU time used since the previous sample,
//                                                   in % of one CPU (200 = two busy cores)
struct SystemMetricsOptions {
  // Seconds between samples (MLflow's default is 10). Must be > 0: callers that take 0 as
  // "off" construct no sampler.
  double interval_seconds = 10;
  // The process whose tree the process_tree_* metrics describe; 0: those metrics are left out.
  pid_t root_pid = 0;
  // The filesystem the disk_* metrics describe (MLflow: "/").
  std::filesystem::path disk_path = "/";
  // Where procfs is mounted (tests point it at captured text).
  std::filesystem::path proc_root = "/proc";
  // The NVML library loaded at run time; when it cannot be loaded or finds no GPU, the gpu_*
  // metrics are left out without a word.
  std::string nvml_library = "libnvidia-ml.so.1";
};

// Samples system metrics on a background thread every `interval_seconds` and logs each sample
// to one run. A failure to log (the run was deleted, the server went away) is reported once as
// a warning and ends the sampling; the work being measured goes on. Not copyable or movable.
class SystemMetricsSampler {
 public:
  // Reads the starting counters (CPU times, network bytes) and starts the thread; the first
  // sample is logged one interval later. `store` must outlive the sampler and accept calls from
  // another thread (every Store does). Throws Error(kInvalidInput) when interval_seconds <= 0.
  SystemMetricsSampler(tracking::Store& store, std::string run_id, SystemMetricsOptions options);
  // Calls stop().
  ~SystemMetricsSampler();
  SystemMetricsSampler(const SystemMetricsSampler&) = delete;
  SystemMetricsSampler& operator=(const SystemMetricsSampler&) = delete;

  // Takes and logs a final sample covering the time since the last one, then joins the thread.
  // Call it when the measured work has ended, before marking the run finished. Idempotent.
  void stop();
  // Samples logged so far (the next one's step).
  int64_t samples_logged() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Seconds between samples unless a command is told otherwise: MLflow's default sampling
// interval (mlflow.system_metrics), the same for repro, runs exec, exp run and sweep.
inline constexpr double kDefaultSystemMetricsInterval = 10;

// "--system-metrics-interval" as the commands take it: seconds, 0 disables; rejects negative,
// NaN and infinite values with Error(kInvalidInput) naming the flag.
double check_system_metrics_interval(double seconds);

}  // namespace plinth::experiments
