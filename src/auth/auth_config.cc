#include "auth/auth_config.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "core/error.h"

namespace plinth::auth {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// The keys MLflow 3.17's auth config reads (mlflow/server/auth/config.py) that Plinth has no
// use for, and why.
const std::map<std::string, std::string>& unused_keys() {
  static const std::map<std::string, std::string> keys = {
      {"database_uri", "users live in the tracking database (--backend-store-uri)"},
      {"read_database_uri", "users live in the tracking database (--backend-store-uri)"},
      {"grant_default_workspace_access", "Plinth has no workspaces"},
      {"workspace_cache_max_size", "Plinth has no workspaces"},
      {"workspace_cache_ttl_seconds", "Plinth has no workspaces"},
      {"auth_cache_max_size", "Plinth remembers a verified password for a minute"},
      {"auth_cache_ttl_seconds", "Plinth remembers a verified password for a minute"},
  };
  return keys;
}

constexpr char kBasicAuth[] = "mlflow.server.auth:authenticate_request_basic_auth";

}  // namespace

AuthConfig read_auth_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot read the auth config '" + path + "'");
  std::map<std::string, std::string> values;
  std::string line, section;
  bool has_mlflow = false;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    std::string where = path + ":" + std::to_string(number);
    if (t.front() == '[') {
      if (t.back() != ']')
        throw Error(ErrorCode::kInvalidInput, where + ": unclosed section '" + t + "'");
      section = trim(t.substr(1, t.size() - 2));
      has_mlflow = has_mlflow || section == "mlflow";
      continue;
    }
    size_t eq = t.find_first_of("=:");
    if (eq == std::string::npos)
      throw Error(ErrorCode::kInvalidInput,
                  where + ": expected 'key = value' (MLflow's basic_auth.ini format)");
    if (section != "mlflow") continue;  // configparser reads other sections; MLflow ignores them
    std::string key = trim(t.substr(0, eq));
    bool known = key == "admin_username" || key == "admin_password" ||
                 key == "default_permission" || key == "authorization_function" ||
                 unused_keys().count(key);
    if (!known)
      throw Error(ErrorCode::kInvalidInput,
                  where + ": unknown key '" + key +
                      "': MLflow's basic_auth.ini has admin_username, admin_password, "
                      "default_permission, database_uri, authorization_function");
    values[key] = trim(t.substr(eq + 1));
  }
  if (!has_mlflow)
    throw Error(ErrorCode::kInvalidInput,
                path + ": no [mlflow] section (MLflow's basic_auth.ini puts its keys under it)");
  if (auto it = values.find("authorization_function");
      it != values.end() && it->second != kBasicAuth)
    throw Error(ErrorCode::kInvalidInput,
                path + ": authorization_function = " + it->second +
                    " cannot run in Plinth, which signs users in with HTTP Basic and bearer "
                    "tokens: remove the line or set it to " +
                    kBasicAuth);
  AuthConfig out;
  out.admin_username = values["admin_username"];
  out.admin_password = values["admin_password"];
  out.default_permission = values["default_permission"];
  for (const auto& [key, why] : unused_keys())
    if (values.count(key)) out.ignored.push_back(key + " (" + why + ")");
  struct stat st {};
  if (!out.admin_password.empty() && ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw Error(ErrorCode::kPermission,
                path + " holds admin_password and every user of this machine may read it (mode " +
                    mode + "): run 'chmod 600 " + path +
                    "', or leave the password out of the file and set PLINTH_ADMIN_PASSWORD");
  }
  return out;
}

}  // namespace plinth::auth
