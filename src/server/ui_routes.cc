// The web UI: its embedded files, and the two endpoints only it needs (downsampled metric
// histories, and a served model's live drift fetched on the browser's behalf).
#include <chrono>

#include "core/error.h"
#include "http/client.h"
#include "server/internal/routes.h"
#include "server/internal/ui_assets.h"
#include "tracking/downsample.h"

namespace plinth::server::internal {
namespace {

// Nothing the page loads may come from anywhere but this server.
const char kPolicy[] =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'";

const UiAsset* find_asset(std::string_view path) {
  for (const auto& a : ui_assets())
    if (a.path == path) return &a;
  return nullptr;
}

http::ServerResponse asset_response(const UiAsset& a, bool immutable) {
  http::ServerResponse r{200, std::string(a.content_type), std::string(a.data), {}};
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // Vite names assets by their hash, so they never change; the page itself always revalidates.
  r.headers.emplace_back("Cache-Control",
                         immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

// The live-drift proxy takes only a served model's drift endpoint, so the server cannot be
// made to fetch arbitrary URLs for the browser.
std::string monitoring_url(const std::string& url) {
  bool scheme = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  std::string path = url.substr(0, url.find('?'));
  auto ends_with = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (!scheme || url.find_first_of(" \r\n") != std::string::npos)
    throw Error(ErrorCode::kInvalidInput, "'" + url +
                                              "' is not an http(s) URL of a served model, such as "
                                              "http://127.0.0.1:8000/monitoring/drift");
  if (ends_with("/monitoring/drift")) return path;
  if (ends_with("/monitoring")) return path + "/drift";
  std::string base = ends_with("/") ? path.substr(0, path.size() - 1) : path;
  return base + "/monitoring/drift";
}

}  // namespace

void add_ui_routes(http::Router& r, tracking::Store& store) {
  auto index = [](const http::ServerRequest&, const http::PathParams&) {
    const UiAsset* a = find_asset("/index.html");
    return asset_response(*a, false);
  };
  r.add("GET", "/", index);
  r.add("GET", "/index.html", index);
  r.add("GET", "/assets/{*path}", [](const http::ServerRequest&, const http::PathParams& p) {
    const UiAsset* a = find_asset("/assets/" + p.at("path"));
    if (!a) return error_response(404, "RESOURCE_DOES_NOT_EXIST", "No UI file " + p.at("path"));
    return asset_response(*a, true);
  });

  add_rpc(
      r, "GET", "metrics/downsampled",
      [&store](const Args& a, const auto&) {
        std::string run_id = a.required_one_of("run_id", "run_uuid");
        int64_t max_points = a.integer("max_points").value_or(1000);
        if (max_points < 1 || max_points > 100000)
          throw Error(ErrorCode::kInvalidInput,
                      "max_points must be between 1 and 100000, got " + std::to_string(max_points));
        auto series = store.metric_series(run_id, a.required_str("metric_key"));
        auto d = tracking::downsample(series, static_cast<size_t>(max_points));
        return json{{"key", a.str("metric_key")},
                    {"total", d.total},
                    {"step", d.step},
                    {"timestamp", d.timestamp},
                    {"value", d.value},
                    {"min", d.min},
                    {"max", d.max}};
      },
      "plinth");

  r.add("GET", "/ajax-api/2.0/plinth/monitoring",
        [](const http::ServerRequest& req, const http::PathParams&) {
          std::string url;
          try {
            auto it = req.query.find("url");
            url = monitoring_url(it == req.query.end() ? "" : it->second);
          } catch (...) {
            return error_response();
          }
          try {
            http::Client client(
                http::RetryPolicy{1, std::chrono::milliseconds(0)},
                http::pick_ca_bundle({}, "`plinth --ca-bundle FILE server` (or PLINTH_CA_BUNDLE)"));
            http::Response res = client.send({"GET", url, {}, {}});
            if (res.status == 200 && json::accept(res.body))
              return http::ServerResponse{200, "application/json", res.body, {}};
            return error_response(
                502, "TEMPORARILY_UNAVAILABLE",
                url + " answered " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
          } catch (const std::exception& e) {
            return error_response(502, "TEMPORARILY_UNAVAILABLE",
                                  "Could not reach " + url + ": " + e.what());
          }
        });
}

}  // namespace plinth::server::internal
