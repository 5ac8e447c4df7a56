#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/router.h"
#include "tracking/entities.h"

namespace plinth::server::internal {

using nlohmann::json;

// An RPC's request message: the JSON body of a POST/PATCH/DELETE, or the query string of a GET
// (repeated keys become lists). Getters check types and throw Error(kInvalidInput) with
// MLflow's messages; an empty string counts as missing for required fields.
class Args {
 public:
  // `message` must outlive the Args.
  explicit Args(const json& message) : message_(message) {}

  std::string str(const std::string& name) const;  // "" when absent
  std::string required_str(const std::string& name) const;
  std::optional<int64_t> integer(const std::string& name) const;
  int64_t required_integer(const std::string& name) const;
  std::optional<double> number(const std::string& name) const;  // also "NaN", "Infinity"
  bool boolean(const std::string& name) const;
  std::vector<std::string> strings(const std::string& name) const;
  std::vector<const json*> objects(const std::string& name) const;
  std::vector<tracking::Tag> tags(const std::string& name) const;
  bool has(const std::string& name) const;
  // The first of `names` present (for run_id / run_uuid).
  std::string required_one_of(const std::string& a, const std::string& b) const;

 private:
  const json* find(const std::string& name) const;
  const json& message_;
};

using Rpc = std::function<json(const Args&, const http::PathParams&)>;

// Registers `rpc` at METHOD /api/2.0/<api>/<path> and /ajax-api/2.0/<api>/<path>: MLflow's
// endpoints, or Plinth's own ("plinth") where MLflow has none.
void add_rpc(http::Router& router, const std::string& method, const std::string& path, Rpc rpc,
             const std::string& api = "mlflow");

// An RPC's request message as add_rpc's handlers read it: the JSON body, or the query string
// of a GET (repeated keys become lists). Throws like the handlers for a malformed body.
json request_message(const http::ServerRequest& req);

// MLflow's error response for the exception being handled (call inside a catch block).
http::ServerResponse error_response();
http::ServerResponse error_response(int status, const std::string& code,
                                    const std::string& message);
http::ServerResponse json_response(const json& body);

[[noreturn]] void missing(const std::string& field);

// A route handler that answers any exception `f` throws with MLflow's error response.
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

}  // namespace plinth::server::internal
