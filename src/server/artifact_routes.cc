// The mlflow-artifacts proxy (spec mlflow-rest.md §8) and the plain endpoints.
#include "core/error.h"
#include "http/server.h"
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

template <typename F>
http::RouteHandler guarded(F f) {
  return [f](const http::ServerRequest& req, const http::PathParams& params) {
    try {
      return f(req, params);
    } catch (...) {
      return error_response();
    }
  };
}

}  // namespace

void add_artifact_routes(http::Router& r, tracking::ArtifactStore& artifacts) {
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
  r.add("GET", "/version", [](const auto&, const auto&) {
    return http::ServerResponse{200, "text/plain", "3.6.1.dev0", {}};
  });
}

}  // namespace plinth::server::internal
