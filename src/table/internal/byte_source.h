#pragma once

// Where a Parquet reader's bytes come from: a mapped local file, or an object read with ranged
// requests (the footer, then the column chunks a caller needs, several at a time).

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/files.h"
#include "table/internal/mapped_file.h"

namespace plinth::table {

class ByteSource {
 public:
  using Range = storage::RandomAccessFile::Range;
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Fetches these ranges so view() can return them; a no-op for mapped files.
  virtual void load(const std::vector<Range>& ranges) = 0;
  // Starts fetching ranges a later load() will ask for, in the background.
  virtual void prefetch(const std::vector<Range>&) {}
  // Bytes [offset, offset + n), which lie within a range loaded before (or the whole file when
  // it is mapped). Safe to call from several threads at once.
  virtual std::string_view view(uint64_t offset, uint64_t n) const = 0;
  // Lets go of a loaded or mapped range the reader is done with.
  virtual void release(uint64_t offset, uint64_t n) = 0;
};

class MappedSource : public ByteSource {
 public:
  explicit MappedSource(std::unique_ptr<MappedFile> file) : file_(std::move(file)) {}
  uint64_t size() const override { return file_->view().size(); }
  void load(const std::vector<Range>&) override {}
  std::string_view view(uint64_t offset, uint64_t n) const override {
    return file_->view().substr(offset, n);
  }
  void release(uint64_t offset, uint64_t n) override { file_->release(offset, n); }

 private:
  std::unique_ptr<MappedFile> file_;
};

// Ranges are kept by offset until released. Prefetches run on their own threads, so the
// reader decodes one batch while the next ones download.
class RemoteSource : public ByteSource {
 public:
  explicit RemoteSource(std::unique_ptr<storage::RandomAccessFile> file) : file_(std::move(file)) {}
  ~RemoteSource() override;
  uint64_t size() const override { return file_->size(); }
  void load(const std::vector<Range>& ranges) override;
  void prefetch(const std::vector<Range>& ranges) override;
  std::string_view view(uint64_t offset, uint64_t n) const override;
  void release(uint64_t offset, uint64_t n) override;

 private:
  void fetch(std::vector<Range> ranges);  // stores the ranges, or the error, under mutex_

  std::unique_ptr<storage::RandomAccessFile> file_;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::map<uint64_t, std::string> loaded_;  // by offset
  std::set<uint64_t> in_flight_;            // offsets being prefetched
  std::set<uint64_t> released_in_flight_;   // of those, ones to drop on arrival (skipped)
  std::exception_ptr error_;                // a failed prefetch, for the load() that needs it
  std::vector<std::future<void>> prefetches_;
};

}  // namespace plinth::table
