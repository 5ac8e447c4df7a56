#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace plinth::core {
namespace {

std::atomic<bool> progress_enabled{true};

std::string human(double v, ProgressUnit unit) {
  const char* suffixes_bytes[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  const char* suffixes_items[] = {"", "k", "M", "G", "T"};
  double base = unit == ProgressUnit::kBytes ? 1024 : 1000;
  int i = 0;
  while (v >= base && i < 4) v /= base, ++i;
  char buf[32];
  const char* suffix = unit == ProgressUnit::kBytes ? suffixes_bytes[i] : suffixes_items[i];
  snprintf(buf, sizeof buf, i == 0 ? "%.0f%s" : "%.1f%s", v, suffix);
  return buf;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How long the first frame waits, so that quick operations print nothing at all:
// PLINTH_PROGRESS_DELAY seconds (like git's GIT_PROGRESS_DELAY), 0.2 when unset; a value that is
// not a number of seconds is named in a warning and 0.2 used.
int64_t first_frame_delay_ns() {
  static const int64_t delay = [] {
    constexpr double kDefault = 0.2;
    const char* text = std::getenv("PLINTH_PROGRESS_DELAY");
    if (!text) return static_cast<int64_t>(kDefault * 1e9);
    char* end = nullptr;
    double seconds = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(seconds >= 0) || seconds > 1e6) {
      std::fprintf(stderr,
                   "warning: PLINTH_PROGRESS_DELAY='%s' is not a number of seconds (e.g. 0.5); "
                   "using %.1f\n",
                   text, kDefault);
      seconds = kDefault;
    }
    return static_cast<int64_t>(seconds * 1e9);
  }();
  return delay;
}

}  // namespace

void set_progress_enabled(bool enabled) { progress_enabled = enabled; }

Progress::Progress(std::string label, uint64_t total, ProgressUnit unit, std::string noun)
    : label_(std::move(label)),
      total_(total),
      unit_(unit),
      noun_(std::move(noun)),
      enabled_(progress_enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {
  next_draw_ns_ = now_ns() + first_frame_delay_ns();
}

Progress::~Progress() {
  if (enabled_ && next_draw_ns_ < 0) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void Progress::add(uint64_t n) {
  done_ += n;
  if (!enabled_) return;
  int64_t now = now_ns();
  int64_t next = next_draw_ns_.load(std::memory_order_relaxed);
  if (now < (next < 0 ? -next : next)) return;
  if (!draw_mutex_.try_lock()) return;
  next_draw_ns_ = -(now + 100'000'000);  // negative: something is on screen
  draw();
  draw_mutex_.unlock();
}

void Progress::set_items(uint64_t total, std::string noun) {
  items_noun_ = std::move(noun);
  items_total_ = total;
}

void Progress::add_item() {
  ++items_done_;
  add(0);
}

void Progress::set_fraction(double fraction) {
  permille_ = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 1000);
}

void Progress::draw() {
  uint64_t done = done_, total = total_;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string rate = secs > 0 ? human(done / secs, unit_) + "/s" : "";
  std::string line = label_;
  auto bar = [&line](int pct) {
    pct = std::min(pct, 100);
    int filled = pct / 5;
    char head[16];
    snprintf(head, sizeof head, " %3d%% |", pct);
    line += head + std::string(filled, '#') + std::string(20 - filled, ' ') + "| ";
  };
  if (total > 0) {
    bar(static_cast<int>(done * 100 / total));
    line += human(done, unit_) + "/" + human(total, unit_);
  } else if (int permille = permille_; permille >= 0) {
    bar(permille / 10);
    line += human(done, unit_);
  } else {
    line += " " + human(done, unit_);
  }
  if (!noun_.empty()) line += " " + noun_;
  if (items_total_ > 0)
    line +=
        " " + std::to_string(items_done_) + "/" + std::to_string(items_total_) + " " + items_noun_;
  line += "  " + rate;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

}  // namespace plinth::core
