// Every endpoint of `plinth server --auth` × every permission level, against the real binary:
// anonymous, a user with NO_PERMISSIONS, READ, EDIT or MANAGE on the experiment and registered
// model the request names, and an admin, each with the status it must get. The routes come from
// the server's own router, so an endpoint added without a row here fails this test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "auth/secrets.h"
#include "auth/users.h"
#include "http/client.h"
#include "server/tracking_server.h"

namespace plinth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The levels, in the order every row lists its statuses.
const char* const kLevels[] = {"anonymous", "NO_PERMISSIONS", "READ", "EDIT", "MANAGE", "admin"};
constexpr int kLevelCount = 6;

// Statuses per level (anonymous, NO_PERMISSIONS, READ, EDIT, MANAGE, admin).
using Expect = std::array<int, kLevelCount>;
constexpr Expect kPublic = {200, 200, 200, 200, 200, 200};
constexpr Expect kAnyUser = {401, 200, 200, 200, 200, 200};
constexpr Expect kRead = {401, 403, 200, 200, 200, 200};
constexpr Expect kEdit = {401, 403, 403, 200, 200, 200};
constexpr Expect kManage = {401, 403, 403, 403, 200, 200};
constexpr Expect kAdmin = {401, 403, 403, 403, 403, 200};

// What one level's requests name: an experiment with a run, a logged model, a file and a
// registered model with version 1 and alias "champ", all granted to that level's user.
struct Objects {
  std::string user, password, experiment, experiment_name, run, logged_model, model;
  std::string authorization;  // "" for anonymous
};

// A request: the path after the route's prefix (its key with parameters filled in), the RPC
// message (query string for GET, JSON body otherwise) or a raw body.
struct Call {
  Call(std::string p = "", json m = json::object()) : path(std::move(p)), message(std::move(m)) {}
  std::string path;
  json message;
  std::string raw_body;
  bool raw = false;
};

class Server;
using Builder = std::function<Call(Server&, const Objects&)>;

struct Row {
  std::string method, key;
  Expect expect;
  Builder build;
};

// `plinth server --auth` on a free port, and an admin client for setting objects up.
class Server {
 public:
  Server() {
    dir_ = fs::temp_directory_path() / ("plinth-matrix-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::setenv("PLINTH_ADMIN_USERNAME", "admin", 1);
      ::setenv("PLINTH_ADMIN_PASSWORD", "admin-pw", 1);
      std::string store = "sqlite:///" + (dir_ / "db.sqlite").string();
      std::string artifacts = (dir_ / "artifacts").string();
      ::execl(PLINTH_BINARY, PLINTH_BINARY, "server", "--auth", "--port", "0",
              "--backend-store-uri", store.c_str(), "--artifacts-destination", artifacts.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    FILE* f = ::fdopen(out[0], "r");
    char line[512] = {};
    if (!std::fgets(line, sizeof line, f)) throw std::runtime_error("the server did not start");
    std::string text = line;  // "plinth server listening on http://127.0.0.1:PORT (...)"
    size_t at = text.find("http://");
    base_ = text.substr(at, text.find(' ', at) - at);
    admin_auth_ = auth::basic_authorization("admin", "admin-pw");
  }
  ~Server() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    fs::remove_all(dir_);
  }

  http::Response send(const std::string& method, const std::string& path, const Call& call,
                      const std::string& authorization) {
    http::Request req;
    req.method = method;
    req.url = base_ + path;
    std::string body;
    if (call.raw) {
      body = call.raw_body;
    } else if (method == "GET") {
      std::string query;
      for (const auto& [k, v] : call.message.items()) {
        auto add = [&](const json& x) {
          query += (query.empty() ? "?" : "&") + http::url_encode(k) + "=" +
                   http::url_encode(x.is_string() ? x.get<std::string>() : x.dump());
        };
        if (v.is_array())
          for (const auto& x : v) add(x);
        else
          add(v);
      }
      req.url += query;
    } else {
      body = call.message.dump();
      req.headers.push_back({"Content-Type", "application/json"});
    }
    if (!authorization.empty()) req.headers.push_back({"Authorization", authorization});
    req.body.data = body;
    return client_.send(req);
  }

  // An admin RPC under /api/2.0/ (or /api/3.0/ for `version` 3); its JSON answer.
  json admin(const std::string& method, const std::string& key, json message,
             const std::string& version = "2.0") {
    auto res = send(method, "/api/" + version + "/" + key, {"", std::move(message)}, admin_auth_);
    if (res.status != 200)
      throw std::runtime_error(method + " " + key + ": " + std::to_string(res.status) + " " +
                               res.body);
    return res.body.empty() ? json::object() : json::parse(res.body);
  }
  void put_file(const std::string& path, const std::string& text) {
    Call c;
    c.raw = true;
    c.raw_body = text;
    auto res = send("PUT", "/api/2.0/mlflow-artifacts/artifacts/" + path, c, admin_auth_);
    if (res.status != 200) throw std::runtime_error("PUT " + path + ": " + res.body);
  }

  std::string unique(const std::string& stem) { return stem + "-" + std::to_string(++counter_); }

  // A fresh experiment with a run, a file and a logged model, granted `level` to `user`.
  void experiment_for(Objects& o, const std::string& level) {
    o.experiment_name = unique("exp-" + level);
    o.experiment = admin("POST", "mlflow/experiments/create", {{"name", o.experiment_name}})
                       .at("experiment_id");
    o.run = admin("POST", "mlflow/runs/create", {{"experiment_id", o.experiment}})
                .at("run")
                .at("info")
                .at("run_id");
    admin("POST", "mlflow/runs/log-metric",
          {{"run_id", o.run}, {"key", "m"}, {"value", 1.0}, {"timestamp", 1}, {"step", 0}});
    put_file(o.experiment + "/" + o.run + "/artifacts/f.txt", "hello");
    o.logged_model =
        admin("POST", "mlflow/logged-models", {{"experiment_id", o.experiment}, {"name", "lm"}})
            .at("model")
            .at("info")
            .at("model_id");
    if (!o.user.empty() && level != "admin") grant("experiment", o.experiment, o.user, level);
  }
  // A fresh registered model with version 1 (from the run) and alias champ, granted `level`.
  void model_for(Objects& o, const std::string& level) {
    o.model = unique("model-" + level);
    admin("POST", "mlflow/registered-models/create", {{"name", o.model}});
    admin("POST", "mlflow/model-versions/create",
          {{"name", o.model},
           {"source", "mlflow-artifacts:/" + o.experiment + "/" + o.run + "/artifacts"},
           {"run_id", o.run}});
    admin("POST", "mlflow/registered-models/alias",
          {{"name", o.model}, {"alias", "champ"}, {"version", "1"}});
    if (!o.user.empty() && level != "admin") grant("registered_model", o.model, o.user, level);
  }
  void grant(const std::string& type, const std::string& id, const std::string& user,
             const std::string& level) {
    admin("POST", "mlflow/users/permissions/grant",
          {{"resource_type", type}, {"resource_id", id}, {"username", user}, {"permission", level}},
          "3.0");
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::string base_, admin_auth_;
  http::Client client_{http::RetryPolicy{1, std::chrono::milliseconds(0)}};
  int counter_ = 0;
};

// A fresh copy of the level's objects, for a request that deletes or renames what it names.
Objects fresh(Server& s, const Objects& o) {
  Objects copy = o;
  std::string level = o.user.empty() ? "admin" : o.user;  // users are named after their level
  s.experiment_for(copy, level);
  s.model_for(copy, level);
  return copy;
}

Call msg(json message) { return {"", std::move(message)}; }

// The table: every route key (pattern without its /api/2.0/ or /ajax-api/3.0/ prefix).
std::vector<Row> rows() {
  auto path = [](std::string p) { return Call{std::move(p)}; };
  auto run = [](const Objects& o) { return msg({{"run_id", o.run}}); };
  auto exp = [](const Objects& o) { return msg({{"experiment_id", o.experiment}}); };
  auto model = [](const Objects& o) { return msg({{"name", o.model}}); };
  auto version = [](const Objects& o) { return msg({{"name", o.model}, {"version", "1"}}); };
  auto file = [](const Objects& o) { return o.experiment + "/" + o.run + "/artifacts/f.txt"; };
  using S = Server;
  using O = Objects;
  std::vector<Row> table = {
      {"GET", "/health", kPublic, [=](S&, const O&) { return path(""); }},
      {"GET", "/version", kPublic, [=](S&, const O&) { return path(""); }},
      {"GET", "mlflow/server-info", kAnyUser, [=](S&, const O&) { return path(""); }},
      {"GET", "/", kAnyUser, [=](S&, const O&) { return path(""); }},
      {"GET", "/index.html", kAnyUser, [=](S&, const O&) { return path(""); }},
      {"GET",
       "/assets/{*path}",
       {401, 404, 404, 404, 404, 404},
       [=](S&, const O&) { return path("/assets/none.js"); }},
      {"GET", "plinth/metrics/downsampled", kRead,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"metric_key", "m"}, {"max_points", 10}});
       }},
      {"GET",
       "plinth/monitoring",
       {401, 400, 400, 400, 400, 400},
       [=](S&, const O&) {
         return msg({{"url", "file:///etc/passwd"}});
       }},
      // Experiments
      {"POST", "mlflow/experiments/create", kAnyUser,
       [=](S& s, const O&) {
         return msg({{"name", s.unique("created")}});
       }},
      {"GET", "mlflow/experiments/get", kRead, [=](S&, const O& o) { return exp(o); }},
      {"GET", "mlflow/experiments/get-by-name", kRead,
       [=](S&, const O& o) {
         return msg({{"experiment_name", o.experiment_name}});
       }},
      {"POST", "mlflow/experiments/search", kAnyUser,
       [=](S&, const O&) {
         return msg({{"max_results", 10}});
       }},
      {"GET", "mlflow/experiments/search", kAnyUser,
       [=](S&, const O&) {
         return msg({{"max_results", 10}});
       }},
      {"POST", "mlflow/experiments/update", kEdit,
       [=](S& s, const O& o) {
         return msg({{"experiment_id", fresh(s, o).experiment}, {"new_name", s.unique("renamed")}});
       }},
      {"POST", "mlflow/experiments/delete", kManage,
       [=](S& s, const O& o) { return exp(fresh(s, o)); }},
      {"POST", "mlflow/experiments/restore", kManage,
       [=](S& s, const O& o) {
         O f = fresh(s, o);
         s.admin("POST", "mlflow/experiments/delete", {{"experiment_id", f.experiment}});
         return exp(f);
       }},
      {"POST", "mlflow/experiments/set-experiment-tag", kEdit,
       [=](S&, const O& o) {
         return msg({{"experiment_id", o.experiment}, {"key", "k"}, {"value", "v"}});
       }},
      {"POST", "mlflow/experiments/delete-experiment-tag", kEdit,
       [=](S& s, const O& o) {
         s.admin("POST", "mlflow/experiments/set-experiment-tag",
                 {{"experiment_id", o.experiment}, {"key", "gone"}, {"value", "v"}});
         return msg({{"experiment_id", o.experiment}, {"key", "gone"}});
       }},
      // Runs
      {"POST", "mlflow/runs/create", kEdit, [=](S&, const O& o) { return exp(o); }},
      {"GET", "mlflow/runs/get", kRead, [=](S&, const O& o) { return run(o); }},
      {"POST", "mlflow/runs/update", kEdit,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"status", "RUNNING"}});
       }},
      {"POST", "mlflow/runs/delete", kManage, [=](S& s, const O& o) { return run(fresh(s, o)); }},
      {"POST", "mlflow/runs/restore", kManage,
       [=](S& s, const O& o) {
         O f = fresh(s, o);
         s.admin("POST", "mlflow/runs/delete", {{"run_id", f.run}});
         return run(f);
       }},
      {"POST", "mlflow/runs/log-metric", kEdit,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"key", "m"}, {"value", 2.0}, {"timestamp", 2}});
       }},
      {"POST", "mlflow/runs/log-parameter", kEdit,
       [=](S& s, const O& o) {
         return msg({{"run_id", o.run}, {"key", s.unique("p")}, {"value", "1"}});
       }},
      {"POST", "mlflow/runs/set-tag", kEdit,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"key", "t"}, {"value", "v"}});
       }},
      {"POST", "mlflow/runs/delete-tag", kEdit,
       [=](S& s, const O& o) {
         s.admin("POST", "mlflow/runs/set-tag",
                 {{"run_id", o.run}, {"key", "gone"}, {"value", "v"}});
         return msg({{"run_id", o.run}, {"key", "gone"}});
       }},
      {"POST", "mlflow/runs/log-batch", kEdit, [=](S&, const O& o) { return run(o); }},
      {"POST", "mlflow/runs/log-model", kEdit,
       [=](S&, const O& o) {
         json model = {{"artifact_path", "model"},
                       {"flavors", json::object()},
                       {"utc_time_created", "2026-12-06 06:00:00"},
                       {"run_id", o.run}};
         return msg({{"run_id", o.run}, {"model_json", model.dump()}});
       }},
      {"POST", "mlflow/runs/log-inputs", kEdit, [=](S&, const O& o) { return run(o); }},
      {"POST", "mlflow/runs/outputs", kEdit,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"models", {{{"model_id", o.logged_model}, {"step", 0}}}}});
       }},
      {"POST", "mlflow/runs/search", kRead,
       [=](S&, const O& o) {
         return msg({{"experiment_ids", {o.experiment}}});
       }},
      {"GET", "mlflow/runs/search", kRead,
       [=](S&, const O& o) {
         return msg({{"experiment_ids", {o.experiment}}});
       }},
      {"GET", "mlflow/metrics/get-history", kRead,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"metric_key", "m"}});
       }},
      {"GET", "mlflow/metrics/get-history-bulk-interval", kRead,
       [=](S&, const O& o) {
         return msg({{"run_ids", {o.run}}, {"metric_key", "m"}, {"max_results", 10}});
       }},
      {"GET", "mlflow/artifacts/list", kRead, [=](S&, const O& o) { return run(o); }},
      // Logged models
      {"POST", "mlflow/logged-models", kEdit,
       [=](S&, const O& o) {
         return msg({{"experiment_id", o.experiment}, {"name", "lm2"}});
       }},
      {"GET", "mlflow/logged-models/{id}", kRead,
       [=](S&, const O& o) { return path("mlflow/logged-models/" + o.logged_model); }},
      {"PATCH", "mlflow/logged-models/{id}", kEdit,
       [=](S&, const O& o) {
         return Call{"mlflow/logged-models/" + o.logged_model, {{"status", "LOGGED_MODEL_READY"}}};
       }},
      {"DELETE", "mlflow/logged-models/{id}", kManage,
       [=](S& s, const O& o) { return path("mlflow/logged-models/" + fresh(s, o).logged_model); }},
      {"POST", "mlflow/logged-models/search", kRead,
       [=](S&, const O& o) {
         return msg({{"experiment_ids", {o.experiment}}});
       }},
      {"PATCH", "mlflow/logged-models/{id}/tags", kEdit,
       [=](S&, const O& o) {
         return Call{"mlflow/logged-models/" + o.logged_model + "/tags",
                     {{"tags", {{{"key", "k"}, {"value", "v"}}}}}};
       }},
      {"DELETE", "mlflow/logged-models/{id}/tags/{key}", kEdit,
       [=](S&, const O& o) { return path("mlflow/logged-models/" + o.logged_model + "/tags/k"); }},
      {"POST", "mlflow/logged-models/{id}/params", kEdit,
       [=](S&, const O& o) {
         return Call{"mlflow/logged-models/" + o.logged_model + "/params",
                     {{"params", {{{"key", "p"}, {"value", "1"}}}}}};
       }},
      {"GET", "mlflow/logged-models/{id}/artifacts/directories", kRead,
       [=](S&, const O& o) {
         return path("mlflow/logged-models/" + o.logged_model + "/artifacts/directories");
       }},
      // Registered models and versions
      {"POST", "mlflow/registered-models/create", kAnyUser,
       [=](S& s, const O&) {
         return msg({{"name", s.unique("created-model")}});
       }},
      {"GET", "mlflow/registered-models/get", kRead, [=](S&, const O& o) { return model(o); }},
      {"POST", "mlflow/registered-models/rename", kEdit,
       [=](S& s, const O& o) {
         return msg({{"name", fresh(s, o).model}, {"new_name", s.unique("renamed-model")}});
       }},
      {"PATCH", "mlflow/registered-models/update", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"description", "d"}});
       }},
      {"DELETE", "mlflow/registered-models/delete", kManage,
       [=](S& s, const O& o) { return model(fresh(s, o)); }},
      {"GET", "mlflow/registered-models/search", kAnyUser,
       [=](S&, const O&) { return msg(json::object()); }},
      {"POST", "mlflow/registered-models/set-tag", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"key", "k"}, {"value", "v"}});
       }},
      {"DELETE", "mlflow/registered-models/delete-tag", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"key", "k"}});
       }},
      {"POST", "mlflow/registered-models/get-latest-versions", kRead,
       [=](S&, const O& o) { return model(o); }},
      {"GET", "mlflow/registered-models/get-latest-versions", kRead,
       [=](S&, const O& o) { return model(o); }},
      {"POST", "mlflow/registered-models/alias", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"alias", "a"}, {"version", "1"}});
       }},
      {"DELETE", "mlflow/registered-models/alias", kManage,
       [=](S& s, const O& o) {
         return msg({{"name", fresh(s, o).model}, {"alias", "champ"}});
       }},
      {"GET", "mlflow/registered-models/alias", kRead,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"alias", "champ"}});
       }},
      {"POST", "mlflow/model-versions/create", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model},
                     {"source", "mlflow-artifacts:/" + o.experiment + "/" + o.run + "/artifacts"},
                     {"run_id", o.run}});
       }},
      {"GET", "mlflow/model-versions/get", kRead, [=](S&, const O& o) { return version(o); }},
      {"PATCH", "mlflow/model-versions/update", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"version", "1"}, {"description", "d"}});
       }},
      {"DELETE", "mlflow/model-versions/delete", kManage,
       [=](S& s, const O& o) { return version(fresh(s, o)); }},
      {"GET", "mlflow/model-versions/search", kAnyUser,
       [=](S&, const O&) { return msg(json::object()); }},
      {"POST", "mlflow/model-versions/transition-stage", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"version", "1"}, {"stage", "Staging"}});
       }},
      {"GET", "mlflow/model-versions/get-download-uri", kRead,
       [=](S&, const O& o) { return version(o); }},
      {"POST", "mlflow/model-versions/set-tag", kEdit,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"version", "1"}, {"key", "k"}, {"value", "v"}});
       }},
      {"DELETE", "mlflow/model-versions/delete-tag", kManage,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"version", "1"}, {"key", "k"}});
       }},
      // Artifacts
      {"GET", "/get-artifact", kRead,
       [=](S&, const O& o) {
         return msg({{"run_id", o.run}, {"path", "f.txt"}});
       }},
      {"GET", "/model-versions/get-artifact", kRead,
       [=](S&, const O& o) {
         return msg({{"name", o.model}, {"version", "1"}, {"path", "f.txt"}});
       }},
      {"PUT", "mlflow-artifacts/artifacts/{*path}", kEdit,
       [=](S&, const O& o) {
         Call c{"mlflow-artifacts/artifacts/" + file(o)};
         c.raw = true;
         c.raw_body = "new";
         return c;
       }},
      {"GET", "mlflow-artifacts/artifacts/{*path}", kRead,
       [=](S& s, const O& o) {
         s.put_file(file(o), "hello");
         return path("mlflow-artifacts/artifacts/" + file(o));
       }},
      {"DELETE", "mlflow-artifacts/artifacts/{*path}", kManage,
       [=](S& s, const O& o) { return path("mlflow-artifacts/artifacts/" + file(fresh(s, o))); }},
      {"GET", "mlflow-artifacts/artifacts", kRead,
       [=](S&, const O& o) {
         return msg({{"path", o.experiment + "/" + o.run + "/artifacts"}});
       }},
      {"POST",
       "mlflow-artifacts/mpu/{action}/{*path}",
       {401, 403, 403, 501, 501, 501},
       [=](S&, const O& o) { return path("mlflow-artifacts/mpu/create/" + file(o)); }},
      // Users and permissions
      {"POST", "mlflow/users/create", kAdmin,
       [=](S& s, const O&) {
         return msg({{"username", s.unique("new")}, {"password", "pw-1"}});
       }},
      {"GET", "mlflow/users/get", kAdmin,
       [=](S&, const O&) {
         return msg({{"username", "someone"}});
       }},
      {"GET", "mlflow/users/current", kAnyUser, [=](S&, const O&) { return msg(json::object()); }},
      {"GET", "mlflow/users/list", kAdmin, [=](S&, const O&) { return msg(json::object()); }},
      {"PATCH", "mlflow/users/update-password", kAdmin,
       [=](S&, const O&) {
         return msg({{"username", "someone"}, {"password", "pw-2"}});
       }},
      {"PATCH", "mlflow/users/update-admin", kAdmin,
       [=](S&, const O&) {
         return msg({{"username", "someone"}, {"is_admin", false}});
       }},
      {"DELETE", "mlflow/users/delete", kAdmin,
       [=](S& s, const O&) {
         std::string name = s.unique("doomed");
         s.admin("POST", "mlflow/users/create", {{"username", name}, {"password", "pw-3"}});
         return msg({{"username", name}});
       }},
      {"POST", "mlflow/users/permissions/grant", kManage,
       [=](S&, const O& o) {
         return msg({{"resource_type", "experiment"},
                     {"resource_id", o.experiment},
                     {"username", "someone"},
                     {"permission", "READ"}});
       }},
      {"POST", "mlflow/users/permissions/revoke", kManage,
       [=](S& s, const O& o) {
         s.grant("experiment", o.experiment, "someone", "READ");
         return msg({{"resource_type", "experiment"},
                     {"resource_id", o.experiment},
                     {"username", "someone"}});
       }},
      {"GET", "mlflow/users/permissions/get", kManage,
       [=](S&, const O& o) {
         return msg({{"resource_type", "experiment"},
                     {"resource_id", o.experiment},
                     {"username", "someone"}});
       }},
      {"POST", "plinth/tokens/create", kAnyUser,
       [=](S&, const O&) {
         return msg({{"name", "ci"}});
       }},
      {"GET", "plinth/audit", kRead,
       [=](S&, const O& o) {
         return msg({{"model", o.model}});
       }},
      // The W&B SDK's protocol: admins only until its runs get per-project permissions.
      {"POST", "/graphql", kAdmin,
       [=](S&, const O&) {
         return msg({{"query", "query Viewer { viewer { id } }"}});
       }},
      {"POST",
       "/files/{entity}/{project}/{run}/file_stream",
       {401, 403, 403, 403, 403, 404},
       [=](S&, const O&) {
         return Call{"/files/e/p/r/file_stream", {{"files", json::object()}}};
       }},
      {"PUT",
       "/wandb/upload/{run_id}/{*path}",
       {401, 403, 403, 403, 403, 403},
       [=](S&, const O& o) { return path("/wandb/upload/" + o.run + "/f.txt"); }},
      {"GET",
       "/{entity}/{project}/runs/{run}",
       {401, 403, 403, 403, 403, 404},
       [=](S&, const O&) { return path("/e/p/runs/r"); }},
      {"POST", "/sdk/otel/v1/{kind}", kAdmin,
       [=](S&, const O&) { return path("/sdk/otel/v1/traces"); }},
  };
  // MLflow 2's per-resource permission endpoints, for experiments and registered models alike.
  for (const char* type : {"experiment", "registered_model"}) {
    bool experiment = std::string(type) == "experiment";
    std::string prefix =
        experiment ? "mlflow/experiments/permissions/" : "mlflow/registered-models/permissions/";
    auto target = [experiment](const O& o) -> json {
      return experiment ? json{{"experiment_id", o.experiment}} : json{{"name", o.model}};
    };
    auto granted = [type, target](S& s, const O& o, const char* permission) {
      s.grant(type, type == std::string("experiment") ? o.experiment : o.model, "someone", "READ");
      json m = target(o);
      m["username"] = "someone";
      if (permission) m["permission"] = permission;
      return Call("", m);
    };
    table.push_back(
        {"POST", prefix + "create", kManage, [target](S& s, const O& o) {
           std::string name = s.unique("granted");
           s.admin("POST", "mlflow/users/create", {{"username", name}, {"password", "pw-4"}});
           json m = target(o);
           m["username"] = name;
           m["permission"] = "READ";
           return Call("", m);
         }});
    table.push_back({"GET", prefix + "get", kManage,
                     [granted](S& s, const O& o) { return granted(s, o, nullptr); }});
    table.push_back({"PATCH", prefix + "update", kManage,
                     [granted](S& s, const O& o) { return granted(s, o, "EDIT"); }});
    table.push_back({"DELETE", prefix + "delete", kManage,
                     [granted](S& s, const O& o) { return granted(s, o, nullptr); }});
  }
  return table;
}

// The route key of a router pattern, and the prefix it sits under ("/api/2.0/", "/ajax-api/3.0/"
// or "" for routes outside the REST API).
std::pair<std::string, std::string> split(const std::string& pattern) {
  for (const char* prefix : {"/api/2.0/", "/ajax-api/2.0/", "/api/3.0/", "/ajax-api/3.0/"})
    if (pattern.rfind(prefix, 0) == 0) return {prefix, pattern.substr(std::string(prefix).size())};
  return {"", pattern};
}

TEST(EndpointMatrix, EveryEndpointAtEveryLevel) {
  // The routes, from a server built in-process the way `plinth server --auth` builds it.
  fs::path scratch = fs::temp_directory_path() / ("plinth-routes-" + std::to_string(::getpid()));
  std::vector<std::pair<std::string, std::string>> routes;
  {
    auto db = tracking::open_database("sqlite:///" + (scratch / "t.db").string());
    auto store = tracking::make_store(*db, "mlflow-artifacts:");
    auto registry = registry::make_registry(*db, *store);
    auto artifacts = tracking::open_artifact_store((scratch / "art").string());
    auth::UserStore users(*db);
    server::TrackingServer server(*store, *registry, *artifacts, {&users, auth::Permission::kRead});
    routes = server.router().routes();
  }
  fs::remove_all(scratch);

  std::map<std::pair<std::string, std::string>, const Row*> table;
  auto all = rows();
  for (const auto& r : all) table[{r.method, r.key}] = &r;
  std::set<std::pair<std::string, std::string>> used;
  for (const auto& [method, pattern] : routes)
    if (!table.count({method, split(pattern).second}))
      ADD_FAILURE() << "no row for " << method << " " << pattern
                    << ": add one to endpoint_matrix_test.cc with the status of each level";

  Server s;
  std::array<Objects, kLevelCount> objects;
  for (int level = 0; level < kLevelCount; ++level) {
    Objects& o = objects[level];
    std::string name = kLevels[level];
    if (level > 0 && level < kLevelCount - 1) {
      o.user = name;
      o.password = "pw-" + name;
      s.admin("POST", "mlflow/users/create", {{"username", o.user}, {"password", o.password}});
      o.authorization = auth::basic_authorization(o.user, o.password);
    } else if (level == kLevelCount - 1) {
      o.authorization = auth::basic_authorization("admin", "admin-pw");
    }
    s.experiment_for(o, level == 0 ? "READ" : name);
    s.model_for(o, level == 0 ? "READ" : name);
  }
  s.admin("POST", "mlflow/users/create", {{"username", "someone"}, {"password", "pw-someone"}});

  int checked = 0;
  for (const auto& [method, pattern] : routes) {
    auto [prefix, key] = split(pattern);
    auto it = table.find({method, key});
    if (it == table.end()) continue;
    used.insert({method, key});
    for (int level = 0; level < kLevelCount; ++level) {
      const Objects& o = objects[level];
      Call call = it->second->build(s, o);
      std::string target = call.path.rfind("/", 0) == 0 && prefix.empty() ? call.path
                           : call.path.empty()                            ? pattern
                                                                          : prefix + call.path;
      auto res = s.send(method, target, call, o.authorization);
      EXPECT_EQ(res.status, it->second->expect[level])
          << method << " " << target << " as " << kLevels[level] << ": " << res.body.substr(0, 200);
      ++checked;
    }
  }
  for (const auto& r : all)
    EXPECT_TRUE(used.count({r.method, r.key}))
        << "a row for a route the server lacks: " << r.method << " " << r.key;
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace plinth
