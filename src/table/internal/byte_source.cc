#include "table/internal/byte_source.h"

#include "core/error.h"

namespace plinth::table {

RemoteSource::~RemoteSource() {
  for (auto& f : prefetches_) f.wait();
}

void RemoteSource::fetch(std::vector<Range> ranges) {
  try {
    std::vector<std::string> bytes = file_->read(ranges);
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < ranges.size(); ++i) {
      uint64_t at = ranges[i].offset;
      in_flight_.erase(at);
      if (!released_in_flight_.erase(at)) loaded_[at] = std::move(bytes[i]);
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::current_exception();
    for (const auto& r : ranges) in_flight_.erase(r.offset), released_in_flight_.erase(r.offset);
  }
  arrived_.notify_all();
}

void RemoteSource::prefetch(const std::vector<Range>& ranges) {
  std::vector<Range> wanted;
  {
    std::lock_guard lock(mutex_);
    for (const auto& r : ranges)
      if (!loaded_.count(r.offset) && in_flight_.insert(r.offset).second) wanted.push_back(r);
  }
  if (wanted.empty()) return;
  std::erase_if(prefetches_, [](const std::future<void>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  prefetches_.push_back(
      std::async(std::launch::async, [this, wanted = std::move(wanted)] { fetch(wanted); }));
}

void RemoteSource::load(const std::vector<Range>& ranges) {
  std::vector<Range> missing;
  {
    std::unique_lock lock(mutex_);
    for (const auto& r : ranges) {
      arrived_.wait(lock, [&] { return !in_flight_.count(r.offset); });
      auto it = loaded_.find(r.offset);
      if (it == loaded_.end() || it->second.size() < r.length) missing.push_back(r);
    }
    if (error_ && !missing.empty()) std::rethrow_exception(error_);
  }
  if (!missing.empty()) fetch(missing);
  std::lock_guard lock(mutex_);
  if (error_) std::rethrow_exception(error_);
}

std::string_view RemoteSource::view(uint64_t offset, uint64_t n) const {
  std::lock_guard lock(mutex_);
  auto it = loaded_.upper_bound(offset);
  if (it != loaded_.begin()) {
    --it;
    uint64_t start = it->first, end = start + it->second.size();
    if (offset >= start && offset + n <= end)
      return std::string_view(it->second).substr(offset - start, n);
  }
  throw Error(ErrorCode::kInternal, file_->uri() + ": bytes " + std::to_string(offset) + "+" +
                                        std::to_string(n) + " were read before they were loaded");
}

void RemoteSource::release(uint64_t offset, uint64_t) {
  std::lock_guard lock(mutex_);
  if (!loaded_.erase(offset) && in_flight_.count(offset)) released_in_flight_.insert(offset);
}

}  // namespace plinth::table
