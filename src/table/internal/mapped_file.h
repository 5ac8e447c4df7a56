#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace plinth::table {

// The bytes of a file, mapped read-only (the page cache is the buffer: nothing is copied), or
// read into memory when the file cannot be mapped (a pipe), or bytes the caller hands over.
class MappedFile {
 public:
  // Throws Error naming `path` when it cannot be opened or read.
  explicit MappedFile(const std::filesystem::path& path);
  explicit MappedFile(std::string bytes) : owned_(std::move(bytes)), view_(owned_) {}
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view view() const { return view_; }
  // Drops the mapped pages wholly inside [offset, offset + n) from this process; they stay in
  // the page cache. Streaming readers call it for bytes they are done with, so their memory
  // stays bounded however large the file.
  void release(size_t offset, size_t n);

 private:
  void* map_ = nullptr;
  std::string owned_;
  std::string_view view_;
};

}  // namespace plinth::table
