#include "remote/local_remote.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"
#include "core/file_io.h"
#include "core/paths.h"
#include "core/thread_pool.h"

namespace plinth::remote {
namespace fs = std::filesystem;
namespace {

class LocalRemote : public Remote {
 public:
  LocalRemote(std::string name, fs::path root) : name_(std::move(name)), root_(std::move(root)) {}

  std::string describe() const override {
    return "remote '" + name_ + "' (" + root_.string() + ")";
  }
  size_t default_jobs() const override { return 2 * core::default_jobs(); }

  bool exists(const std::string& key) override {
    struct stat st;
    return ::stat((root_ / key).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }

  std::vector<Object> list_objects(const std::string& prefix) override {
    std::vector<Object> objects;
    fs::path dir = root_ / prefix.substr(0, prefix.rfind('/') + 1);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return objects;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string key = core::relative_posix(root_, it->path()).value_or("");
      if (key.starts_with(prefix) && !key.ends_with(".tmp"))
        objects.push_back({std::move(key), it->file_size(ec)});
    }
    if (ec) throw unreachable(dir, ec.value());
    return objects;
  }

  void put(const std::string& key, const fs::path& src, uint64_t size, const std::string&,
           const ByteCounter& sent) override {
    fs::path target = root_ / key;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw unreachable(target.parent_path(), ec.value());
    core::Fd source = core::open_for_reading(src);
    int in = source.get();
    std::unique_ptr<core::AtomicFile> out;
    try {
      out = std::make_unique<core::AtomicFile>(target);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kPermission)
        throw Error(e.code(), std::string(e.what()) + " (" + describe() +
                                  "); make the folder writable or choose another remote");
      throw;
    }
    if (!core::try_reflink(src, out->fd())) {
      uint64_t done = 0;
      while (done < size) {
        ssize_t n = ::copy_file_range(in, nullptr, out->fd(), nullptr, size - done, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw system_error("copy to", target.string(), errno);
        if (n == 0) throw Error(ErrorCode::kIo, src.string() + " shrank while it was copied");
        done += static_cast<uint64_t>(n);
        if (sent) sent(static_cast<uint64_t>(n));
      }
    } else if (sent) {
      sent(size);
    }
    out->commit(0444, core::Durability::kDeferred);
  }

  void get(const std::string& key, const http::Sink& sink) override {
    fs::path path = root_ / key;
    if (!exists(key)) throw Error(ErrorCode::kNotFound, key + " is not on " + describe());
    core::Fd file = core::open_for_reading(path);
    int fd = file.get();
    if (sink.reset) sink.reset();
    std::string buf(1 << 20, '\0');
    while (size_t n = core::read_up_to(fd, buf.data(), buf.size(), path))
      sink.write(std::string_view(buf.data(), n));
  }

  void flush() override {
    int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::syncfs(fd);
    ::close(fd);
  }

 private:
  Error unreachable(const fs::path& path, int err) const {
    Error e = system_error("create", path.string(), err);
    return Error(e.code(), std::string(e.what()) + " (" + describe() +
                               "); check that the folder exists and is writable");
  }

  std::string name_;
  fs::path root_;
};

}  // namespace

std::unique_ptr<Remote> open_local_remote(const std::string& name, fs::path root) {
  return std::make_unique<LocalRemote>(name, std::move(root));
}

}  // namespace plinth::remote
