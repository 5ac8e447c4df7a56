#include "http/router.h"

#include <algorithm>

namespace plinth::http {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  if (!path.empty() && path[0] == '/') start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

ServerResponse html(int status, const std::string& title) {
  return {status,
          "text/html; charset=utf-8",
          "<!doctype html>\n<html lang=en>\n<title>" + title + "</title>\n<h1>" + title + "</h1>\n",
          {}};
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, RouteHandler handler) {
  Route route{method, pattern, split_path(pattern), std::move(handler)};
  bool literal = std::none_of(route.segments.begin(), route.segments.end(), is_param);
  if (literal)
    routes_.insert(routes_.begin(), std::move(route));
  else
    routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string>& path, PathParams& params) {
  params.clear();
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& seg = route.segments[i];
    if (seg.rfind("{*", 0) == 0) {
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) rest += (j > i ? "/" : "") + path[j];
      params[seg.substr(2, seg.size() - 3)] = rest;
      return true;
    }
    if (i >= path.size()) return false;
    if (is_param(seg)) {
      if (path[i].empty()) return false;
      params[seg.substr(1, seg.size() - 2)] = path[i];
    } else if (seg != path[i]) {
      return false;
    }
  }
  return route.segments.size() == path.size();
}

ServerResponse Router::dispatch(const ServerRequest& request) const {
  auto path = split_path(request.path);
  PathParams params;
  bool path_known = false;
  for (const auto& route : routes_) {
    if (!match(route, path, params)) continue;
    if (route.method == request.method) return route.handler(request, params);
    path_known = true;
  }
  return path_known ? html(405, "405 Method Not Allowed") : html(404, "404 Not Found");
}

std::optional<Router::Match> Router::resolve(const ServerRequest& request) const {
  auto path = split_path(request.path);
  PathParams params;
  for (const auto& route : routes_)
    if (route.method == request.method && match(route, path, params))
      return Match{route.pattern, params};
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

}  // namespace plinth::http
