#include <gtest/gtest.h>

#include <filesystem>

#include "auth/secrets.h"
#include "auth/users.h"
#include "core/error.h"
#include "server/internal/access.h"
#include "server/tracking_server.h"

namespace plinth::auth {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("plinth-auth-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

TEST(Secrets, PasswordsAreArgon2idAndSalted) {
  std::string a = hash_password("correct horse");
  std::string b = hash_password("correct horse");
  EXPECT_EQ(a.rfind("$argon2id$", 0), 0u) << a;
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_TRUE(verify_password(a, "correct horse"));
  EXPECT_FALSE(verify_password(a, "correct horsf"));
  EXPECT_FALSE(verify_password("not a hash", "correct horse"));
  EXPECT_THROW(hash_password(""), Error);
}

TEST(Secrets, TokensAreStoredAsSha256) {
  // FIPS 180-2's test vector for "abc".
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string t = new_token();
  EXPECT_EQ(t.size(), 7u + 64u);
  EXPECT_NE(t, new_token());
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Secrets, AuthorizationHeaders) {
  auto basic = parse_authorization("Basic YWxpY2U6cDpzcw==");  // alice:p:ss
  ASSERT_TRUE(basic);
  EXPECT_FALSE(basic->bearer);
  EXPECT_EQ(basic->username, "alice");
  EXPECT_EQ(basic->secret, "p:ss");
  auto bearer = parse_authorization("bearer  tok123");
  ASSERT_TRUE(bearer);
  EXPECT_TRUE(bearer->bearer);
  EXPECT_EQ(bearer->secret, "tok123");
  for (const char* bad : {"", "Basic", "Basic ", "Basic !!!", "Basic bm9jb2xvbg==" /* nocolon */,
                          "Basic OnB3" /* :pw */, "Bearer", "Digest abc", "YWxpY2U6cHc="})
    EXPECT_FALSE(parse_authorization(bad)) << bad;
}

TEST(UserStore, UsersTokensAndPermissions) {
  TempDir dir;
  auto db = tracking::open_database("sqlite:///" + (dir.path() / "t.db").string());
  UserStore users(*db);
  EXPECT_FALSE(users.any_admin());
  User alice = users.create_user("alice", "pw-alice", false);
  users.create_user("root", "pw-root", true);
  EXPECT_TRUE(users.any_admin());
  try {
    users.create_user("alice", "other", false);
    FAIL() << "a taken name was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kConflict);
  }
  EXPECT_TRUE(users.check_password("alice", "pw-alice"));
  EXPECT_FALSE(users.check_password("alice", "pw-root"));
  EXPECT_FALSE(users.check_password("nobody", "pw-alice"));

  std::string token = users.create_token("alice", "ci");
  auto by_token = users.check_token(token);
  ASSERT_TRUE(by_token);
  EXPECT_EQ(by_token->id, alice.id);
  EXPECT_FALSE(users.check_token(token + "x"));
  int64_t plain = tracking::query_integer(
      *db, "SELECT COUNT(*) FROM auth_tokens WHERE token_hash = ?", {token}, -1);
  EXPECT_EQ(plain, 0) << "the token itself is never stored";

  users.update_password("alice", "new-pw");
  EXPECT_FALSE(users.check_password("alice", "pw-alice"));
  EXPECT_TRUE(users.check_password("alice", "new-pw"));

  EXPECT_FALSE(users.permission(kExperiment, "1", "alice"));
  users.grant(kExperiment, "1", "alice", Permission::kEdit);
  users.grant(kExperiment, "1", "alice", Permission::kRead);  // replaces
  EXPECT_EQ(users.permission(kExperiment, "1", "alice"), Permission::kRead);
  users.grant(kRegisteredModel, "m", "alice", Permission::kManage);
  users.rename_resource(kRegisteredModel, "m", "m2");
  EXPECT_EQ(users.permission(kRegisteredModel, "m2", "alice"), Permission::kManage);
  users.revoke(kExperiment, "1", "alice");
  EXPECT_FALSE(users.permission(kExperiment, "1", "alice"));
  EXPECT_THROW(users.revoke(kExperiment, "1", "alice"), Error);
  EXPECT_THROW(users.grant(kExperiment, "1", "nobody", Permission::kRead), Error);

  users.delete_user("alice");
  EXPECT_FALSE(users.check_token(token));
  EXPECT_FALSE(users.find_user("alice"));
}

TEST(Permission, MatchesMlflowLevels) {
  EXPECT_TRUE(allows(Permission::kRead, Need::kRead));
  EXPECT_FALSE(allows(Permission::kRead, Need::kUpdate));
  EXPECT_FALSE(allows(Permission::kUse, Need::kUpdate));
  EXPECT_TRUE(allows(Permission::kEdit, Need::kUpdate));
  EXPECT_FALSE(allows(Permission::kEdit, Need::kDelete));
  EXPECT_TRUE(allows(Permission::kManage, Need::kManage));
  EXPECT_FALSE(allows(Permission::kNoPermissions, Need::kRead));
  EXPECT_FALSE(allows(Permission::kDeny, Need::kRead));
  for (const char* name : {"READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS", "DENY"})
    EXPECT_STREQ(permission_name(*parse_permission(name)), name);
  EXPECT_FALSE(parse_permission("WRITE"));
}

// Every route the server has, with logins on, has a rule in the one table: a route added
// without one fails here (and is refused 403 at run time).
TEST(Access, EveryRouteHasARule) {
  TempDir dir;
  auto db = tracking::open_database("sqlite:///" + (dir.path() / "t.db").string());
  auto store = tracking::make_store(*db, "mlflow-artifacts:");
  auto registry = registry::make_registry(*db, *store);
  auto artifacts = tracking::open_artifact_store((dir.path() / "art").string());
  UserStore users(*db);
  server::TrackingServer server(*db, *store, *registry, *artifacts, {&users, Permission::kRead});
  auto routes = server.router().routes();
  EXPECT_GT(routes.size(), 150u);
  for (const auto& [method, pattern] : routes)
    EXPECT_TRUE(server::internal::rule_for(method, pattern)) << method << " " << pattern;
  EXPECT_FALSE(server::internal::rule_for("GET", "/api/2.0/mlflow/made-up"));
}

}  // namespace
}  // namespace plinth::auth
