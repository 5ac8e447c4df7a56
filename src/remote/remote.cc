#include "remote/remote.h"

#include "core/error.h"
#include "core/paths.h"
#include "remote/local_remote.h"
#include "remote/s3_remote.h"

namespace plinth::remote {

std::unique_ptr<Remote> open_remote(const RemoteSpec& spec) {
  const std::string& url = spec.url;
  if (url.starts_with("s3://"))
    return open_s3_remote(
        spec.name, url,
        storage::resolve_s3_settings(spec.name, url, spec.options, storage::process_environment()));
  std::string path = url.starts_with("file://") ? url.substr(7) : url;
  auto scheme = url.find("://");
  if (scheme != std::string::npos && !url.starts_with("file://"))
    throw Error(ErrorCode::kInvalidInput,
                "remote '" + spec.name + "': URL scheme '" + url.substr(0, scheme) +
                    "' is not supported; use s3://bucket/prefix or a folder path");
  if (path.empty())
    throw Error(ErrorCode::kInvalidInput, "remote '" + spec.name + "' has an empty URL");
  std::filesystem::path root(path);
  if (root.is_relative()) root = spec.config_dir / root;
  return open_local_remote(spec.name, core::absolute_normal(root));
}

std::vector<std::string> known_options(const std::string& url) {
  if (url.starts_with("s3://"))
    return {"url",           "region",        "profile",
            "endpointurl",   "access_key_id", "secret_access_key",
            "session_token", "jobs"};
  return {"url", "jobs"};
}

}  // namespace plinth::remote
