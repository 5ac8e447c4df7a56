#pragma once

#include <string>
#include <vector>

namespace plinth::auth {

// The fields of MLflow's basic_auth.ini ([mlflow] section) that apply to `plinth server`.
struct AuthConfig {
  std::string admin_username;      // "" when absent
  std::string admin_password;      // "" when absent
  std::string default_permission;  // "" when absent
  // MLflow keys that do not apply to Plinth and were left unused, with why ("database_uri:
  // users live in the tracking database"), for the server to say so.
  std::vector<std::string> ignored;
};

// Reads `path`. Throws Error(kInvalidInput) naming the file, line and key for a line that is
// not `key = value`, a key MLflow's file does not have, an [mlflow] section missing, or an
// authorization_function other than MLflow's basic auth; and Error(kPermission) when the file
// holds an admin_password while every user of the machine may read it (chmod 600 fixes it).
AuthConfig read_auth_config(const std::string& path);

}  // namespace plinth::auth
