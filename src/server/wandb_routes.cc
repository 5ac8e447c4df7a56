// The W&B SDK's server protocol (spec wandb-protocol.md): POST /graphql, the run's
// file_stream, and self-authorising upload URLs for run files. Runs land in the tracking store
// as MLflow runs (server/internal/wandb_runs.h).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

#include "core/error.h"
#include "core/random_id.h"
#include "http/server.h"
#include "server/internal/graphql.h"
#include "server/internal/routes.h"
#include "server/internal/wandb_runs.h"

namespace plinth::server::internal {
namespace {

constexpr int64_t kUploadUrlLifetimeSeconds = 24 * 3600;

// GraphQL's answer to a request it cannot read: HTTP 400, which the SDK does not retry (a 5xx
// it would retry for days).
http::ServerResponse graphql_error(int status, const std::string& message) {
  return {status,
          "application/json",
          json{{"data", nullptr}, {"errors", {{{"message", message}}}}}.dump(),
          {}};
}

// Upload URLs carry their own authority: the SDK sends no credentials on those PUTs. The
// signature is an HMAC-SHA256, under a key made when the server starts, of the run, the path
// and the expiry time; URLs handed out before a restart are refused (the SDK logs the failed
// upload and goes on).
class UploadSigner {
 public:
  UploadSigner() : key_(core::random_hex(64)) {}

  std::string sign(const std::string& run_id, const std::string& path, int64_t expires) const {
    std::string message = run_id + "\n" + path + "\n" + std::to_string(expires);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
      hex += kHex[out[i] >> 4];
      hex += kHex[out[i] & 15];
    }
    return hex;
  }

 private:
  std::string key_;
};

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string base_url(const http::ServerRequest& req) {
  std::string proto = req.header("x-forwarded-proto");
  std::string host = req.header("x-forwarded-host");
  if (host.empty()) host = req.header("host");
  return (proto.empty() ? "http" : proto) + "://" + host;
}

std::string url_encode_path(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || std::strchr("-._~/", c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

class WandbApi {
 public:
  WandbApi(tracking::Store& store, tracking::ArtifactStore& artifacts)
      : store_(store), artifacts_(artifacts), runs_(store) {}

  http::ServerResponse graphql(const http::ServerRequest& req) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("query") || !body["query"].is_string())
      return graphql_error(400, "The body must be a JSON object with a GraphQL 'query' string");
    GraphqlOperation op;
    try {
      std::string name = body.value("operationName", json("")).is_string()
                             ? body.value("operationName", std::string())
                             : std::string();
      op = parse_graphql(body["query"], name, body.value("variables", json::object()));
    } catch (const Error& e) {
      return graphql_error(400, e.what());
    }
    json data = json::object();
    json errors = json::array();
    for (const auto& field : op.fields) {
      try {
        data[field.alias] = answer(op, field, req);
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
    runs_.file_stream(*run, body);
    return json_response(json::object());
  }

  // The "View run" link the SDK prints: the UI's page of the MLflow run.
  http::ServerResponse run_page(const http::PathParams& p) {
    auto run = runs_.find(p.at("entity"), p.at("project"), p.at("run"));
    if (!run)
      throw Error(ErrorCode::kNotFound,
                  "No W&B run " + p.at("entity") + "/" + p.at("project") + "/" + p.at("run"));
    return {302, "text/plain", "", {{"Location", "/#/run/" + run->info.run_id}}};
  }

  http::ServerResponse upload(const http::PathParams& p, const http::ServerRequest& req) {
    std::string path = tracking::checked_artifact_path(p.at("path"));
    auto q = [&](const char* k) {
      auto it = req.query.find(k);
      return it == req.query.end() ? std::string() : it->second;
    };
    int64_t expires = 0;
    try {
      expires = std::stoll(q("expires"));
    } catch (const std::exception&) {
    }
    if (q("signature") != signer_.sign(p.at("run_id"), path, expires))
      return error_response(403, "PERMISSION_DENIED",
                            "The upload URL's signature is wrong or was made before the server "
                            "restarted: ask for a new URL (CreateRunFiles)");
    if (expires < now_seconds())
      return error_response(403, "PERMISSION_DENIED",
                            "The upload URL expired: ask for a new URL (CreateRunFiles)");
    auto run = store_.get_run(p.at("run_id"));
    artifacts_.put(tracking::proxied_path(run.info.artifact_uri) + "/" + path, req.body);
    return json_response(json::object());
  }

 private:
  json answer(const GraphqlOperation& op, const GraphqlField& f, const http::ServerRequest& req) {
    if (f.name == "viewer")
      return {{"id", kDefaultEntity},
              {"entity", kDefaultEntity},
              {"username", kDefaultEntity},
              {"email", ""},
              {"admin", false},
              {"flags", "{}"},
              {"teams", {{"edges", json::array()}}}};
    if (f.name == "serverInfo")
      // Every optional feature off: no gzip file_stream, no OpenTelemetry proxy.
      return {{"features", json::array()},
              {"cliVersionInfo", json::object()},
              {"latestLocalVersionInfo",
               {{"outOfDate", false},
                {"latestVersionString", ""},
                {"versionOnThisInstanceString", ""}}}};
    if (f.name == "upsertBucket") return runs_.upsert_bucket(f.args.value("input", json()));
    if (f.name == "createRunFiles") return create_run_files(f.args.value("input", json()), req);
    throw Error(ErrorCode::kInvalidInput,
                "Plinth does not implement the W&B operation " +
                    (op.name.empty() ? std::string("(anonymous)") : op.name) + " (" + op.kind +
                    " field '" + f.name + "'); see docs/wandb.md for what is supported");
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
    int64_t expires = now_seconds() + kUploadUrlLifetimeSeconds;
    json files = json::array();
    for (const auto& name : input.value("files", json::array())) {
      json url = nullptr;  // null: the client skips the file
      if (name.is_string()) {
        try {
          std::string path = tracking::checked_artifact_path(name.get<std::string>());
          url = base_url(req) + "/wandb/upload/" + run->info.run_id + "/" + url_encode_path(path) +
                "?expires=" + std::to_string(expires) +
                "&signature=" + signer_.sign(run->info.run_id, path, expires);
        } catch (const Error&) {
        }
      }
      files.push_back({{"name", name}, {"uploadUrl", url}});
    }
    return {{"runID", run->info.run_id}, {"uploadHeaders", json::array()}, {"files", files}};
  }

  tracking::Store& store_;
  tracking::ArtifactStore& artifacts_;
  WandbRuns runs_;
  UploadSigner signer_;
};

}  // namespace

void add_wandb_routes(http::Router& r, tracking::Store& store, tracking::ArtifactStore& artifacts) {
  auto api = std::make_shared<WandbApi>(store, artifacts);
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
  r.add("GET", "/{entity}/{project}/runs/{run}",
        guarded([api](const auto&, const auto& p) { return api->run_page(p); }));
  // The SDK's own telemetry (OpenTelemetry metrics and logs): accepted and dropped.
  r.add("POST", "/sdk/otel/v1/{kind}",
        [](const auto&, const auto&) { return json_response(json::object()); });
}

}  // namespace plinth::server::internal
