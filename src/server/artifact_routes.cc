// The mlflow-artifacts proxy (spec mlflow-rest.md §8) and the plain endpoints.
#include "core/error.h"
#include "http/server.h"
#include "registry/uri.h"
#include "server/internal/routes.h"

namespace plinth::server::internal {
namespace {

const char* const kPrefixes[] = {"/api/2.0/mlflow-artifacts/", "/ajax-api/2.0/mlflow-artifacts/"};

// The artifact path of a request to <prefix>artifacts/<path>, checked before and after
// percent-decoding so that encoded '..' or '/' cannot escape the root.
std::string artifact_path(const http::ServerRequest& req, const std::string& route) {
  for (const char* prefix : kPrefixes) {
    std::string head = std::string(prefix) + route + "/";
    if (req.raw_path.rfind(head, 0) != 0) continue;
    std::string raw = req.raw_path.substr(head.size());
    tracking::checked_artifact_path(raw);
    std::string path = tracking::checked_artifact_path(http::url_decode(raw, false));
    if (path.empty())
      throw Error(ErrorCode::kInvalidInput, "Invalid artifact path: the path is empty");
    return path;
  }
  throw Error(ErrorCode::kInvalidInput, "Invalid artifact path '" + req.raw_path + "'");
}

std::string content_type(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".txt", "text/plain"},   {".json", "application/json"}, {".yaml", "text/yaml"},
      {".yml", "text/yaml"},    {".csv", "text/csv"},          {".html", "text/html"},
      {".png", "image/png"},    {".jpg", "image/jpeg"},        {".svg", "image/svg+xml"},
      {".md", "text/markdown"}, {"MLmodel", "text/plain"}};
  for (const auto& [suffix, type] : kTypes)
    if (path.ends_with(suffix)) return type;
  return "application/octet-stream";
}

// The file at artifact-store path `path`, as the proxy serves downloads.
http::ServerResponse file_response(tracking::ArtifactStore& artifacts, const std::string& path) {
  auto bytes = artifacts.get(path);
  if (!bytes) throw Error(ErrorCode::kNotFound, "File " + path + " does not exist");
  std::string base = path.substr(path.rfind('/') + 1);
  return {200,
          content_type(path),
          std::move(*bytes),
          {{"Content-Disposition", "attachment; filename=" + base},
           {"X-Content-Type-Options", "nosniff"}}};
}

std::string query_value(const http::ServerRequest& req, const std::string& key) {
  auto it = req.query.find(key);
  if (it == req.query.end() || it->second.empty()) missing(key);
  return it->second;
}

}  // namespace

void add_artifact_routes(http::Router& r, tracking::ArtifactStore& artifacts,
                         tracking::Store& store, registry::Registry& registry) {
  // The UI's legacy downloads: a run's file, a model version's file.
  r.add("GET", "/get-artifact", guarded([&](const auto& req, const auto&) {
          auto run = store.get_run(query_value(req, "run_id"));
          std::string path = tracking::checked_artifact_path(query_value(req, "path"));
          return file_response(artifacts,
                               tracking::proxied_path(run.info.artifact_uri) + "/" + path);
        }));
  r.add("GET", "/model-versions/get-artifact", guarded([&](const auto& req, const auto&) {
          std::string root = registry::resolve_artifact_uri(
              "models:/" + query_value(req, "name") + "/" + query_value(req, "version"), registry,
              store);
          std::string path = tracking::checked_artifact_path(query_value(req, "path"));
          return file_response(artifacts, tracking::proxied_path(root) + "/" + path);
        }));
  for (std::string prefix : kPrefixes) {
    r.add("PUT", prefix + "artifacts/{*path}", guarded([&artifacts](const auto& req, const auto&) {
            artifacts.put(artifact_path(req, "artifacts"), req.body);
            return json_response(json::object());
          }));
    r.add("GET", prefix + "artifacts/{*path}", guarded([&artifacts](const auto& req, const auto&) {
            std::string path = artifact_path(req, "artifacts");
            auto bytes = artifacts.get(path);
            if (!bytes) throw Error(ErrorCode::kNotFound, "File " + path + " does not exist");
            std::string base = path.substr(path.rfind('/') + 1);
            return http::ServerResponse{200,
                                        content_type(path),
                                        std::move(*bytes),
                                        {{"Content-Disposition", "attachment; filename=" + base},
                                         {"X-Content-Type-Options", "nosniff"}}};
          }));
    r.add("DELETE", prefix + "artifacts/{*path}",
          guarded([&artifacts](const auto& req, const auto&) {
            artifacts.remove(artifact_path(req, "artifacts"));
            return json_response(json::object());
          }));
    r.add("GET", prefix + "artifacts", guarded([&artifacts](const auto& req, const auto&) {
            auto it = req.query.find("path");
            std::string path =
                tracking::checked_artifact_path(it == req.query.end() ? "" : it->second);
            json out = json::object();
            for (const auto& f : artifacts.list(path)) {
              json item = {{"path", f.path}, {"is_dir", f.is_dir}};
              if (!f.is_dir) item["file_size"] = f.file_size;
              out["files"].push_back(item);
            }
            return json_response(out);
          }));
    r.add("POST", prefix + "mpu/{action}/{*path}", [](const auto&, const auto&) {
      return error_response(501, "NOT_IMPLEMENTED",
                            "Multipart upload is not supported for the current artifact "
                            "repository; upload with a single PUT");
    });
  }
  r.add("GET", "/health", [](const auto&, const auto&) {
    return http::ServerResponse{200, "text/plain", "OK", {}};
  });
  // What the MLflow 3 client asks before big artifact transfers (and for telemetry): no
  // multipart or presigned transfers, so it uses plain PUT and GET through the proxy.
  for (std::string prefix : {"/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"})
    r.add("GET", prefix + "server-info", [](const auto&, const auto&) {
      return json_response({{"store_type", "SqlStore"},
                            {"workspaces_enabled", false},
                            {"trace_archival_enabled", false},
                            {"multipart_uploads_enabled", false},
                            {"multipart_downloads_enabled", false},
                            {"presigned_upload_run_id_supported", false},
                            {"presigned_upload_model_id_supported", false},
                            {"features_enabled", {{"gateway", false}}}});
    });
  r.add("GET", "/version", [](const auto&, const auto&) {
    return http::ServerResponse{200, "text/plain", "3.6.1.dev0", {}};
  });
}

}  // namespace plinth::server::internal
