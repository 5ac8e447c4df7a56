#include "experiments/system_metrics.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "experiments/internal/nvml.h"
#include "experiments/internal/proc_stats.h"
#include "tracking/store.h"

namespace plinth::experiments {
namespace {

using Clock = std::chrono::steady_clock;
using Values = std::vector<std::pair<std::string, double>>;

double round1(double v) { return std::round(v * 10) / 10; }

// The counters a sample is measured against: rates need the previous reading.
struct Counters {
  Clock::time_point at;
  internal::CpuTimes cpu;
  uint64_t tree_ticks = 0;
  bool tree_seen = false;
};

// Reads the machine's counters and turns two readings into MLflow's metric values.
class Probe {
 public:
  explicit Probe(const SystemMetricsOptions& o)
      : options_(o),
        network_start_(internal::parse_net_dev(read("net/dev"))),
        nvml_(internal::Nvml::open(o.nvml_library)) {
    last_ = counters();
  }

  // Every metric's value since the previous call (names without "system/").
  Values sample() {
    Values out;
    Counters now = counters();
    if (now.cpu.total > last_.cpu.total)
      out.emplace_back(
          "cpu_utilization_percentage",
          round1(100.0 * (now.cpu.busy - last_.cpu.busy) / (now.cpu.total - last_.cpu.total)));
    internal::MemoryInfo mem = internal::parse_meminfo(read("meminfo"));
    if (mem.total > 0) {
      double used = static_cast<double>(mem.total - mem.available);
      out.emplace_back("system_memory_usage_megabytes", round1(used / 1e6));
      out.emplace_back("system_memory_usage_percentage", round1(100 * used / mem.total));
    }
    disk(out);
    internal::NetworkBytes net = internal::parse_net_dev(read("net/dev"));
    out.emplace_back("network_receive_megabytes",
                     (static_cast<double>(net.received) - network_start_.received) / 1e6);
    out.emplace_back("network_transmit_megabytes",
                     (static_cast<double>(net.transmitted) - network_start_.transmitted) / 1e6);
    if (nvml_) nvml_->sample(out);
    if (now.tree_seen) {
      out.emplace_back("process_tree_rss_megabytes", round1(tree_rss_ / 1e6));
      double seconds = std::chrono::duration<double>(now.at - last_.at).count();
      if (last_.tree_seen && seconds > 0) {
        double ticks = now.tree_ticks > last_.tree_ticks ? now.tree_ticks - last_.tree_ticks : 0;
        out.emplace_back("process_tree_cpu_utilization_percentage",
                         round1(100.0 * ticks / ticks_per_second_ / seconds));
      }
    }
    last_ = now;
    return out;
  }

 private:
  std::string read(const char* name) { return internal::read_proc_file(options_.proc_root / name); }

  // Reads the rate counters; the tree's RSS is read alongside, in the same pass.
  Counters counters() {
    Counters c;
    c.at = Clock::now();
    c.cpu = internal::parse_cpu_times(read("stat"));
    if (options_.root_pid <= 0) return c;
    tree_rss_ = 0;
    for (const auto& p :
         internal::process_tree(options_.root_pid, internal::read_processes(options_.proc_root))) {
      c.tree_seen = true;
      c.tree_ticks += p.cpu_ticks;
      std::string statm =
          internal::read_proc_file(options_.proc_root / std::to_string(p.pid) / "statm");
      tree_rss_ += internal::parse_statm_resident_pages(statm).value_or(0) * page_size_;
    }
    return c;
  }

  // psutil.disk_usage: used counts blocks reserved for root, available and the percentage do
  // not (the percentage is of what a user can fill).
  void disk(Values& out) const {
    struct statvfs st {};
    if (::statvfs(options_.disk_path.c_str(), &st) != 0) return;
    double unit = static_cast<double>(st.f_frsize);
    double used = (static_cast<double>(st.f_blocks) - st.f_bfree) * unit;
    double available = st.f_bavail * unit;
    if (used + available <= 0) return;
    out.emplace_back("disk_usage_percentage", round1(100 * used / (used + available)));
    out.emplace_back("disk_usage_megabytes", round1(used / 1e6));
    out.emplace_back("disk_available_megabytes", round1(available / 1e6));
  }

  SystemMetricsOptions options_;
  internal::NetworkBytes network_start_;
  std::unique_ptr<internal::Nvml> nvml_;
  Counters last_;
  double tree_rss_ = 0;
  const double page_size_ = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const double ticks_per_second_ = static_cast<double>(::sysconf(_SC_CLK_TCK));
};

}  // namespace

struct SystemMetricsSampler::State {
  tracking::Store& store;
  std::string run_id;
  std::chrono::duration<double> interval;
  Probe probe;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool stopped = false;
  std::atomic<bool> failed{false};
  std::atomic<int64_t> step{0};
  std::thread thread;

  State(tracking::Store& s, std::string id, const SystemMetricsOptions& o)
      : store(s), run_id(std::move(id)), interval(o.interval_seconds), probe(o) {}

  // Takes one sample and logs it at the next step; only the sampling thread or, after it
  // ended, stop() call this.
  void log_sample() {
    if (failed) return;
    int64_t timestamp = tracking::now_ms();
    std::vector<tracking::Metric> metrics;
    for (auto& [name, value] : probe.sample()) {
      tracking::Metric m;
      m.key = "system/" + name;
      m.value = value;
      m.timestamp = timestamp;
      m.step = step;
      metrics.push_back(std::move(m));
    }
    try {
      store.log_batch(run_id, metrics, {}, {});
      ++step;
    } catch (const std::exception& e) {
      failed = true;
      spdlog::warn("system metrics: cannot log to run {} ({}); no more samples", run_id, e.what());
    }
  }

  void loop() {
    auto due = Clock::now();
    std::unique_lock<std::mutex> lock(mutex);
    while (!failed) {
      due += std::chrono::duration_cast<Clock::duration>(interval);
      if (wake.wait_until(lock, due, [this] { return stopping; })) return;
      lock.unlock();
      log_sample();
      lock.lock();
      if (due < Clock::now()) due = Clock::now();  // a slow store: no burst to catch up
    }
  }
};

SystemMetricsSampler::SystemMetricsSampler(tracking::Store& store, std::string run_id,
                                           SystemMetricsOptions options) {
  if (!(options.interval_seconds > 0) || !std::isfinite(options.interval_seconds))
    throw Error(ErrorCode::kInvalidInput,
                "system metrics interval must be a positive number of "
                "seconds, not " +
                    std::to_string(options.interval_seconds));
  state_ = std::make_unique<State>(store, std::move(run_id), options);
  state_->thread = std::thread([s = state_.get()] { s->loop(); });
}

SystemMetricsSampler::~SystemMetricsSampler() { stop(); }

void SystemMetricsSampler::stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->stopped) return;
    state_->stopping = state_->stopped = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
  state_->log_sample();
}

int64_t SystemMetricsSampler::samples_logged() const { return state_->step; }

double check_system_metrics_interval(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds))
    throw Error(ErrorCode::kInvalidInput,
                "--system-metrics-interval: '" + std::to_string(seconds) +
                    "' is not a number of seconds >= 0; give e.g. 10 (0 turns sampling off)");
  return seconds;
}

}  // namespace plinth::experiments
