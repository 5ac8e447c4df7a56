// The W&B SDK's server protocol (spec wandb-protocol.md): POST /graphql, the run's
// file_stream, and self-authorising upload URLs for run files. Runs land in the tracking store
// as MLflow runs (server/internal/wandb_runs.h).
#include "core/error.h"
#include "http/server.h"
#include "server/internal/access.h"
#include "server/internal/graphql.h"
#include "server/internal/routes.h"
#include "server/internal/wandb_artifacts.h"
#include "server/internal/wandb_runs.h"
#include "server/internal/wandb_urls.h"

namespace plinth::server::internal {
namespace {

// GraphQL's answer to a request it cannot read: HTTP 400, which the SDK does not retry (a 5xx
// it would retry for days).
http::ServerResponse graphql_error(int status, const std::string& message) {
  return {status,
          "application/json",
          json{{"data", nullptr}, {"errors", {{{"message", message}}}}}.dump(),
          {}};
}

std::map<std::string, std::string> query_of(const http::ServerRequest& req) {
  return {req.query.begin(), req.query.end()};
}

// `__type(name)` for the introspection older SDKs do (0.19-0.25, spec §1.5): the fields Plinth
// answers, per type. Clients use it to choose features.
json introspect(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"Query", {"viewer", "serverInfo", "project", "artifact", "clientIDMapping"}},
      {"Mutation",
       {"upsertBucket", "createRunFiles", "createArtifact", "createArtifactManifest",
        "updateArtifactManifest", "createArtifactFiles", "commitArtifact", "useArtifact"}},
      {"ServerInfo", {"cliVersionInfo", "latestLocalVersionInfo", "features"}},
      {"Project",
       {"id", "internalId", "name", "entity", "run", "artifact", "artifactCollection",
        "artifactCollectionMembership"}},
      {"Artifact",
       {"id", "digest", "state", "size", "fileCount", "description", "metadata", "versionIndex",
        "artifactType", "artifactSequence", "aliases", "currentManifest", "historyStep",
        "commitHash", "createdAt", "updatedAt", "ttlDurationSeconds", "ttlIsInherited"}}};
  static const std::map<std::string, std::vector<std::string>> kInputFields = {
      {"CreateArtifactInput",
       {"entityName", "projectName", "runName", "artifactTypeName", "artifactCollectionName",
        "artifactCollectionNames", "digest", "digestAlgorithm", "description", "labels", "aliases",
        "metadata", "clientID", "sequenceClientID", "historyStep", "enableDigestDeduplication",
        "distributedID", "ttlDurationSeconds", "storageRegion"}}};
  auto names = [](const std::vector<std::string>& list) {
    json out = json::array();
    for (const auto& n : list) out.push_back({{"name", n}, {"args", json::array()}});
    return out;
  };
  if (auto it = kFields.find(type); it != kFields.end())
    return {{"name", type}, {"fields", names(it->second)}, {"inputFields", nullptr}};
  if (auto it = kInputFields.find(type); it != kInputFields.end())
    return {{"name", type}, {"fields", nullptr}, {"inputFields", names(it->second)}};
  // Any other type has nothing Plinth answers; 0.19's probes crash on a null type.
  return {{"name", type}, {"fields", json::array()}, {"inputFields", json::array()}};
}

class WandbApi {
 public:
  WandbApi(tracking::Database& db, tracking::Store& store, tracking::ArtifactStore& artifacts,
           registry::Registry& registry, const Access* access)
      : access_(access),
        store_(store),
        artifacts_(artifacts),
        runs_(store),
        wandb_artifacts_(db, store, artifacts, registry, runs_, signer_) {}

  http::ServerResponse graphql(const http::ServerRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("query") || !body["query"].is_string())
      return graphql_error(400, "The body must be a JSON object with a GraphQL 'query' string");
    GraphqlOperation op;
    json variables = body.value("variables", json::object());
    if (!variables.is_object()) variables = json::object();
    try {
      std::string name = body.value("operationName", json("")).is_string()
                             ? body.value("operationName", std::string())
                             : std::string();
      op = parse_graphql(body["query"], name, variables);
    } catch (const Error& e) {
      return graphql_error(400, e.what());
    }
    json data = json::object();
    json errors = json::array();
    for (const auto& field : op.fields) {
      try {
        data[field.alias] = answer(op, field, variables, req);
      } catch (const Error& e) {
        data[field.alias] = nullptr;
        errors.push_back({{"message", e.what()}, {"path", {field.alias}}});
      }
    }
    json out = {{"data", data}};
    if (!errors.empty()) out["errors"] = errors;
    return {200, "application/json", out.dump(), {}};
  }

  http::ServerResponse file_stream(const http::PathParams& p, const http::ServerRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return error_response(400, "INVALID_PARAMETER_VALUE", "The file_stream body is not JSON");
    auto run = runs_.find(p.at("entity"), p.at("project"), p.at("run"));
    if (!run)
      throw Error(ErrorCode::kNotFound, "No W&B run " + p.at("entity") + "/" + p.at("project") +
                                            "/" + p.at("run") + ": start it with wandb.init");
    require(req, run->info.experiment_id, auth::Need::kUpdate);
    runs_.file_stream(*run, body);
    return json_response(json::object());
  }

  // The "View run" link the SDK prints: the UI's page of the MLflow run.
  http::ServerResponse run_page(const http::PathParams& p, const http::ServerRequest& req) {
    auto run = runs_.find(p.at("entity"), p.at("project"), p.at("run"));
    if (!run)
      throw Error(ErrorCode::kNotFound,
                  "No W&B run " + p.at("entity") + "/" + p.at("project") + "/" + p.at("run"));
    require(req, run->info.experiment_id, auth::Need::kRead);
    return {302, "text/plain", "", {{"Location", "/#/run/" + run->info.run_id}}};
  }

  http::ServerResponse upload(const http::PathParams& p, const http::ServerRequest& req) {
    std::string path = tracking::checked_artifact_path(p.at("path"));
    signer_.check("run-file\n" + p.at("run_id") + "\n" + path, query_of(req),
                  "ask for a new URL (CreateRunFiles)");
    auto run = store_.get_run(p.at("run_id"));
    artifacts_.put(tracking::proxied_path(run.info.artifact_uri) + "/" + path, req.body);
    return json_response(json::object());
  }

  WandbArtifacts& artifacts() { return wandb_artifacts_; }

 private:
  json answer(const GraphqlOperation& op, const GraphqlField& f, const json& variables,
              const http::ServerRequest& req) {
    auto input = [&] { return f.args.value("input", json()); };
    auto arg = [&](const char* k) {
      auto it = f.args.find(k);
      return it != f.args.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (f.name == "viewer") {
      auto user = caller(req);
      std::string name = user ? user->username : kDefaultEntity;
      return {{"id", name},
              {"entity", kDefaultEntity},
              {"username", name},
              {"email", ""},
              {"admin", false},
              {"flags", "{}"},
              {"teams", {{"edges", json::array()}}}};
    }
    if (f.name == "serverInfo")
      // Every optional feature off: no gzip file_stream, no OpenTelemetry proxy.
      return {{"features", json::array()},
              {"cliVersionInfo", json::object()},
              {"latestLocalVersionInfo",
               {{"outOfDate", false},
                {"latestVersionString", ""},
                {"versionOnThisInstanceString", ""}}}};
    check(f, input(), req);
    if (f.name == "upsertBucket") {
      auto user = caller(req);
      bool fresh = !project_experiment(input(), "entityName", "modelName");
      json out = runs_.upsert_bucket(input());
      if (fresh && user && access_) access_->grant_creator(*user, out["bucket"]["project"]["id"]);
      return out;
    }
    if (f.name == "createRunFiles") return create_run_files(input(), req);
    if (f.name == "createArtifact") return wandb_artifacts_.create(input());
    if (f.name == "createArtifactManifest" || f.name == "updateArtifactManifest")
      return wandb_artifacts_.create_manifest(input(), base_url(req));
    if (f.name == "createArtifactFiles")
      return wandb_artifacts_.create_files(input(), base_url(req));
    if (f.name == "commitArtifact") return wandb_artifacts_.commit(input());
    if (f.name == "useArtifact") return wandb_artifacts_.use(input());
    if (f.name == "artifact") return wandb_artifacts_.artifact(arg("id"), base_url(req));
    if (f.name == "project")
      return wandb_artifacts_.project(arg("entityName"), arg("name"), variables, base_url(req));
    if (f.name == "clientIDMapping") return nullptr;  // no client-id references: none to map
    if (f.name == "__type") return introspect(arg("name"));
    throw Error(ErrorCode::kInvalidInput,
                "Plinth does not implement the W&B operation " +
                    (op.name.empty() ? std::string("(anonymous)") : op.name) + " (" + op.kind +
                    " field '" + f.name + "'); see docs/wandb.md for what is supported");
  }

  // With logins on (--auth): the caller, who may `need` on experiment `id` or gets
  // Error(kPermission) saying what to ask for. Without logins, everyone may do everything.
  std::optional<auth::User> caller(const http::ServerRequest& req) const {
    if (!access_) return std::nullopt;
    return access_->authenticate(req.header("authorization"));
  }
  void require(const http::ServerRequest& req, const std::string& id, auth::Need need) const {
    if (!access_) return;
    auto user = caller(req);
    if (user && auth::allows(access_->effective(*user, auth::kExperiment, id), need)) return;
    auto exp = store_.get_experiment(id);
    throw Error(ErrorCode::kPermission,
                "Permission denied: " + (user ? user->username : std::string("you")) +
                    (need == auth::Need::kRead ? " may not read" : " may not change") +
                    " W&B project " + exp.name + " (MLflow experiment " + id +
                    "); ask its owner or an admin for " +
                    (need == auth::Need::kRead ? "READ" : "EDIT") + " on it");
  }
  // The experiment the W&B project an input names, when it exists.
  std::optional<std::string> project_experiment(const json& input, const char* entity_key,
                                                const char* project_key) {
    if (!input.is_object()) return std::nullopt;
    std::string entity = input.value(entity_key, json("")).is_string()
                             ? input.value(entity_key, std::string())
                             : std::string();
    std::string project = input.value(project_key, json("")).is_string()
                              ? input.value(project_key, std::string())
                              : std::string();
    return runs_.experiment(entity.empty() ? kDefaultEntity : entity,
                            project.empty() ? "uncategorized" : project);
  }
  // What field `f` touches, checked before it runs: changes need EDIT on the project (a new
  // project is anyone's to create: its creator gets MANAGE), reads need READ.
  void check(const GraphqlField& f, const json& input, const http::ServerRequest& req) {
    if (!access_) return;
    using auth::Need;
    auto on_project = [&](const char* e, const char* p, Need need) {
      if (auto id = project_experiment(input, e, p)) require(req, *id, need);
    };
    auto on_artifact = [&](const json& id, Need need) {
      if (!id.is_string()) return;
      if (auto exp = wandb_artifacts_.artifact_experiment(id)) require(req, *exp, need);
    };
    if (f.name == "upsertBucket") {
      on_project("entityName", "modelName", Need::kUpdate);
    } else if (f.name == "createRunFiles" || f.name == "createArtifact") {
      on_project("entityName", "projectName", Need::kUpdate);
    } else if (f.name == "createArtifactManifest" || f.name == "updateArtifactManifest" ||
               f.name == "commitArtifact") {
      on_artifact(input.value("artifactID", json()), Need::kUpdate);
    } else if (f.name == "createArtifactFiles") {
      for (const auto& file : input.value("artifactFiles", json::array()))
        if (file.is_object()) on_artifact(file.value("artifactID", json()), Need::kUpdate);
    } else if (f.name == "useArtifact") {
      on_artifact(input.value("artifactID", json()), Need::kRead);
      on_project("entityName", "projectName", Need::kUpdate);
    } else if (f.name == "artifact") {
      on_artifact(f.args.value("id", json()), Need::kRead);
    } else if (f.name == "project") {
      json where = {{"e", f.args.value("entityName", json())}, {"p", f.args.value("name", json())}};
      if (auto id = project_experiment(where, "e", "p")) require(req, *id, Need::kRead);
    }
  }

  json create_run_files(const json& input, const http::ServerRequest& req) {
    if (!input.is_object())
      throw Error(ErrorCode::kInvalidInput, "CreateRunFiles needs an 'input' object");
    auto text = [&](const char* key) {
      auto it = input.find(key);
      return it != input.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string entity = text("entityName");
    auto run =
        runs_.find(entity.empty() ? kDefaultEntity : entity, text("projectName"), text("runName"));
    if (!run)
      throw Error(ErrorCode::kNotFound,
                  "CreateRunFiles: no W&B run " + text("runName") + ": start it with wandb.init");
    json files = json::array();
    for (const auto& name : input.value("files", json::array())) {
      json url = nullptr;  // null: the client skips the file
      if (name.is_string()) {
        try {
          std::string path = tracking::checked_artifact_path(name.get<std::string>());
          url = base_url(req) + "/wandb/upload/" + run->info.run_id + "/" + url_encode_path(path) +
                "?" +
                signer_.query("run-file\n" + run->info.run_id + "\n" + path, kUrlLifetimeSeconds);
        } catch (const Error&) {
        }
      }
      files.push_back({{"name", name}, {"uploadUrl", url}});
    }
    return {{"runID", run->info.run_id}, {"uploadHeaders", json::array()}, {"files", files}};
  }

  const Access* access_;  // null: no logins
  tracking::Store& store_;
  tracking::ArtifactStore& artifacts_;
  WandbRuns runs_;
  UrlSigner signer_;
  WandbArtifacts wandb_artifacts_;
};

http::ServerResponse bytes_response(const std::string& bytes) {
  return {200, "application/octet-stream", bytes, {}};
}

}  // namespace

void add_wandb_routes(http::Router& r, tracking::Database& db, tracking::Store& store,
                      tracking::ArtifactStore& artifacts, registry::Registry& registry,
                      const Access* access) {
  auto api = std::make_shared<WandbApi>(db, store, artifacts, registry, access);
  r.add("POST", "/graphql", [api](const auto& req, const auto&) {
    try {
      return api->graphql(req);
    } catch (const std::exception& e) {  // answered, never a 5xx the SDK would retry for days
      return graphql_error(400, e.what());
    }
  });
  r.add("POST", "/files/{entity}/{project}/{run}/file_stream",
        guarded([api](const auto& req, const auto& p) { return api->file_stream(p, req); }));
  r.add("PUT", "/wandb/upload/{run_id}/{*path}",
        guarded([api](const auto& req, const auto& p) { return api->upload(p, req); }));
  // Artifact files by content, and manifests: URLs signed by CreateArtifactFiles,
  // CreateArtifactManifest and the artifact queries.
  r.add("PUT", "/wandb/artifact-file/{artifact_id}/{md5}",
        guarded([api](const auto& req, const auto& p) {
          api->artifacts().put_file(p.at("artifact_id"), p.at("md5"), query_of(req), req.body);
          return json_response(json::object());
        }));
  r.add("GET", "/wandb/artifact-file/{artifact_id}/{md5}",
        guarded([api](const auto& req, const auto& p) {
          return bytes_response(
              api->artifacts().get_file(p.at("artifact_id"), p.at("md5"), query_of(req)));
        }));
  r.add("PUT", "/wandb/manifest/{artifact_id}", guarded([api](const auto& req, const auto& p) {
          api->artifacts().put_manifest(p.at("artifact_id"), query_of(req), req.body);
          return json_response(json::object());
        }));
  r.add("GET", "/wandb/manifest/{artifact_id}", guarded([api](const auto& req, const auto& p) {
          return bytes_response(api->artifacts().get_manifest(p.at("artifact_id"), query_of(req)));
        }));
  r.add("GET", "/{entity}/{project}/runs/{run}",
        guarded([api](const auto& req, const auto& p) { return api->run_page(p, req); }));
  // The SDK's own telemetry (OpenTelemetry metrics and logs): accepted and dropped.
  r.add("POST", "/sdk/otel/v1/{kind}",
        [](const auto&, const auto&) { return json_response(json::object()); });
}

}  // namespace plinth::server::internal
