#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/permission.h"
#include "tracking/database.h"

namespace plinth::auth {

struct User {
  int64_t id = 0;
  std::string username;
  bool is_admin = false;
};

// The kinds of resource a permission is granted on (MLflow's resource_type values).
inline constexpr const char* kExperiment = "experiment";
inline constexpr const char* kRegisteredModel = "registered_model";

// Users, their Argon2id password hashes, their bearer tokens (kept as SHA-256) and their
// permissions per experiment and per registered model, in the tracking database (tables
// auth_users, auth_tokens, auth_permissions). Thread-safe: every call holds a transaction.
// Every change is recorded in the audit log (auth/audit.h) in its transaction, for the acting
// user; passwords and tokens never are.
class UserStore {
 public:
  explicit UserStore(tracking::Database& db) : db_(db) {}

  // Throws Error(kInvalidInput) for an empty name or password, Error(kConflict) when taken.
  User create_user(const std::string& username, const std::string& password, bool is_admin);
  std::optional<User> find_user(const std::string& username);
  // Throws Error(kNotFound) for an unknown user.
  User get_user(const std::string& username);
  std::vector<User> list_users();
  void update_password(const std::string& username, const std::string& password);
  void update_admin(const std::string& username, bool is_admin);
  // Also removes the user's tokens and permissions.
  void delete_user(const std::string& username);
  bool any_admin();

  // The user when `password` is theirs; nullopt otherwise (unknown users cost a hash too, so
  // timing does not tell which names exist). A successful check is remembered for a minute as
  // SHA-256(stored hash, password), so a client's next calls skip Argon2id; a changed password
  // changes the stored hash, which forgets it at once, in every process.
  std::optional<User> check_password(const std::string& username, const std::string& password);
  // A new bearer token for the user, returned once; only its hash is stored.
  std::string create_token(const std::string& username, const std::string& name);
  std::optional<User> check_token(const std::string& token);

  // The permission granted to `username` on a resource, if any.
  std::optional<Permission> permission(const std::string& resource_type,
                                       const std::string& resource_id, const std::string& username);
  // Grants (or replaces) a permission. Throws Error(kNotFound) for an unknown user.
  void grant(const std::string& resource_type, const std::string& resource_id,
             const std::string& username, Permission p);
  // Throws Error(kNotFound) when the user has no permission on the resource.
  void revoke(const std::string& resource_type, const std::string& resource_id,
              const std::string& username);
  // A renamed registered model keeps its permissions.
  void rename_resource(const std::string& resource_type, const std::string& from,
                       const std::string& to);

 private:
  std::optional<User> find_locked(const std::string& username, std::string* hash);
  // The permission name granted to a user id on a resource, "" for none.
  std::string granted_locked(const std::string& resource_type, const std::string& resource_id,
                             int64_t user_id);
  tracking::Database& db_;
  std::mutex verified_mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> verified_;  // digest -> expiry
};

// The admin `username` with `password` (from the environment or an --auth-config file), created
// when missing (an existing user keeps its stored password and is made admin). With no name
// given, the database must hold an admin already: else throws Error(kInvalidInput) saying how
// to name one.
void bootstrap_admin(UserStore& users, const std::string& username, const std::string& password);

}  // namespace plinth::auth
