#include "server/internal/rpc.h"

#include <cmath>

#include "core/error.h"
#include "core/log.h"

namespace plinth::server::internal {

void missing(const std::string& field) {
  throw Error(ErrorCode::kInvalidInput,
              "Missing value for required parameter '" + field +
                  "'. See the API docs for more information about request parameters.");
}

namespace {

[[noreturn]] void wrong_type(const std::string& name, const json& value, const char* expected) {
  throw Error(ErrorCode::kInvalidInput, "Invalid value " + value.dump() + " for parameter '" +
                                            name + "' supplied: expected " + expected + ".");
}

}  // namespace

const json* Args::find(const std::string& name) const {
  auto it = message_.find(name);
  if (it == message_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Args::has(const std::string& name) const { return find(name) != nullptr; }

std::string Args::str(const std::string& name) const {
  const json* v = find(name);
  if (!v) return "";
  if (!v->is_string()) wrong_type(name, *v, "a string");
  return *v;
}

std::string Args::required_str(const std::string& name) const {
  std::string s = str(name);
  if (s.empty()) missing(name);
  return s;
}

std::optional<int64_t> Args::integer(const std::string& name) const {
  const json* v = find(name);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = *v;
    if (d == std::floor(d) && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (v->is_string()) {  // query strings, and int64 as a JSON string (protobuf JSON allows it)
    const std::string& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0' && errno == 0) return n;
  }
  wrong_type(name, *v, "an integer");
}

int64_t Args::required_integer(const std::string& name) const {
  auto v = integer(name);
  if (!v) missing(name);
  return *v;
}

std::optional<double> Args::number(const std::string& name) const {
  const json* v = find(name);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && *end == '\0') return d;
  }
  wrong_type(name, *v, "a number");
}

bool Args::boolean(const std::string& name) const {
  const json* v = find(name);
  if (!v) return false;
  if (v->is_boolean()) return *v;
  if (v->is_string() && (*v == "true" || *v == "false")) return *v == "true";
  wrong_type(name, *v, "a boolean");
}

std::vector<std::string> Args::strings(const std::string& name) const {
  const json* v = find(name);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) wrong_type(name, *v, "a list of strings");
  for (const auto& item : *v) {
    if (!item.is_string()) wrong_type(name, *v, "a list of strings");
    out.push_back(item);
  }
  return out;
}

std::vector<const json*> Args::objects(const std::string& name) const {
  const json* v = find(name);
  std::vector<const json*> out;
  if (!v) return out;
  if (!v->is_array()) wrong_type(name, *v, "a list of objects");
  for (const auto& item : *v) {
    if (!item.is_object()) wrong_type(name, *v, "a list of objects");
    out.push_back(&item);
  }
  return out;
}

std::vector<tracking::Tag> Args::tags(const std::string& name) const {
  std::vector<tracking::Tag> out;
  for (const auto& o : objects(name)) {
    Args item(*o);
    out.push_back({item.required_str("key"), item.str("value")});
  }
  return out;
}

std::string Args::required_one_of(const std::string& a, const std::string& b) const {
  std::string v = str(a);
  if (v.empty()) v = str(b);
  if (v.empty()) missing(a);
  return v;
}

http::ServerResponse json_response(const json& body) {
  return {200, "application/json", body.dump(), {}};
}

http::ServerResponse error_response(int status, const std::string& code,
                                    const std::string& message) {
  return {status,
          "application/json",
          json{{"error_code", code}, {"message", message}}.dump(-1, ' ', false,
                                                                json::error_handler_t::replace),
          {}};
}

http::ServerResponse error_response() {
  try {
    throw;
  } catch (const Error& e) {
    switch (e.code()) {
      case ErrorCode::kInvalidInput:
        return error_response(400, "INVALID_PARAMETER_VALUE", e.what());
      case ErrorCode::kNotFound:
        return error_response(404, "RESOURCE_DOES_NOT_EXIST", e.what());
      case ErrorCode::kConflict:
        return error_response(400, "RESOURCE_ALREADY_EXISTS", e.what());
      case ErrorCode::kPermission:
        return error_response(403, "PERMISSION_DENIED", e.what());
      default:
        spdlog::error("request failed: {}", e.what());
        return error_response(500, "INTERNAL_ERROR", e.what());
    }
  } catch (const json::exception& e) {
    return error_response(400, "INVALID_PARAMETER_VALUE",
                          std::string("Invalid request: ") + e.what());
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", e.what());
    return error_response(500, "INTERNAL_ERROR", e.what());
  }
}

json request_message(const http::ServerRequest& req) {
  bool has_body = !req.body.empty();
  if (req.method == "GET" || (req.method == "DELETE" && !has_body)) {
    json out = json::object();
    for (const auto& [key, value] : req.query) {
      if (!out.contains(key))
        out[key] = value;
      else if (out[key].is_array())
        out[key].push_back(value);
      else
        out[key] = json::array({out[key], value});
    }
    return out;
  }
  std::string type = req.header("content-type");
  if (type.rfind("application/json", 0) != 0)
    throw Error(ErrorCode::kInvalidInput,
                "Bad Request. Content-Type must be one of ['application/json'].");
  if (!has_body) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    throw Error(ErrorCode::kInvalidInput, "Malformed JSON in the request body");
  if (!body.is_object())
    throw Error(ErrorCode::kInvalidInput, "The request body must be a JSON object");
  return body;
}

void add_rpc(http::Router& router, const std::string& method, const std::string& path, Rpc rpc,
             const std::string& api) {
  auto handler = [rpc](const http::ServerRequest& req, const http::PathParams& params) {
    try {
      json message = request_message(req);
      return json_response(rpc(Args(message), params));
    } catch (...) {
      return error_response();
    }
  };
  router.add(method, "/api/2.0/" + api + "/" + path, handler);
  router.add(method, "/ajax-api/2.0/" + api + "/" + path, handler);
}

}  // namespace plinth::server::internal
