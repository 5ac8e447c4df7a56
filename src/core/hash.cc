#include "core/hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::core {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kAlign = 4096;

std::string to_hex(const unsigned char* digest, unsigned len) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

std::string digest_hex(const EVP_MD* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1)
    throw Error(ErrorCode::kInternal, "OpenSSL digest failed");
  return to_hex(digest, len);
}

// Calls `chunk(data, size)` for each read of up to 1 MiB from the file.
void read_chunks(const std::filesystem::path& path,
                 const std::function<void(const char*, size_t)>& chunk) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("read", path.string(), errno);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // Two buffers used in turn, so a caller may still be using the previous chunk (see
  // ChunkWriter) while the next one is read.
  // Page-aligned, so ChunkWriter can hand them to O_DIRECT writes.
  struct AlignedChunk {
    char* p = static_cast<char*>(std::aligned_alloc(kAlign, kChunk));
    ~AlignedChunk() { std::free(p); }
    char* data() { return p; }
  };
  thread_local AlignedChunk buffers[2];
  for (int turn = 0;; turn ^= 1) {
    AlignedChunk& buf = buffers[turn];
    // Fill a whole chunk so chunk boundaries are the same as DVC's 1 MiB reads.
    size_t filled;
    try {
      filled = read_up_to(fd, buf.data(), kChunk, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (filled == 0) break;
    try {
      chunk(buf.data(), filled);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (filled < kChunk) break;
  }
  ::close(fd);
}

// Writes chunks on a thread of its own so that copying a large file overlaps with hashing it:
// the copy then costs little more than the hash.
class ChunkWriter {
 public:
  ChunkWriter(int fd, const std::filesystem::path& src)
      : fd_(fd), src_(src), thread_([this] { run(); }) {}
  ~ChunkWriter() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Waits until the previous chunk is written, then hands over this one. `data` must stay
  // valid until the next call to write() or finish().
  void write(const char* data, size_t size) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return data_ == nullptr; });
    if (error_) std::rethrow_exception(error_);
    data_ = data;
    size_ = size;
    cv_.notify_all();
  }

  void finish() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return data_ == nullptr; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Whole aligned chunks go straight to disk (O_DIRECT): no copy into the page cache and no
  // writeback left for the final flush. The tail, or a filesystem that refuses O_DIRECT,
  // takes the ordinary path, with writeback started at once.
  void write_chunk() {
    bool aligned = size_ % kAlign == 0 && offset_ % static_cast<off_t>(kAlign) == 0;
    if (direct_ && aligned) {
      ssize_t n = ::write(fd_, data_, size_);
      if (n == static_cast<ssize_t>(size_)) {
        offset_ += n;
        return;
      }
      if (n > 0) offset_ += n;
      std::string_view rest(data_ + std::max<ssize_t>(n, 0), size_ - std::max<ssize_t>(n, 0));
      set_direct(false);
      write_buffered(rest);
      return;
    }
    if (direct_) set_direct(false);
    write_buffered(std::string_view(data_, size_));
  }

  void write_buffered(std::string_view data) {
    write_all(fd_, data, src_);
    ::sync_file_range(fd_, offset_, static_cast<off_t>(data.size()), SYNC_FILE_RANGE_WRITE);
    offset_ += static_cast<off_t>(data.size());
  }

  void set_direct(bool on) {
    int flags = ::fcntl(fd_, F_GETFL);
    direct_ =
        flags >= 0 && ::fcntl(fd_, F_SETFL, on ? flags | O_DIRECT : flags & ~O_DIRECT) == 0 && on;
  }

  void run() {
    set_direct(true);
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || data_ != nullptr; });
      if (data_ == nullptr) return;
      lock.unlock();
      std::exception_ptr error;
      try {
        write_chunk();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error && !error_) error_ = error;
      data_ = nullptr;
      cv_.notify_all();
    }
  }

  int fd_;
  const std::filesystem::path& src_;
  std::mutex mutex_;
  std::condition_variable cv_;
  const char* data_ = nullptr;
  size_t size_ = 0;
  off_t offset_ = 0;
  bool direct_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

bool is_text_sample(const char* data, size_t size) {
  size_t n = std::min<size_t>(size, 512);
  if (n == 0) return true;
  size_t binary = 0;
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(data[i]);
    if (c == 0) return false;
    bool text =
        (c >= 0x20 && c <= 0x7e) || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\b';
    if (!text) ++binary;
  }
  return binary * 10 <= n * 3;
}

}  // namespace

struct Md5::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Md5::Md5() : state_(std::make_unique<State>()) {
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_md5(), nullptr) != 1)
    throw Error(ErrorCode::kInternal, "OpenSSL MD5 is unavailable");
}

Md5::~Md5() = default;

void Md5::update(const void* data, size_t size) { EVP_DigestUpdate(state_->ctx, data, size); }

std::string Md5::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(state_->ctx, digest, &len);
  return to_hex(digest, len);
}

std::string md5_hex(std::string_view data) { return digest_hex(EVP_md5(), data); }

std::string sha256_hex(std::string_view data) { return digest_hex(EVP_sha256(), data); }

std::string md5_file(const std::filesystem::path& path,
                     const std::function<void(size_t)>& bytes_read) {
  Md5 md5;
  read_chunks(path, [&](const char* data, size_t size) {
    md5.update(data, size);
    if (bytes_read) bytes_read(size);
  });
  return md5.hex_digest();
}

std::string md5_copy(const std::filesystem::path& src, int out_fd,
                     const std::function<void(size_t)>& bytes_read) {
  Md5 md5;
  std::error_code ec;
  if (std::filesystem::file_size(src, ec) < 8 * kChunk) {
    read_chunks(src, [&](const char* data, size_t size) {
      md5.update(data, size);
      write_all(out_fd, std::string_view(data, size), src);
      if (bytes_read) bytes_read(size);
    });
    return md5.hex_digest();
  }
  ChunkWriter writer(out_fd, src);
  read_chunks(src, [&](const char* data, size_t size) {
    md5.update(data, size);
    writer.write(data, size);
    if (bytes_read) bytes_read(size);
  });
  writer.finish();
  return md5.hex_digest();
}

std::string md5_dos2unix_file(const std::filesystem::path& path) {
  Md5 md5;
  std::string converted;
  read_chunks(path, [&](const char* data, size_t size) {
    if (!is_text_sample(data, size)) {
      md5.update(data, size);
      return;
    }
    converted.clear();
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n') continue;
      converted.push_back(data[i]);
    }
    md5.update(converted);
  });
  return md5.hex_digest();
}

}  // namespace plinth::core
