#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/users.h"
#include "http/router.h"
#include "registry/registry.h"
#include "tracking/store.h"

namespace plinth::server::internal {

// What a route needs before it runs: nothing, a signed-in user, an admin, or a permission on
// the experiment or registered model the request names (MLflow's basic-auth validators).
struct Rule {
  enum class On {
    kPublic,           // no credentials (/health, /version)
    kUser,             // any signed-in user (searches are filtered afterwards)
    kAdmin,            // admins only
    kSelfOrAdmin,      // the user named by "username", or an admin
    kGrant,            // MANAGE on the resource a permission call names
    kPermissionOf,     // a user's own permission, or as kGrant
    kExperiment,       // arg experiment_id
    kExperimentName,   // arg experiment_name
    kExperimentIds,    // every id in arg experiment_ids (run and logged-model searches)
    kRun,              // the experiment of arg run_id / run_uuid
    kRunIds,           // the experiments of every arg run_ids
    kLoggedModel,      // the experiment of path {id} or arg model_id
    kRegisteredModel,  // arg name
    kModelVersionRun,  // update on arg name, and read on arg run_id when given
    kArtifactPath,     // the experiment an mlflow-artifacts path starts with
    kAuditModel,       // arg model (its own history); the whole log is for admins
  };
  On on;
  auth::Need need = auth::Need::kRead;
};

// The rule for a route pattern as Router::routes() lists it; nullopt when the route has none
// (it is then refused: a new route without a rule fails closed, and access_test fails).
std::optional<Rule> rule_for(const std::string& method, const std::string& pattern);

// Checks every request of a server started with --auth: authenticates it (HTTP Basic or a
// bearer token), checks the route's rule, runs it, then filters search results to what the
// user may read and gives creators MANAGE on what they created.
class Access {
 public:
  Access(auth::UserStore& users, tracking::Store& store, registry::Registry& registry,
         auth::Permission default_permission)
      : users_(users), store_(store), registry_(registry), default_(default_permission) {}

  http::ServerResponse handle(const http::Router& router, const http::ServerRequest& req) const;

  // The user the Authorization header names, or nullopt (missing, malformed or wrong).
  std::optional<auth::User> authenticate(const std::string& authorization) const;

  // After this many failed password logins in a row for one name, each further attempt must wait
  // kLockout (answered 429 with Retry-After) before it is tried. The same holds for one client
  // address after kFreeFailuresPerAddress failures, whatever names it tries; its count is
  // forgotten kForgetAddress after its last failure (a success does not reset it, so one valid
  // account cannot launder guesses at others).
  static constexpr int kFreeFailures = 5;
  static constexpr int kFreeFailuresPerAddress = 20;
  static constexpr std::chrono::seconds kLockout{30};
  static constexpr std::chrono::minutes kForgetAddress{15};

  // The effective permission of `user` on a resource: MANAGE for admins, the granted one, or
  // the default.
  auth::Permission effective(const auth::User& user, const std::string& type,
                             const std::string& id) const;

 private:
  bool allowed(const auth::User& user, const Rule& rule, const http::ServerRequest& req,
               const http::PathParams& params) const;
  void after(const auth::User& user, const std::string& pattern, const http::ServerRequest& req,
             http::ServerResponse& response) const;

  // Seconds a login for `key` ("user NAME" or "address ADDR") must still wait (0: may try now).
  int64_t locked_for(const std::string& key) const;
  void record_login(const std::string& user_key, const std::string& address_key, bool ok) const;

  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point until{};
    std::chrono::steady_clock::time_point last{};
  };
  mutable std::mutex failures_mutex_;
  mutable std::map<std::string, Failures> failures_;

  auth::UserStore& users_;
  tracking::Store& store_;
  registry::Registry& registry_;
  auth::Permission default_;
};

}  // namespace plinth::server::internal
