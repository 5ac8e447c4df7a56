#pragma once

// Linux procfs text, parsed the way psutil 7 reads it (MLflow's system metrics are psutil's).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::experiments::internal {

// The aggregate "cpu" line of /proc/stat, in clock ticks. As psutil: guest times are already in
// user and nice, so they are not added again; idle and iowait are not busy.
struct CpuTimes {
  uint64_t busy = 0;
  uint64_t total = 0;
};
CpuTimes parse_cpu_times(std::string_view proc_stat);

// /proc/meminfo in bytes. `available` is MemAvailable (MemFree + Buffers + Cached when the
// kernel has no MemAvailable; MemFree when MemAvailable exceeds MemTotal, as in containers).
struct MemoryInfo {
  uint64_t total = 0;
  uint64_t available = 0;
};
MemoryInfo parse_meminfo(std::string_view meminfo);

// /proc/net/dev summed over every interface, loopback included (psutil.net_io_counters()).
struct NetworkBytes {
  uint64_t received = 0;
  uint64_t transmitted = 0;
};
NetworkBytes parse_net_dev(std::string_view net_dev);

// /proc/PID/stat: the parent, and the CPU ticks of the process plus its reaped children
// (utime + stime + cutime + cstime), so a tree's total does not drop when a child exits.
struct ProcessStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  uint64_t cpu_ticks = 0;
};
// nullopt for text that is not a stat line (the process vanished mid-read).
std::optional<ProcessStat> parse_process_stat(std::string_view stat);

// The resident pages of /proc/PID/statm (its second field); nullopt when unreadable.
std::optional<uint64_t> parse_statm_resident_pages(std::string_view statm);

// `root` and every descendant of it among `processes` (root first; empty when root is absent).
std::vector<ProcessStat> process_tree(pid_t root, const std::vector<ProcessStat>& processes);

// Every process under `proc_root` (the numeric folders), skipping those that vanish meanwhile.
std::vector<ProcessStat> read_processes(const std::filesystem::path& proc_root);

// The whole file as text ("" when it cannot be read: procfs files come and go).
std::string read_proc_file(const std::filesystem::path& path);

}  // namespace plinth::experiments::internal
