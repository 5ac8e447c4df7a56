#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace plinth::core {

// Whether progress bars may be drawn at all. The CLI turns them off for --quiet; they are also
// off whenever stderr is not a terminal.
void set_progress_enabled(bool enabled);

enum class ProgressUnit { kItems, kBytes };

// A one-line progress bar on stderr, e.g. "Hashing  52% |#####     | 5.2k/10k files 8.1k/s".
// add() is thread-safe and cheap; the line is redrawn at most ten times a second and cleared
// when the Progress is destroyed.
class Progress {
 public:
  Progress(std::string label, uint64_t total, ProgressUnit unit, std::string noun = "");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(uint64_t n);
  // A second count shown after the first, e.g. the objects done while bytes fill the bar:
  // "... 12.0MiB/40.0MiB 3/10 objects".
  void set_items(uint64_t total, std::string noun);
  void add_item();
  // For a count without a total (0): how much of the work is done, from 0 to 1, which fills
  // the bar instead: "Scoring  42% |########            | 1.2M rows  850.3k/s". Thread-safe.
  void set_fraction(double fraction);

 private:
  void draw();

  std::string label_;
  std::atomic<uint64_t> total_;
  std::atomic<uint64_t> done_{0};
  ProgressUnit unit_;
  std::string noun_;
  std::atomic<uint64_t> items_total_{0};
  std::atomic<uint64_t> items_done_{0};
  std::atomic<int> permille_{-1};  // set_fraction's, -1 before the first call
  std::string items_noun_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> next_draw_ns_{0};
  std::mutex draw_mutex_;
};

}  // namespace plinth::core
