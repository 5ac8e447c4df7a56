#include "experiments/internal/proc_stats.h"

#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

namespace plinth::experiments::internal {
namespace {

// The whitespace-separated fields of `text`.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::optional<int64_t> number(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

uint64_t unsigned_number(std::string_view text) {
  auto v = number(text);
  return v && *v > 0 ? static_cast<uint64_t>(*v) : 0;
}

// The line of `text` that starts with `prefix`, without the prefix ("" when none does).
std::string_view line_after(std::string_view text, std::string_view prefix) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    at = end + 1;
  }
  return {};
}

}  // namespace

CpuTimes parse_cpu_times(std::string_view proc_stat) {
  std::vector<std::string_view> f = fields_of(line_after(proc_stat, "cpu "));
  CpuTimes t;
  // user nice system idle iowait irq softirq steal guest guest_nice
  for (size_t i = 0; i < f.size() && i < 8; ++i) t.total += unsigned_number(f[i]);
  uint64_t idle = f.size() > 3 ? unsigned_number(f[3]) : 0;
  uint64_t iowait = f.size() > 4 ? unsigned_number(f[4]) : 0;
  t.busy = t.total - idle - iowait;
  return t;
}

MemoryInfo parse_meminfo(std::string_view meminfo) {
  auto kib = [&](std::string_view key) -> std::optional<uint64_t> {
    std::vector<std::string_view> f = fields_of(line_after(meminfo, key));
    if (f.empty()) return std::nullopt;
    return unsigned_number(f[0]) * 1024;
  };
  MemoryInfo m;
  m.total = kib("MemTotal:").value_or(0);
  uint64_t free = kib("MemFree:").value_or(0);
  std::optional<uint64_t> available = kib("MemAvailable:");
  if (!available || *available == 0)
    available = free + kib("Buffers:").value_or(0) + kib("Cached:").value_or(0);
  m.available = *available > m.total ? free : *available;
  return m;
}

NetworkBytes parse_net_dev(std::string_view net_dev) {
  NetworkBytes n;
  size_t at = 0;
  while (at < net_dev.size()) {
    size_t end = net_dev.find('\n', at);
    if (end == std::string_view::npos) end = net_dev.size();
    std::string_view line = net_dev.substr(at, end - at);
    at = end + 1;
    size_t colon = line.rfind(':');
    if (colon == std::string_view::npos) continue;  // the two header lines
    std::vector<std::string_view> f = fields_of(line.substr(colon + 1));
    if (f.size() < 9) continue;
    n.received += unsigned_number(f[0]);
    n.transmitted += unsigned_number(f[8]);
  }
  return n;
}

std::optional<ProcessStat> parse_process_stat(std::string_view stat) {
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so split at the last ')'.
  size_t open = stat.find(" (");
  size_t close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  auto pid = number(stat.substr(0, open));
  std::vector<std::string_view> f = fields_of(stat.substr(close + 1));
  if (!pid || f.size() < 15) return std::nullopt;  // f[0] is field 3 (state)
  auto ppid = number(f[1]);
  if (!ppid) return std::nullopt;
  ProcessStat p;
  p.pid = static_cast<pid_t>(*pid);
  p.ppid = static_cast<pid_t>(*ppid);
  for (size_t i = 11; i <= 14; ++i) p.cpu_ticks += unsigned_number(f[i]);  // utime..cstime
  return p;
}

std::optional<uint64_t> parse_statm_resident_pages(std::string_view statm) {
  std::vector<std::string_view> f = fields_of(statm);
  if (f.size() < 2) return std::nullopt;
  auto pages = number(f[1]);
  if (!pages || *pages < 0) return std::nullopt;
  return static_cast<uint64_t>(*pages);
}

std::vector<ProcessStat> process_tree(pid_t root, const std::vector<ProcessStat>& processes) {
  std::multimap<pid_t, const ProcessStat*> children;
  const ProcessStat* top = nullptr;
  for (const auto& p : processes) {
    if (p.pid == root) top = &p;
    if (p.pid != p.ppid) children.emplace(p.ppid, &p);
  }
  std::vector<ProcessStat> tree;
  if (!top) return tree;
  std::set<pid_t> seen{root};  // a pid reused mid-scan must not make a loop
  tree.push_back(*top);
  for (size_t i = 0; i < tree.size(); ++i) {
    auto [first, last] = children.equal_range(tree[i].pid);
    for (auto it = first; it != last; ++it)
      if (seen.insert(it->second->pid).second) tree.push_back(*it->second);
  }
  return tree;
}

std::string read_proc_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<ProcessStat> read_processes(const std::filesystem::path& proc_root) {
  std::vector<ProcessStat> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc_root, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || !number(name)) continue;
    if (auto p = parse_process_stat(read_proc_file(it->path() / "stat"))) out.push_back(*p);
  }
  return out;
}

}  // namespace plinth::experiments::internal
