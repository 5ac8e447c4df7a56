#include "tracking/artifact_store.h"

#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "remote/remote.h"
#include "tracking/search.h"

namespace plinth::tracking {
namespace fs = std::filesystem;
namespace {

class FolderArtifactStore : public ArtifactStore {
 public:
  explicit FolderArtifactStore(fs::path root) : root_(std::move(root)) {
    fs::create_directories(root_);
  }

  void put(const std::string& path, std::string_view bytes) override {
    fs::path target = root_ / path;
    fs::create_directories(target.parent_path());
    core::write_file_atomic(target, bytes);
  }

  std::optional<std::string> get(const std::string& path) override {
    fs::path p = root_ / path;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) return std::nullopt;
    return core::read_file(p);
  }

  std::vector<FileInfo> list(const std::string& path) override {
    std::vector<FileInfo> out;
    fs::path dir = path.empty() ? root_ : root_ / path;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) {
      FileInfo info{entry.path().filename().string(), entry.is_directory(), 0};
      if (!info.is_dir) info.file_size = static_cast<int64_t>(entry.file_size());
      out.push_back(std::move(info));
    }
    std::sort(out.begin(), out.end(),
              [](const FileInfo& a, const FileInfo& b) { return a.path < b.path; });
    return out;
  }

  void remove(const std::string& path) override { fs::remove_all(root_ / path); }

 private:
  fs::path root_;
};

// S3 through the S3 remote: objects keyed by artifact path under the destination's prefix.
class RemoteArtifactStore : public ArtifactStore {
 public:
  explicit RemoteArtifactStore(std::unique_ptr<remote::Remote> remote)
      : remote_(std::move(remote)) {}

  void put(const std::string& path, std::string_view bytes) override {
    fs::path tmp_dir = fs::temp_directory_path();
    core::AtomicFile staged(tmp_dir / "plinth-artifact");
    staged.write(bytes);
    remote_->put(path, staged.temp_path(), bytes.size(), "", {});
  }

  std::optional<std::string> get(const std::string& path) override {
    if (!remote_->exists(path)) return std::nullopt;
    std::string out;
    http::Sink sink{[&](std::string_view piece) { out.append(piece); }, [&] { out.clear(); }};
    remote_->get(path, sink);
    return out;
  }

  std::vector<FileInfo> list(const std::string& path) override {
    std::string prefix = path.empty() ? "" : path + "/";
    std::set<std::string> dirs;
    std::vector<FileInfo> out;
    for (const auto& object : remote_->list_objects(prefix)) {
      std::string rest = object.key.substr(prefix.size());
      auto slash = rest.find('/');
      if (slash == std::string::npos)
        out.push_back({rest, false, static_cast<int64_t>(object.size)});
      else
        dirs.insert(rest.substr(0, slash));
    }
    for (const auto& d : dirs) out.push_back({d, true, 0});
    return out;
  }

  void remove(const std::string&) override {
    throw Error(ErrorCode::kInvalidInput,
                "deleting artifacts is not supported on S3 destinations; delete them with your "
                "S3 tools");
  }

 private:
  std::unique_ptr<remote::Remote> remote_;
};

}  // namespace

std::unique_ptr<ArtifactStore> open_artifact_store(const std::string& destination) {
  if (destination.rfind("s3://", 0) == 0)
    return std::make_unique<RemoteArtifactStore>(
        remote::open_remote({"artifacts", destination, {}, fs::current_path()}));
  std::string folder = destination.rfind("file://", 0) == 0 ? destination.substr(7) : destination;
  return std::make_unique<FolderArtifactStore>(fs::absolute(folder));
}

std::string checked_artifact_path(const std::string& path) {
  auto refuse = [&] {
    throw Error(ErrorCode::kInvalidInput,
                "Invalid artifact path: '" + path +
                    "'. Artifact paths must be relative and must not contain '..' segments.");
  };
  std::string l = ascii_lower(path);
  if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos ||
      l.find("%2e") != std::string::npos || l.find("%2f") != std::string::npos ||
      l.find("%5c") != std::string::npos || l.find("%00") != std::string::npos)
    refuse();
  if (!path.empty() && path[0] == '/') refuse();
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string seg = path.substr(start, slash - start);
    if (seg == "..") refuse();
    if (!seg.empty() && seg != ".") out += (out.empty() ? "" : "/") + seg;
    start = slash + 1;
  }
  return out;
}

}  // namespace plinth::tracking

namespace plinth::tracking {

std::string proxied_path(const std::string& artifact_uri) {
  const std::string scheme = "mlflow-artifacts:";
  if (artifact_uri.rfind(scheme, 0) != 0)
    throw Error(ErrorCode::kInvalidInput,
                "artifact URI '" + artifact_uri +
                    "' is not served by plinth (only mlflow-artifacts:/ URIs are)");
  std::string rest = artifact_uri.substr(scheme.size());
  if (rest.rfind("//", 0) == 0) {  // mlflow-artifacts://host:port/path
    auto slash = rest.find('/', 2);
    rest = slash == std::string::npos ? "" : rest.substr(slash);
  }
  while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
  return checked_artifact_path(rest);
}

}  // namespace plinth::tracking
