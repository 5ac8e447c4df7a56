#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace plinth::core {

// Incremental MD5 (OpenSSL). DVC names every object by the MD5 of its bytes.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lowercase hex of the digest; the object cannot be updated afterwards.
  std::string hex_digest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);

// Streams the file in 1 MiB reads. A symlink is followed (DVC hashes the target's bytes).
// Throws Error naming the path. `bytes_read`, when given, is called after every read with its
// size, for progress.
std::string md5_file(const std::filesystem::path& path,
                     const std::function<void(size_t)>& bytes_read = {});

// Reads `src` once, writing every byte to `out_fd` while hashing it; returns the MD5 of exactly
// the bytes written, so an object copied this way always matches its name.
std::string md5_copy(const std::filesystem::path& src, int out_fd,
                     const std::function<void(size_t)>& bytes_read = {});

// DVC 2.x "md5-dos2unix": per 1 MiB chunk, text chunks (judged on their first 512 bytes) have
// CRLF replaced by LF before hashing. Used only to verify legacy outputs.
std::string md5_dos2unix_file(const std::filesystem::path& path);

}  // namespace plinth::core
