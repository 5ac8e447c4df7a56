#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/server.h"

namespace plinth::http {

// Path parameters captured by a route: "{id}" segments, and "{*rest}" for the remainder.
using PathParams = std::map<std::string, std::string>;
using RouteHandler = std::function<ServerResponse(const ServerRequest&, const PathParams&)>;

// Maps (method, path pattern) to handlers. Patterns are literal segments, "{name}" for one
// segment, and a final "{*name}" for the rest of the path (possibly empty). Literal routes win
// over patterns with parameters, whatever the order they were added in.
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, RouteHandler handler);

  // Runs the matching handler. An unknown path is answered 404 and a known path with another
  // method 405, both with a short HTML body as Flask does (spec mlflow-rest.md §1).
  ServerResponse dispatch(const ServerRequest& request) const;

  // The pattern of the route dispatch() would run for `request`, with its parameters; nullopt
  // when dispatch() would answer 404 or 405.
  struct Match {
    std::string pattern;
    PathParams params;
  };
  std::optional<Match> resolve(const ServerRequest& request) const;

  // Every route as (method, pattern), for checks that each one has a rule.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  static bool match(const Route& route, const std::vector<std::string>& path, PathParams& params);
  std::vector<Route> routes_;
};

}  // namespace plinth::http
