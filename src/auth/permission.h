#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plinth::auth {

// MLflow's basic-auth permission levels (mlflow/server/auth/permissions.py), weakest first.
// USE sits between READ and EDIT as in MLflow 3; DENY is an explicit NO_PERMISSIONS.
enum class Permission { kNoPermissions, kDeny, kRead, kUse, kEdit, kManage };

// What an action needs: reading, changing, deleting or managing permissions of a resource.
enum class Need { kRead, kUpdate, kDelete, kManage };

// Whether `p` allows `need` (READ reads; EDIT also updates; MANAGE also deletes and manages).
bool allows(Permission p, Need need);

// "READ", "EDIT", ... as MLflow spells them; nullopt for any other spelling.
std::optional<Permission> parse_permission(std::string_view name);
const char* permission_name(Permission p);

}  // namespace plinth::auth
