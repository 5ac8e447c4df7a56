// System metrics: /proc text captured on a real machine (proc_fixture/, written by
// make_proc_fixture.py) parsed as psutil parses it, checked against what psutil computed from
// the same files; and the sampler logging MLflow's names to a real SQLite store.
#include "experiments/system_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.h"
#include "experiments/internal/proc_stats.h"
#include "tracking/database.h"
#include "tracking/store.h"

namespace plinth::experiments {
namespace {

namespace fs = std::filesystem;
using internal::read_proc_file;

const fs::path kFixture = fs::path(PLINTH_EXPERIMENTS_TEST_DIR) / "proc_fixture";

nlohmann::json expected() {
  std::ifstream in(kFixture / "expected.json");
  return nlohmann::json::parse(in);
}

double round1(double v) { return std::round(v * 10) / 10; }

double cpu_percent(const char* from, const char* to) {
  auto a = internal::parse_cpu_times(read_proc_file(kFixture / from / "stat"));
  auto b = internal::parse_cpu_times(read_proc_file(kFixture / to / "stat"));
  EXPECT_GT(b.total, a.total);
  return round1(100.0 * (b.busy - a.busy) / (b.total - a.total));
}

TEST(ProcStats, CpuUtilisationIsPsutils) {
  EXPECT_DOUBLE_EQ(cpu_percent("a", "b"), expected()["cpu_utilization_percentage"].get<double>());
  // Made-up lines where idle, iowait, steal and guest times all move.
  EXPECT_DOUBLE_EQ(cpu_percent("c", "d"),
                   expected()["made_up_cpu_utilization_percentage"].get<double>());
}

TEST(ProcStats, MemoryIsPsutils) {
  auto m = internal::parse_meminfo(read_proc_file(kFixture / "b/meminfo"));
  double used = static_cast<double>(m.total - m.available);
  EXPECT_DOUBLE_EQ(round1(used / 1e6), expected()["system_memory_usage_megabytes"].get<double>());
  EXPECT_DOUBLE_EQ(round1(100 * used / m.total),
                   expected()["system_memory_usage_percentage"].get<double>());
}

TEST(ProcStats, NetworkIsPsutils) {
  auto a = internal::parse_net_dev(read_proc_file(kFixture / "a/net/dev"));
  auto b = internal::parse_net_dev(read_proc_file(kFixture / "b/net/dev"));
  EXPECT_NEAR((static_cast<double>(b.received) - a.received) / 1e6,
              expected()["network_receive_megabytes"].get<double>(), 1e-9);
  EXPECT_NEAR((static_cast<double>(b.transmitted) - a.transmitted) / 1e6,
              expected()["network_transmit_megabytes"].get<double>(), 1e-9);
}

TEST(ProcStats, ProcessTreeIsPsutils) {
  nlohmann::json want = expected();
  pid_t root = want["root_pid"].get<pid_t>();
  double ticks = want["clock_ticks_per_second"].get<double>();
  for (const char* snapshot : {"a", "b"}) {
    auto tree = internal::process_tree(root, internal::read_processes(kFixture / snapshot));
    std::vector<pid_t> pids;
    uint64_t cpu = 0, pages = 0;
    for (const auto& p : tree) {
      pids.push_back(p.pid);
      cpu += p.cpu_ticks;
      auto statm = read_proc_file(kFixture / snapshot / std::to_string(p.pid) / "statm");
      pages += internal::parse_statm_resident_pages(statm).value_or(0);
    }
    std::sort(pids.begin(), pids.end());
    EXPECT_EQ(pids, want["tree_pids"].get<std::vector<pid_t>>()) << snapshot;
    EXPECT_NEAR(cpu / ticks,
                want[std::string("process_tree_cpu_seconds_") + snapshot].get<double>(), 1e-9);
    if (std::string(snapshot) == "b") {
      EXPECT_EQ(pages * want["page_size"].get<uint64_t>(),
                want["process_tree_rss_bytes"].get<uint64_t>());
    }
  }
}

TEST(ProcStats, StatLineWhoseNameHasParenthesesAndSpaces) {
  auto p = internal::parse_process_stat(
      "4242 (a) b (c) S 17 4242 4242 0 -1 4194304 100 0 0 0 7 3 2 1 20 0 1 0 5 1000 50");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, 4242);
  EXPECT_EQ(p->ppid, 17);
  EXPECT_EQ(p->cpu_ticks, 7u + 3 + 2 + 1);
  EXPECT_FALSE(internal::parse_process_stat("").has_value());
  EXPECT_FALSE(internal::parse_process_stat("4242 (cut").has_value());
}

// A SQLite store in a temporary folder.
struct TempStore {
  fs::path dir =
      fs::temp_directory_path() / ("plinth-sysmetrics-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<tracking::Database> db;
  std::unique_ptr<tracking::Store> store;
  TempStore() {
    fs::create_directories(dir);
    db = tracking::open_database("sqlite:///" + (dir / "mlruns.db").string());
    store = tracking::make_store(*db, "mlflow-artifacts:");
  }
  ~TempStore() { fs::remove_all(dir); }

  // Each metric's points of `run`, by name: (step, value) in step order.
  std::map<std::string, std::vector<std::pair<int64_t, double>>> history(const std::string& run) {
    std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
    for (const auto& latest : store->get_run(run).metrics) {
      auto series = store->metric_series(run, latest.key);
      for (size_t i = 0; i < series.size(); ++i)
        out[latest.key].emplace_back(series.step[i], series.value[i]);
    }
    return out;
  }
};

SystemMetricsOptions fixture_options(const std::string& nvml) {
  SystemMetricsOptions o;
  o.interval_seconds = 0.05;
  o.root_pid = expected()["root_pid"].get<pid_t>();
  o.proc_root = kFixture / "b";
  o.nvml_library = nvml;
  return o;
}

TEST(SystemMetricsSampler, LogsMlflowNamesAtConsecutiveStepsAndAFinalSample) {
  TempStore t;
  std::string run = t.store->create_run({}).info.run_id;
  SystemMetricsSampler sampler(*t.store, run, fixture_options(PLINTH_FAKE_NVML));
  std::this_thread::sleep_for(std::chrono::milliseconds(230));
  int64_t before_stop = sampler.samples_logged();
  sampler.stop();
  sampler.stop();  // idempotent
  int64_t n = sampler.samples_logged();
  EXPECT_GE(before_stop, 2);
  EXPECT_EQ(n, before_stop + 1) << "stop() logs one final sample";

  auto h = t.history(run);
  nlohmann::json want = expected();
  // The procfs copy does not change, so rates are zero and levels are the fixture's.
  std::map<std::string, double> constant = {
      {"system/system_memory_usage_megabytes", want["system_memory_usage_megabytes"]},
      {"system/system_memory_usage_percentage", want["system_memory_usage_percentage"]},
      {"system/network_receive_megabytes", 0},
      {"system/network_transmit_megabytes", 0},
      {"system/process_tree_rss_megabytes",
       round1(want["process_tree_rss_bytes"].get<double>() / 1e6)},
      {"system/process_tree_cpu_utilization_percentage", 0},
      {"system/gpu_0_memory_usage_percentage", 25},
      {"system/gpu_0_memory_usage_megabytes", 4000},
      {"system/gpu_0_utilization_percentage", 87},
      {"system/gpu_0_power_usage_watts", 150},
      {"system/gpu_0_power_usage_percentage", 50}};
  for (const auto& [name, value] : constant) {
    ASSERT_EQ(h[name].size(), static_cast<size_t>(n)) << name;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(h[name][i].first, i) << name;
      EXPECT_DOUBLE_EQ(h[name][i].second, value) << name << " at step " << i;
    }
  }
  for (const char* disk : {"system/disk_usage_percentage", "system/disk_usage_megabytes",
                           "system/disk_available_megabytes"})
    EXPECT_EQ(h[disk].size(), static_cast<size_t>(n)) << disk;
  // No CPU time passed in the frozen /proc/stat: the share is undefined, so it is left out.
  EXPECT_EQ(h.count("system/cpu_utilization_percentage"), 0u);
  EXPECT_EQ(h.count("system/gpu_1_utilization_percentage"), 0u);
}

TEST(SystemMetricsSampler, WithoutNvmlLogsNoGpuMetricsAndSaysNothing) {
  TempStore t;
  std::string run = t.store->create_run({}).info.run_id;
  SystemMetricsOptions o = fixture_options("libnvidia-ml-absent.so.1");
  o.interval_seconds = 10;
  testing::internal::CaptureStderr();
  { SystemMetricsSampler sampler(*t.store, run, o); }  // destroyed at once: only the final sample
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  auto h = t.history(run);
  EXPECT_EQ(h["system/process_tree_rss_megabytes"].size(), 1u);
  for (const auto& [name, points] : h) EXPECT_EQ(name.find("gpu"), std::string::npos) << name;
}

TEST(SystemMetricsSampler, RejectsANonPositiveInterval) {
  TempStore t;
  SystemMetricsOptions o;
  o.interval_seconds = 0;
  EXPECT_THROW(SystemMetricsSampler(*t.store, "r", o), Error);
  EXPECT_THROW(check_system_metrics_interval(-1), Error);
  EXPECT_THROW(check_system_metrics_interval(std::nan("")), Error);
  EXPECT_EQ(check_system_metrics_interval(0), 0);
}

}  // namespace
}  // namespace plinth::experiments
