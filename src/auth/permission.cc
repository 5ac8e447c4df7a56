#include "auth/permission.h"

#include <utility>

namespace plinth::auth {
namespace {

constexpr std::pair<Permission, const char*> kNames[] = {
    {Permission::kNoPermissions, "NO_PERMISSIONS"},
    {Permission::kDeny, "DENY"},
    {Permission::kRead, "READ"},
    {Permission::kUse, "USE"},
    {Permission::kEdit, "EDIT"},
    {Permission::kManage, "MANAGE"}};

}  // namespace

bool allows(Permission p, Need need) {
  switch (need) {
    case Need::kRead:
      return p >= Permission::kRead;
    case Need::kUpdate:
      return p >= Permission::kEdit;
    case Need::kDelete:
    case Need::kManage:
      return p == Permission::kManage;
  }
  return false;
}

std::optional<Permission> parse_permission(std::string_view name) {
  for (const auto& [p, n] : kNames)
    if (name == n) return p;
  return std::nullopt;
}

const char* permission_name(Permission p) {
  for (const auto& [q, n] : kNames)
    if (p == q) return n;
  return "NO_PERMISSIONS";
}

}  // namespace plinth::auth
