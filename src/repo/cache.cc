#include "repo/cache.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

// Below this size an object is copied through memory (see insert_file).
constexpr off_t kSmallFile = 1 << 20;

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// errno values after which DVC tries the next link type (spec §7).
bool link_unsupported(int err) {
  return err == EPERM || err == ENOTSUP || err == EXDEV || err == ENOTTY || err == ENOSYS ||
         err == EINVAL || err == EAGAIN || err == EMLINK;
}

}  // namespace

std::vector<LinkType> parse_link_types(const std::string& value) {
  std::vector<LinkType> types;
  std::string item;
  auto flush = [&] {
    std::string t;
    for (char c : item)
      if (!isspace(static_cast<unsigned char>(c)) && c != '[' && c != ']' && c != '\'' && c != '"')
        t += c;
    item.clear();
    if (t.empty()) return;
    if (t == "reflink")
      types.push_back(LinkType::kReflink);
    else if (t == "hardlink")
      types.push_back(LinkType::kHardlink);
    else if (t == "symlink")
      types.push_back(LinkType::kSymlink);
    else if (t == "copy")
      types.push_back(LinkType::kCopy);
    else
      throw Error(ErrorCode::kInvalidInput,
                  "cache.type '" + value + "' has unknown link type '" + t +
                      "'; use a comma-separated list of reflink, hardlink, symlink, copy");
  };
  for (char c : value) {
    if (c == ',')
      flush();
    else
      item += c;
  }
  flush();
  if (types.empty()) types = {LinkType::kReflink, LinkType::kCopy};
  return types;
}

const char* link_type_name(LinkType type) {
  switch (type) {
    case LinkType::kReflink:
      return "reflink";
    case LinkType::kHardlink:
      return "hardlink";
    case LinkType::kSymlink:
      return "symlink";
    case LinkType::kCopy:
      return "copy";
  }
  return "copy";
}

ObjectCache::ObjectCache(fs::path root) : root_(std::move(root)) {}

ObjectCache::~ObjectCache() {
  if (int fd = objects_fd_.load(); fd >= 0) ::close(fd);
}

int ObjectCache::objects_fd() const {
  int fd = objects_fd_.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  int opened = ::open((root_ / "files" / "md5").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (opened < 0) return -1;
  if (!objects_fd_.compare_exchange_strong(fd, opened)) {  // another thread was first
    ::close(opened);
    return fd;
  }
  return opened;
}

bool ObjectCache::stat_object(const std::string& oid, bool legacy, struct stat* st) const {
  int fd = legacy || oid.size() < 3 ? -1 : objects_fd();
  if (fd < 0) return ::stat(object_path(oid, legacy).c_str(), st) == 0;
  std::string rel;
  rel.reserve(oid.size() + 1);
  rel.append(oid, 0, 2);
  rel += '/';
  rel.append(oid, 2);
  return ::fstatat(fd, rel.c_str(), st, 0) == 0;
}

fs::path ObjectCache::object_path(const std::string& oid, bool legacy) const {
  // Built as one string: this runs once per file on every status, add and checkout, and
  // composing fs::path pieces costs more than the stat that follows.
  std::string path = root_.native();
  path.reserve(path.size() + 12 + oid.size());
  if (!path.empty() && path.back() != '/') path += '/';
  if (!legacy) path += "files/md5/";
  path.append(oid, 0, 2);
  path += '/';
  path.append(oid, 2);
  return fs::path(std::move(path));
}

bool ObjectCache::contains(const std::string& oid, bool legacy) const {
  struct stat st;
  return stat_object(oid, legacy, &st);
}

ObjectState ObjectCache::check(const std::string& oid, bool legacy) const {
  struct stat st;
  if (!stat_object(oid, legacy, &st)) return ObjectState::kMissing;
  if ((st.st_mode & 07777) == 0444) return ObjectState::kOk;
  fs::path path = object_path(oid, legacy);
  std::string hex = oid.substr(0, 32);
  std::string actual =
      legacy && !oid.ends_with(".dir") ? core::md5_dos2unix_file(path) : core::md5_file(path);
  if (actual == hex) {
    ::chmod(path.c_str(), 0444);
    return ObjectState::kOk;
  }
  return ObjectState::kCorrupted;
}

std::string ObjectCache::insert_file(const fs::path& src,
                                     const std::function<void(size_t)>& bytes_read,
                                     std::optional<off_t> size) {
  struct stat st;
  if (!size && ::stat(src.c_str(), &st) == 0) size = st.st_size;
  if (size && *size < kSmallFile) {
    // Small files are read once into memory, hashed, and written only if the object is new:
    // far fewer filesystem operations than a temporary file per object.
    std::string data = core::read_file(src);
    std::string md5 = core::md5_hex(data);
    insert_bytes(md5, data);
    if (bytes_read) bytes_read(data.size());
    return md5;
  }
  core::NewFile file(objects_dir());
  std::string md5;
  if (reflink_works_ && core::try_reflink(src, file.fd())) {
    md5 = core::md5_file(file.readable_path(), bytes_read);
  } else {
    reflink_works_ = false;  // not on this filesystem: don't ask again for every file
    md5 = core::md5_copy(src, file.fd(), bytes_read);
  }
  store(file, md5);
  return md5;
}

void ObjectCache::insert_bytes(const std::string& oid, const std::string& data) {
  if (check(oid) == ObjectState::kOk) return;
  fs::path dest = object_path(oid);
  // Each of the 256 prefix folders is made once per process, not checked once per object.
  int prefix = oid.size() >= 2 && is_hex(std::string_view(oid).substr(0, 2))
                   ? std::stoi(oid.substr(0, 2), nullptr, 16)
                   : -1;
  if (prefix < 0 || !prefix_made_[prefix].load(std::memory_order_relaxed)) {
    fs::create_directories(dest.parent_path());
    if (prefix >= 0) prefix_made_[prefix] = true;
  }
  // Renaming over a corrupted object replaces it; over a sound one (a concurrent insert of the
  // same content) changes nothing.
  core::AtomicFile file(dest);
  file.write(data);
  file.commit(0444, core::Durability::kDeferred);
}

void ObjectCache::store(core::NewFile& file, const std::string& oid, bool legacy) {
  fs::path dest = object_path(oid, legacy);
  // An existing object is kept if sound and replaced if corrupted.
  while (!file.link_as(dest, 0444, core::Durability::kDeferred)) {
    ObjectState state = check(oid, legacy);
    if (state == ObjectState::kOk) return;
    if (state == ObjectState::kCorrupted && ::unlink(dest.c_str()) != 0)
      throw system_error("replace corrupted cache object", dest.string(), errno);
  }
}

fs::path ObjectCache::objects_dir() {
  std::call_once(objects_dir_created_, [this] { fs::create_directories(root_ / "files" / "md5"); });
  return root_ / "files" / "md5";
}

void ObjectCache::sync() const {
  int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // nothing was written
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw system_error("sync the cache", root_.string(), err);
}

LinkType ObjectCache::link_out(const std::string& oid, const fs::path& dest,
                               const std::vector<LinkType>& types, bool isexec, bool legacy) const {
  fs::path src = object_path(oid, legacy);
  fs::create_directories(dest.parent_path());
  mode_t mode = core::default_file_mode();
  if (isexec) mode |= (mode & 0444) >> 2;
  for (LinkType type : types) {
    // Each attempt builds a temporary next to `dest` and renames it into place, so `dest` is
    // either the old file or the complete new one.
    fs::path temp = dest.parent_path() / ("." + dest.filename().string() + ".plinth-link");
    ::unlink(temp.c_str());
    int rc = 0, err = 0;
    switch (type) {
      case LinkType::kHardlink:
        rc = ::link(src.c_str(), temp.c_str());
        break;
      case LinkType::kSymlink:
        rc = ::symlink(fs::absolute(src).c_str(), temp.c_str());
        break;
      case LinkType::kReflink:
      case LinkType::kCopy: {
        if (type == LinkType::kReflink && !reflink_works_) continue;
        core::AtomicFile file(dest);
        bool done = reflink_works_ && core::try_reflink(src, file.fd());
        if (!done) reflink_works_ = false;  // not on this filesystem: don't ask for every file
        if (!done && type == LinkType::kReflink) continue;
        if (!done) core::md5_copy(src, file.fd());
        file.commit(mode, core::Durability::kDeferred);
        return type;
      }
    }
    if (rc != 0) {
      err = errno;
      if (link_unsupported(err)) {
        spdlog::debug("{} not possible for {} ({}), trying the next cache.type",
                      link_type_name(type), dest.string(), std::strerror(err));
        continue;
      }
      throw system_error(std::string("create a ") + link_type_name(type) + " at", dest.string(),
                         err);
    }
    core::rename_durable(temp, dest);
    return type;
  }
  throw Error(ErrorCode::kIo, "no cache link type in cache.type works for '" + dest.string() +
                                  "'; add 'copy' to cache.type in .dvc/config");
}

std::vector<std::string> ObjectCache::list_objects() const {
  std::vector<std::string> oids;
  fs::path base = root_ / "files" / "md5";
  std::error_code ec;
  for (const auto& prefix : fs::directory_iterator(base, ec)) {
    std::string p = prefix.path().filename().string();
    if (p.size() != 2 || !is_hex(p) || !prefix.is_directory()) continue;
    for (const auto& obj : fs::directory_iterator(prefix.path())) {
      std::string rest = obj.path().filename().string();
      std::string hex = rest.ends_with(".dir") ? rest.substr(0, rest.size() - 4) : rest;
      if (hex.size() == 30 && is_hex(hex)) oids.push_back(p + rest);
    }
  }
  return oids;
}

void ObjectCache::remove(const std::string& oid) const {
  fs::path path = object_path(oid);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw system_error("remove cache object", path.string(), errno);
}

std::vector<fs::path> ObjectCache::stale_temp_files() const {
  // Temporaries are named "<name>.<pid>.<random>.<n>.tmp": beside the object they were to
  // become, or directly in files/md5 (large objects on filesystems without O_TMPFILE).
  std::vector<fs::path> files;
  std::error_code ec;
  auto collect = [&](const fs::path& dir) {
    for (const auto& f : fs::directory_iterator(dir, ec))
      if (f.is_regular_file(ec) && f.path().filename().string().ends_with(".tmp"))
        files.push_back(f.path());
  };
  fs::path base = root_ / "files" / "md5";
  collect(base);
  for (const auto& prefix : fs::directory_iterator(base, ec))
    if (prefix.is_directory(ec) && prefix.path().filename().string().size() == 2)
      collect(prefix.path());
  return files;
}

IncomingObject::IncomingObject(ObjectCache& cache, std::string oid, bool legacy)
    : cache_(cache),
      oid_(std::move(oid)),
      legacy_(legacy),
      file_(cache.objects_dir()),
      md5_(std::make_unique<core::Md5>()) {}

void IncomingObject::write(std::string_view data) {
  core::write_all(file_.fd(), data, file_.readable_path());
  md5_->update(data);
  size_ += data.size();
}

void IncomingObject::reset() {
  if (size_ == 0) return;
  if (::ftruncate(file_.fd(), 0) != 0 || ::lseek(file_.fd(), 0, SEEK_SET) != 0)
    throw system_error("truncate", file_.readable_path().string(), errno);
  md5_ = std::make_unique<core::Md5>();
  size_ = 0;
}

void IncomingObject::commit(const std::string& source) {
  // Legacy (DVC 2.x) file objects are named by md5-dos2unix, which needs the whole file.
  std::string actual = legacy_ && !oid_.ends_with(".dir")
                           ? core::md5_dos2unix_file(file_.readable_path())
                           : md5_->hex_digest();
  if (actual != oid_.substr(0, 32))
    throw Error(ErrorCode::kCorrupted,
                "object " + oid_ + " from " + source + " is corrupted: its " +
                    std::to_string(size_) + " bytes hash to " + actual +
                    "; it was not stored. Push it again from a machine whose cache has it intact.");
  cache_.store(file_, oid_, legacy_);
}

}  // namespace plinth::repo
