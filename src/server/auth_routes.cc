// MLflow's auth app endpoints (mlflow/server/auth/routes.py) as the real AuthServiceClient
// calls them, and Plinth's bearer tokens.
#include "auth/permission.h"
#include "core/error.h"
#include "server/internal/access.h"
#include "server/internal/routes.h"

namespace plinth::server::internal {
namespace {

json user_json(const auth::User& u) {
  return {{"id", u.id}, {"username", u.username}, {"is_admin", u.is_admin}};
}

// The user the request was authenticated as (Access::handle has checked it already).
auth::User caller(const Access& access, const http::ServerRequest& req) {
  auto user = access.authenticate(req.header("authorization"));
  if (!user) throw Error(ErrorCode::kPermission, "Permission denied");
  return *user;
}

std::string resource_type(const Args& a) {
  std::string type = a.required_str("resource_type");
  if (type != auth::kExperiment && type != auth::kRegisteredModel)
    throw Error(ErrorCode::kInvalidInput,
                "Invalid resource_type '" + type + "': use 'experiment' or 'registered_model'");
  return type;
}

// MLflow's auth routes live under /api/2.0/mlflow/users/... and, for the per-user permission
// calls, /api/3.0/mlflow/users/permissions/...
void add(http::Router& r, const std::string& method, const std::string& version,
         const std::string& path,
         std::function<json(const Args&, const http::ServerRequest&)> rpc) {
  auto handler = [rpc](const http::ServerRequest& req, const http::PathParams&) {
    try {
      json message = request_message(req);
      return json_response(rpc(Args(message), req));
    } catch (...) {
      return error_response();
    }
  };
  r.add(method, "/api/" + version + "/" + path, handler);
  r.add(method, "/ajax-api/" + version + "/" + path, handler);
}

auth::Permission checked_permission(const std::string& name) {
  auto p = auth::parse_permission(name);
  if (!p)
    throw Error(ErrorCode::kInvalidInput,
                "Invalid permission '" + name + "': use READ, USE, EDIT, MANAGE or NO_PERMISSIONS");
  return *p;
}

// MLflow 2's auth endpoints per resource kind (mlflow/server/auth/__init__.py before 3.x):
// experiments/permissions/create|get|update|delete keyed by experiment_id, and the same under
// registered-models/ keyed by name. Answers {"experiment_permission": {experiment_id, user_id,
// permission}} / {"registered_model_permission": {name, user_id, permission}}.
void add_resource_permission_routes(http::Router& r, auth::UserStore& users, const char* type,
                                    const std::string& prefix, const std::string& key,
                                    const std::string& label, const std::string& answer) {
  auto describe = [label, key](const std::string& id, const std::string& username) {
    return label + " permission (" + key + "=" + id + ", username=" + username + ")";
  };
  auto existing = [&users, type, label, key](const std::string& id, const std::string& username) {
    users.get_user(username);  // an unknown user is RESOURCE_DOES_NOT_EXIST
    auto p = users.permission(type, id, username);
    if (!p)
      throw Error(ErrorCode::kNotFound, label + " permission with " + key + "=" + id +
                                            " and username=" + username + " not found");
    return *p;
  };
  auto body = [&users, key, answer](const std::string& id, const std::string& username,
                                    auth::Permission p) {
    return json{{answer,
                 {{key, id},
                  {"user_id", users.get_user(username).id},
                  {"permission", auth::permission_name(p)}}}};
  };
  add(r, "POST", "2.0", prefix + "/create",
      [&users, type, key, describe, body](const Args& a, const auto&) {
        std::string id = a.required_str(key), username = a.required_str("username");
        auth::Permission p = checked_permission(a.required_str("permission"));
        users.get_user(username);
        if (users.permission(type, id, username))
          throw Error(ErrorCode::kConflict, describe(id, username) + " already exists.");
        users.grant(type, id, username, p);
        return body(id, username, p);
      });
  add(r, "GET", "2.0", prefix + "/get", [key, existing, body](const Args& a, const auto&) {
    std::string id = a.required_str(key), username = a.required_str("username");
    return body(id, username, existing(id, username));
  });
  add(r, "PATCH", "2.0", prefix + "/update",
      [&users, type, key, existing](const Args& a, const auto&) {
        std::string id = a.required_str(key), username = a.required_str("username");
        auth::Permission p = checked_permission(a.required_str("permission"));
        existing(id, username);
        users.grant(type, id, username, p);
        return json::object();
      });
  add(r, "DELETE", "2.0", prefix + "/delete",
      [&users, type, key, existing](const Args& a, const auto&) {
        std::string id = a.required_str(key), username = a.required_str("username");
        existing(id, username);
        users.revoke(type, id, username);
        return json::object();
      });
}

}  // namespace

void add_auth_routes(http::Router& r, auth::UserStore& users, const Access& access) {
  add(r, "POST", "2.0", "mlflow/users/create", [&users](const Args& a, const auto&) {
    auto user = users.create_user(a.required_str("username"), a.required_str("password"), false);
    return json{{"user", user_json(user)}};
  });
  add(r, "GET", "2.0", "mlflow/users/get", [&users](const Args& a, const auto&) {
    return json{{"user", user_json(users.get_user(a.required_str("username")))}};
  });
  add(r, "GET", "2.0", "mlflow/users/current", [&access](const Args&, const auto& req) {
    return json{{"user", user_json(caller(access, req))}};
  });
  add(r, "GET", "2.0", "mlflow/users/list", [&users](const Args&, const auto&) {
    json out = json::array();
    for (const auto& u : users.list_users()) out.push_back(user_json(u));
    return json{{"users", out}};
  });
  add(r, "PATCH", "2.0", "mlflow/users/update-password",
      [&users, &access](const Args& a, const auto& req) {
        std::string username = a.required_str("username");
        auth::User me = caller(access, req);
        // Changing one's own password needs the current one (MLflow's self-service rule).
        if (!me.is_admin && !users.check_password(username, a.required_str("current_password")))
          throw Error(ErrorCode::kPermission, "The current password is wrong");
        users.update_password(username, a.required_str("password"));
        return json::object();
      });
  add(r, "PATCH", "2.0", "mlflow/users/update-admin", [&users](const Args& a, const auto&) {
    users.update_admin(a.required_str("username"), a.boolean("is_admin"));
    return json::object();
  });
  add(r, "DELETE", "2.0", "mlflow/users/delete", [&users](const Args& a, const auto&) {
    users.delete_user(a.required_str("username"));
    return json::object();
  });
  add(r, "POST", "3.0", "mlflow/users/permissions/grant", [&users](const Args& a, const auto&) {
    auth::Permission p = checked_permission(a.required_str("permission"));
    users.grant(resource_type(a), a.required_str("resource_id"), a.required_str("username"), p);
    return json::object();
  });
  add(r, "POST", "3.0", "mlflow/users/permissions/revoke", [&users](const Args& a, const auto&) {
    users.revoke(resource_type(a), a.required_str("resource_id"), a.required_str("username"));
    return json::object();
  });
  add(r, "GET", "3.0", "mlflow/users/permissions/get",
      [&users, &access](const Args& a, const auto&) {
        auto user = users.get_user(a.required_str("username"));
        auto p = access.effective(user, resource_type(a), a.required_str("resource_id"));
        return json{{"allowed", p >= auth::Permission::kUse},
                    {"permission", auth::permission_name(p)}};
      });
  add_resource_permission_routes(r, users, auth::kExperiment, "mlflow/experiments/permissions",
                                 "experiment_id", "Experiment", "experiment_permission");
  add_resource_permission_routes(r, users, auth::kRegisteredModel,
                                 "mlflow/registered-models/permissions", "name", "Registered model",
                                 "registered_model_permission");
  // A bearer token for the caller (CI's MLFLOW_TRACKING_TOKEN), shown once.
  add(r, "POST", "2.0", "plinth/tokens/create", [&users, &access](const Args& a, const auto& req) {
    auth::User me = caller(access, req);
    std::string name = a.str("name");
    return json{{"token", users.create_token(me.username, name.empty() ? "token" : name)}};
  });
}

}  // namespace plinth::server::internal
