#include "auth/users.h"

#include "auth/audit.h"
#include "auth/secrets.h"
#include "core/error.h"

namespace plinth::auth {
namespace {

using tracking::Row;
using tracking::Transaction;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void check_name(const std::string& username) {
  if (username.empty()) throw Error(ErrorCode::kInvalidInput, "Username cannot be empty.");
}

Error no_user(const std::string& username) {
  return Error(ErrorCode::kNotFound, "User with username=" + username + " not found");
}

void record_user_change(tracking::Database& db, const std::string& action,
                        const std::string& username, nlohmann::json before, nlohmann::json after) {
  record_change(db, {0, 0, "", action, "user", username, "", std::move(before), std::move(after)});
}

// A permission's entry names the resource and the user it is granted to; a registered model's
// permissions belong to the model's history.
void record_permission_change(tracking::Database& db, const std::string& action,
                              const std::string& resource_type, const std::string& resource_id,
                              const std::string& username, const char* before, const char* after) {
  auto state = [&](const char* p) -> nlohmann::json {
    if (!p) return nullptr;
    return {{"resource_type", resource_type},
            {"resource_id", resource_id},
            {"username", username},
            {"permission", p}};
  };
  record_change(
      db, {0, 0, "", action, "permission", resource_type + " " + resource_id + " for " + username,
           resource_type == kRegisteredModel ? resource_id : "", state(before), state(after)});
}

}  // namespace

std::optional<User> UserStore::find_locked(const std::string& username, std::string* hash) {
  std::optional<User> out;
  db_.query("SELECT id, is_admin, password_hash FROM auth_users WHERE username = ?", {username},
            [&](const Row& row) {
              out = User{row.integer(0), username, row.integer(1) != 0};
              if (hash) *hash = row.text(2);
            });
  return out;
}

User UserStore::create_user(const std::string& username, const std::string& password,
                            bool is_admin) {
  check_name(username);
  if (password.empty()) throw Error(ErrorCode::kInvalidInput, "Password cannot be empty.");
  std::string hash = hash_password(password);  // slow: outside the transaction
  Transaction tx(db_);
  if (find_locked(username, nullptr))
    throw Error(ErrorCode::kConflict, "User (username=" + username + ") already exists.");
  int64_t id = tracking::query_integer(db_, "SELECT MAX(id) FROM auth_users", {}, 0) + 1;
  db_.exec("INSERT INTO auth_users (id, username, password_hash, is_admin) VALUES (?, ?, ?, ?)",
           {id, username, hash, int64_t{is_admin}});
  record_user_change(db_, "create_user", username, nullptr,
                     {{"username", username}, {"is_admin", is_admin}});
  tx.commit();
  return User{id, username, is_admin};
}

std::string UserStore::granted_locked(const std::string& resource_type,
                                      const std::string& resource_id, int64_t user_id) {
  std::string out;
  db_.query(
      "SELECT permission FROM auth_permissions WHERE resource_type = ? AND resource_id = ? AND "
      "user_id = ?",
      {resource_type, resource_id, user_id}, [&](const Row& row) { out = row.text(0); });
  return out;
}

std::optional<User> UserStore::find_user(const std::string& username) {
  Transaction tx(db_);
  return find_locked(username, nullptr);
}

User UserStore::get_user(const std::string& username) {
  auto user = find_user(username);
  if (!user) throw no_user(username);
  return *user;
}

std::vector<User> UserStore::list_users() {
  Transaction tx(db_);
  std::vector<User> out;
  db_.query("SELECT id, username, is_admin FROM auth_users ORDER BY id", {}, [&](const Row& row) {
    out.push_back({row.integer(0), row.text(1), row.integer(2) != 0});
  });
  return out;
}

void UserStore::update_password(const std::string& username, const std::string& password) {
  if (password.empty()) throw Error(ErrorCode::kInvalidInput, "Password cannot be empty.");
  std::string hash = hash_password(password);
  Transaction tx(db_);
  if (!find_locked(username, nullptr)) throw no_user(username);
  db_.exec("UPDATE auth_users SET password_hash = ? WHERE username = ?", {hash, username});
  // What changed is the password; the log never holds it or its hash.
  record_user_change(db_, "update_password", username, nullptr, nullptr);
  tx.commit();
}

void UserStore::update_admin(const std::string& username, bool is_admin) {
  Transaction tx(db_);
  auto user = find_locked(username, nullptr);
  if (!user) throw no_user(username);
  db_.exec("UPDATE auth_users SET is_admin = ? WHERE username = ?", {int64_t{is_admin}, username});
  record_user_change(db_, "update_admin", username, {{"is_admin", user->is_admin}},
                     {{"is_admin", is_admin}});
  tx.commit();
}

void UserStore::delete_user(const std::string& username) {
  Transaction tx(db_);
  auto user = find_locked(username, nullptr);
  if (!user) throw no_user(username);
  nlohmann::json permissions = nlohmann::json::array();
  db_.query(
      "SELECT resource_type, resource_id, permission FROM auth_permissions WHERE user_id = ? "
      "ORDER BY resource_type, resource_id",
      {user->id}, [&](const Row& row) {
        permissions.push_back({{"resource_type", row.text(0)},
                               {"resource_id", row.text(1)},
                               {"permission", row.text(2)}});
      });
  db_.exec("DELETE FROM auth_tokens WHERE user_id = ?", {user->id});
  db_.exec("DELETE FROM auth_permissions WHERE user_id = ?", {user->id});
  db_.exec("DELETE FROM auth_users WHERE id = ?", {user->id});
  record_user_change(
      db_, "delete_user", username,
      {{"username", username}, {"is_admin", user->is_admin}, {"permissions", permissions}},
      nullptr);
  tx.commit();
}

bool UserStore::any_admin() {
  Transaction tx(db_);
  return tracking::query_integer(db_, "SELECT COUNT(*) FROM auth_users WHERE is_admin = 1", {}, 0) >
         0;
}

std::optional<User> UserStore::check_password(const std::string& username,
                                              const std::string& password) {
  std::string hash;
  std::optional<User> user;
  {
    Transaction tx(db_);
    user = find_locked(username, &hash);
  }
  if (!user) {
    // Spend the same time as for a real user, so response times do not reveal names.
    static const std::string dummy = hash_password("plinth-timing-equaliser");
    verify_password(dummy, password);
    return std::nullopt;
  }
  std::string digest = hash_token(hash + '\0' + password);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(verified_mutex_);
    auto it = verified_.find(digest);
    if (it != verified_.end() && it->second > now) return user;
  }
  if (!verify_password(hash, password)) return std::nullopt;
  std::lock_guard lock(verified_mutex_);
  if (verified_.size() > 10'000) verified_.clear();  // bounded memory
  verified_[digest] = now + std::chrono::minutes(1);
  return user;
}

std::string UserStore::create_token(const std::string& username, const std::string& name) {
  std::string token = new_token();
  Transaction tx(db_);
  auto user = find_locked(username, nullptr);
  if (!user) throw no_user(username);
  db_.exec("INSERT INTO auth_tokens (token_hash, user_id, name, creation_time) VALUES (?, ?, ?, ?)",
           {hash_token(token), user->id, name, now_ms()});
  record_change(db_, {0, 0, "", "create_token", "token", username, "", nullptr, {{"name", name}}});
  tx.commit();
  return token;
}

std::optional<User> UserStore::check_token(const std::string& token) {
  std::string digest = hash_token(token);
  Transaction tx(db_);
  std::optional<User> out;
  db_.query(
      "SELECT u.id, u.username, u.is_admin, t.token_hash FROM auth_tokens t "
      "JOIN auth_users u ON u.id = t.user_id WHERE t.token_hash = ?",
      {digest}, [&](const Row& row) {
        if (constant_time_equal(row.text(3), digest))
          out = User{row.integer(0), row.text(1), row.integer(2) != 0};
      });
  return out;
}

std::optional<Permission> UserStore::permission(const std::string& resource_type,
                                                const std::string& resource_id,
                                                const std::string& username) {
  Transaction tx(db_);
  std::optional<Permission> out;
  db_.query(
      "SELECT p.permission FROM auth_permissions p JOIN auth_users u ON u.id = p.user_id "
      "WHERE p.resource_type = ? AND p.resource_id = ? AND u.username = ?",
      {resource_type, resource_id, username},
      [&](const Row& row) { out = parse_permission(row.text(0)); });
  return out;
}

void UserStore::grant(const std::string& resource_type, const std::string& resource_id,
                      const std::string& username, Permission p) {
  Transaction tx(db_);
  auto user = find_locked(username, nullptr);
  if (!user) throw no_user(username);
  std::string old = granted_locked(resource_type, resource_id, user->id);
  db_.exec(
      "DELETE FROM auth_permissions WHERE resource_type = ? AND resource_id = ? AND user_id = ?",
      {resource_type, resource_id, user->id});
  db_.exec(
      "INSERT INTO auth_permissions (resource_type, resource_id, user_id, permission) "
      "VALUES (?, ?, ?, ?)",
      {resource_type, resource_id, user->id, std::string(permission_name(p))});
  record_permission_change(db_, "grant_permission", resource_type, resource_id, username,
                           old.empty() ? nullptr : old.c_str(), permission_name(p));
  tx.commit();
}

void UserStore::revoke(const std::string& resource_type, const std::string& resource_id,
                       const std::string& username) {
  Transaction tx(db_);
  auto user = find_locked(username, nullptr);
  if (!user) throw no_user(username);
  std::string old = granted_locked(resource_type, resource_id, user->id);
  if (old.empty())
    throw Error(ErrorCode::kNotFound,
                "No permission on " + resource_type + " " + resource_id + " for user " + username);
  db_.exec(
      "DELETE FROM auth_permissions WHERE resource_type = ? AND resource_id = ? AND user_id = ?",
      {resource_type, resource_id, user->id});
  record_permission_change(db_, "revoke_permission", resource_type, resource_id, username,
                           old.c_str(), nullptr);
  tx.commit();
}

void UserStore::rename_resource(const std::string& resource_type, const std::string& from,
                                const std::string& to) {
  Transaction tx(db_);
  db_.exec(
      "UPDATE auth_permissions SET resource_id = ? WHERE resource_type = ? AND resource_id = ?",
      {to, resource_type, from});
  tx.commit();
}

void bootstrap_admin(UserStore& users, const std::string& name, const std::string& password) {
  ActingUser actor("(server start)");
  if (name.empty() || password.empty()) {
    if (users.any_admin()) return;
    throw Error(ErrorCode::kInvalidInput,
                "--auth needs an admin and the database has none: set PLINTH_ADMIN_USERNAME and "
                "PLINTH_ADMIN_PASSWORD, or admin_username and admin_password in an "
                "--auth-config file (there is no default password); the admin is created on "
                "first start and then kept in the tracking database");
  }
  if (auto user = users.find_user(name)) {
    if (!user->is_admin) users.update_admin(name, true);
    return;
  }
  users.create_user(name, password, true);
}

}  // namespace plinth::auth
