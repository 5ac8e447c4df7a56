#pragma once

// Where a Parquet reader's bytes come from: a mapped local file, or an object read with ranged
// requests (the footer, then the column chunks a caller needs, several at a time).

#include <cstdint>
#include <map>
#include <memory>
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

class RemoteSource : public ByteSource {
 public:
  explicit RemoteSource(std::unique_ptr<storage::RandomAccessFile> file) : file_(std::move(file)) {}
  uint64_t size() const override { return file_->size(); }
  void load(const std::vector<Range>& ranges) override;
  std::string_view view(uint64_t offset, uint64_t n) const override;
  void release(uint64_t offset, uint64_t n) override;

 private:
  std::unique_ptr<storage::RandomAccessFile> file_;
  std::map<uint64_t, std::string> loaded_;  // by offset
};

}  // namespace plinth::table
