#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth/audit.h"
#include "auth/auth_config.h"
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
  server::TrackingServer server(*store, *registry, *artifacts, {&users, Permission::kRead});
  auto routes = server.router().routes();
  EXPECT_GT(routes.size(), 150u);
  for (const auto& [method, pattern] : routes)
    EXPECT_TRUE(server::internal::rule_for(method, pattern)) << method << " " << pattern;
  EXPECT_FALSE(server::internal::rule_for("GET", "/api/2.0/mlflow/made-up"));
}

AuditQuery about(const std::string& model, const std::string& user = "") {
  AuditQuery q;
  q.model = model;
  q.user = user;
  return q;
}

// Every registry change is in the log with who, before and after; a model's history follows
// its renames; a change that fails leaves no entry.
TEST(Audit, RegistryChangesWithWhoBeforeAndAfter) {
  TempDir dir;
  auto db = tracking::open_database("sqlite:///" + (dir.path() / "t.db").string());
  auto store = tracking::make_store(*db, "mlflow-artifacts:");
  auto registry = registry::make_registry(*db, *store);
  {
    ActingUser alice("alice");
    registry->create_model("fraud", {}, "");
    for (int i = 0; i < 2; ++i) {
      registry::NewModelVersion spec;
      spec.name = "fraud";
      spec.source = "s3://b/m" + std::to_string(i);
      registry->create_version(spec);
    }
    registry->transition_stage("fraud", "1", "production", false);
  }
  {
    ActingUser bob("bob");
    registry->transition_stage("fraud", "2", "Production", true);
    registry->set_alias("fraud", "champion", "2");
    registry->set_model_tag("fraud", {"team", "risk"});
    registry->rename_model("fraud", "fraud-v2");
    EXPECT_THROW(registry->transition_stage("fraud-v2", "9", "Staging", false), Error);
    registry->delete_alias("fraud-v2", "champion");
    registry->delete_alias("fraud-v2", "champion");  // nothing to delete: nothing recorded
  }
  registry->create_model("fraud", {}, "a new model under the old name");  // not fraud-v2's

  auto history = read_audit(*db, about("fraud-v2")).entries;
  std::vector<std::string> actions;
  for (const auto& e : history) actions.push_back(e.user + " " + e.action + " " + e.object);
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "alice create_model fraud", "alice create_version fraud/1",
                         "alice create_version fraud/2", "alice transition_stage fraud/1",
                         "bob transition_stage fraud/2", "bob transition_stage fraud/1",
                         "bob set_alias fraud@champion", "bob set_model_tag fraud",
                         "bob rename_model fraud-v2", "bob delete_alias fraud-v2@champion"}));
  EXPECT_EQ(history[3].before, (nlohmann::json{{"current_stage", "None"}}));
  EXPECT_EQ(history[3].after, (nlohmann::json{{"current_stage", "Production"}}));
  EXPECT_EQ(history[4].after,
            (nlohmann::json{{"current_stage", "Production"}, {"archived_versions", {1}}}));
  EXPECT_EQ(history[5].after,
            (nlohmann::json{{"current_stage", "Archived"}, {"archived_by_version", 2}}));
  EXPECT_EQ(history[6].before, (nlohmann::json{{"alias", "champion"}, {"version", nullptr}}));
  EXPECT_TRUE(history[9].after.is_null());
  EXPECT_GT(history[0].time, 0);

  auto fresh = read_audit(*db, about("fraud")).entries;
  ASSERT_EQ(fresh.size(), 1u) << "the new 'fraud' has only its own creation";
  EXPECT_EQ(fresh[0].user, "");
  EXPECT_EQ(read_audit(*db, about("", "bob")).entries.size(), 6u);

  AuditQuery paged = about("fraud-v2");
  paged.max_results = 4;
  size_t seen = 0;
  for (;;) {
    auto page = read_audit(*db, paged);
    seen += page.entries.size();
    if (page.next_page_token.empty()) break;
    paged.page_token = page.next_page_token;
  }
  EXPECT_EQ(seen, history.size());
  AuditQuery bad_token, bad_size;
  bad_token.page_token = "x1";
  bad_size.max_results = 0;
  EXPECT_THROW(read_audit(*db, bad_token), Error);
  EXPECT_THROW(read_audit(*db, bad_size), Error);
}

// User and permission changes are logged; no password or token reaches the log.
TEST(Audit, UserChangesNeverHoldSecrets) {
  TempDir dir;
  auto db = tracking::open_database("sqlite:///" + (dir.path() / "t.db").string());
  UserStore users(*db);
  ActingUser admin("root");
  users.create_user("alice", "first-secret-pw", false);
  users.update_password("alice", "second-secret-pw");
  users.update_admin("alice", true);
  std::string token = users.create_token("alice", "ci");
  users.grant(kRegisteredModel, "fraud", "alice", Permission::kEdit);
  users.grant(kRegisteredModel, "fraud", "alice", Permission::kManage);
  users.revoke(kRegisteredModel, "fraud", "alice");
  users.delete_user("alice");
  std::string all;
  std::vector<std::string> actions;
  for (const auto& e : read_audit(*db, AuditQuery{}).entries) {
    all += audit_json(e).dump();
    actions.push_back(e.action);
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"create_user", "update_password", "update_admin",
                                      "create_token", "grant_permission", "grant_permission",
                                      "revoke_permission", "delete_user"}));
  for (const std::string& secret :
       {std::string("first-secret-pw"), std::string("second-secret-pw"), token, hash_token(token)})
    EXPECT_EQ(all.find(secret), std::string::npos) << secret;
  auto model = read_audit(*db, about("fraud")).entries;
  ASSERT_EQ(model.size(), 3u);
  EXPECT_EQ(model[1].before["permission"], "EDIT");
  EXPECT_EQ(model[1].after["permission"], "MANAGE");
  EXPECT_EQ(model[1].user, "root");
}

TEST(AuthConfig, ReadsMlflowsFileAndRefusesAReadablePassword) {
  TempDir dir;
  auto write = [&](const std::string& text, int mode) {
    std::string path = (dir.path() / "basic_auth.ini").string();
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  };
  std::string mlflows =
      "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///basic_auth.db\n"
      "admin_username = boss\n# admin_password =\nadmin_password = s3cret-pw\n"
      "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n";
  AuthConfig c = read_auth_config(write(mlflows, 0600));
  EXPECT_EQ(c.admin_username, "boss");
  EXPECT_EQ(c.admin_password, "s3cret-pw");
  EXPECT_EQ(c.default_permission, "NO_PERMISSIONS");
  ASSERT_EQ(c.ignored.size(), 1u);
  EXPECT_EQ(c.ignored[0].rfind("database_uri", 0), 0u);
  try {
    read_auth_config(write(mlflows, 0644));
    FAIL() << "a world-readable password was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermission);
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("s3cret-pw"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(read_auth_config(write("[mlflow]\nadmin_username = boss\n", 0644)));
  for (const char* bad :
       {"[mlflow]\nadmin_pasword = x\n", "admin_username = boss\n", "[mlflow]\njust words\n",
        "[mlflow]\nauthorization_function = my.module:check\n"})
    EXPECT_THROW(read_auth_config(write(bad, 0600)), Error) << bad;
  EXPECT_THROW(read_auth_config((dir.path() / "missing.ini").string()), Error);
}

}  // namespace
}  // namespace plinth::auth
