#include "table/internal/byte_source.h"

#include "core/error.h"

namespace plinth::table {

void RemoteSource::load(const std::vector<Range>& ranges) {
  std::vector<Range> missing;
  for (const auto& r : ranges) {
    auto it = loaded_.find(r.offset);
    if (it == loaded_.end() || it->second.size() < r.length) missing.push_back(r);
  }
  if (missing.empty()) return;
  std::vector<std::string> bytes = file_->read(missing);
  for (size_t i = 0; i < missing.size(); ++i) loaded_[missing[i].offset] = std::move(bytes[i]);
}

std::string_view RemoteSource::view(uint64_t offset, uint64_t n) const {
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

void RemoteSource::release(uint64_t offset, uint64_t) { loaded_.erase(offset); }

}  // namespace plinth::table
