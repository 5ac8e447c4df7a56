#include "storage/s3_settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace plinth::storage {
namespace {

using Ini = std::map<std::string, std::map<std::string, std::string>>;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The AWS shared-file dialect: [section], key = value, '#' and ';' comments. A missing file is
// empty; a line that is none of these is an error naming the file and line.
Ini load_ini(const std::filesystem::path& path) {
  Ini ini;
  std::ifstream in(path);
  if (!in) return ini;
  std::string line, section;
  for (int no = 1; std::getline(in, line); ++no) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      ini[section];
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || section.empty())
      throw Error(ErrorCode::kInvalidInput, path.string() + ":" + std::to_string(no) +
                                                ": expected '[profile]' or 'key = value'");
    ini[section][trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return ini;
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& m,
                                  const std::string& key) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

struct SharedFiles {
  std::filesystem::path credentials_path, config_path;
  Ini credentials, config;

  // A profile's keys: the credentials file's section, then the config file's.
  std::map<std::string, std::string> profile(const std::string& name) const {
    std::map<std::string, std::string> merged;
    auto cfg = config.find(name == "default" ? "default" : "profile " + name);
    if (cfg != config.end()) merged = cfg->second;
    auto cred = credentials.find(name);
    if (cred != credentials.end())
      for (const auto& [k, v] : cred->second) merged[k] = v;
    return merged;
  }
};

SharedFiles load_shared_files(const Getenv& getenv) {
  std::filesystem::path home = getenv("HOME").value_or("");
  SharedFiles files;
  files.credentials_path =
      getenv("AWS_SHARED_CREDENTIALS_FILE").value_or((home / ".aws" / "credentials").string());
  files.config_path = getenv("AWS_CONFIG_FILE").value_or((home / ".aws" / "config").string());
  files.credentials = load_ini(files.credentials_path);
  files.config = load_ini(files.config_path);
  return files;
}

bool take_keys(const std::map<std::string, std::string>& m, Credentials& out) {
  auto id = lookup(m, "aws_access_key_id"), secret = lookup(m, "aws_secret_access_key");
  if (!id || !secret) return false;
  out = {*id, *secret, lookup(m, "aws_session_token").value_or("")};
  return true;
}

}  // namespace

Getenv process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

// `remote_name` is empty for a URI given on the command line (a table, a model): messages then
// name the URI and point at the environment instead of `plinth remote modify`.
S3Settings resolve(const std::string& remote_name, const std::string& url,
                   const std::map<std::string, std::string>& options, const Getenv& getenv) {
  S3Settings s;
  std::string subject = remote_name.empty() ? url : "remote '" + remote_name + "'";
  if (!url.starts_with("s3://") || url.size() == 5 || url[5] == '/')
    throw Error(ErrorCode::kInvalidInput,
                remote_name.empty()
                    ? "'" + url + "' is not of the form s3://bucket/key"
                    : subject + ": URL '" + url + "' is not of the form s3://bucket[/prefix]");
  std::string rest = url.substr(5);
  auto slash = rest.find('/');
  s.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) s.prefix = rest.substr(slash + 1);
  while (!s.prefix.empty() && s.prefix.back() == '/') s.prefix.pop_back();

  SharedFiles files = load_shared_files(getenv);
  auto explicit_profile = lookup(options, "profile");
  std::string profile_name = explicit_profile.value_or(getenv("AWS_PROFILE").value_or("default"));
  auto profile = files.profile(profile_name);
  if (explicit_profile && profile.empty())
    throw Error(ErrorCode::kInvalidInput, subject + ": profile '" + profile_name +
                                              "' is in neither " + files.credentials_path.string() +
                                              " nor " + files.config_path.string());

  auto id = lookup(options, "access_key_id"), secret = lookup(options, "secret_access_key");
  if (id && secret) {
    s.credentials = {*id, *secret, lookup(options, "session_token").value_or("")};
    s.credentials_from = "the remote's access_key_id/secret_access_key";
  } else if (id || secret) {
    throw Error(ErrorCode::kInvalidInput,
                "remote '" + remote_name + "' sets only one of access_key_id and " +
                    "secret_access_key; set both (plinth remote modify --local " + remote_name +
                    " KEY VALUE)");
  } else if (!explicit_profile && getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY")) {
    s.credentials = {*getenv("AWS_ACCESS_KEY_ID"), *getenv("AWS_SECRET_ACCESS_KEY"),
                     getenv("AWS_SESSION_TOKEN").value_or("")};
    s.credentials_from = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
  } else if (take_keys(profile, s.credentials)) {
    s.credentials_from = "profile '" + profile_name + "' of the AWS shared files";
  } else if (remote_name.empty()) {
    throw Error(ErrorCode::kInvalidInput,
                "no AWS credentials for " + url +
                    ": export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming "
                    "a profile of " +
                    files.credentials_path.string() + " (looked for profile '" + profile_name +
                    "')");
  } else {
    throw Error(ErrorCode::kInvalidInput,
                "no AWS credentials for remote '" + remote_name +
                    "': set them with 'plinth remote modify --local " + remote_name +
                    " access_key_id ...' and secret_access_key, or export AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or add profile '" +
                    profile_name + "' to " + files.credentials_path.string());
  }

  s.region =
      lookup(options, "region")
          .value_or(getenv("AWS_REGION")
                        .value_or(getenv("AWS_DEFAULT_REGION")
                                      .value_or(lookup(profile, "region").value_or("us-east-1"))));
  std::optional<std::string> endpoint = lookup(options, "endpointurl");
  if (!endpoint) endpoint = getenv("AWS_ENDPOINT_URL_S3");
  if (!endpoint) endpoint = getenv("AWS_ENDPOINT_URL");
  if (!endpoint) endpoint = lookup(profile, "endpoint_url");
  if (endpoint) {
    s.endpoint = endpoint->find("://") == std::string::npos ? "https://" + *endpoint : *endpoint;
    while (s.endpoint.ends_with("/")) s.endpoint.pop_back();
    s.path_style = true;  // MinIO, Ceph, R2 and test servers address buckets by path
  } else {
    s.endpoint = "https://s3." + s.region + ".amazonaws.com";
    s.path_style = s.bucket.find('.') != std::string::npos;  // dots break TLS on vhosts
  }
  if (s.endpoint.rfind("https://", 0) == 0) {
    std::string verify = lookup(options, "ssl_verify").value_or("");
    std::string lowered = verify;
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool is_bool = lowered == "true" || lowered == "false";
    std::string remedy = "--ca-bundle FILE, AWS_CA_BUNDLE=FILE or `plinth remote modify " +
                         remote_name + " ssl_verify FILE`";
    s.tls = http::pick_ca_bundle(
        {{"remote '" + remote_name + "' ssl_verify", is_bool ? "" : verify},
         {"AWS_CA_BUNDLE", getenv("AWS_CA_BUNDLE").value_or("")},
         {"profile '" + profile_name + "' ca_bundle", lookup(profile, "ca_bundle").value_or("")}},
        remedy);
    if (lowered == "false") {
      s.tls.verify = false;
      s.tls.origin = "remote '" + remote_name + "' ssl_verify = false";
    }
  }
  return s;
}

}  // namespace

S3Settings resolve_s3_settings(const std::string& remote_name, const std::string& url,
                               const std::map<std::string, std::string>& options,
                               const Getenv& getenv) {
  return resolve(remote_name, url, options, getenv);
}

S3Settings resolve_s3_uri_settings(const std::string& uri, const Getenv& getenv) {
  return resolve("", uri, {}, getenv);
}

}  // namespace plinth::storage
