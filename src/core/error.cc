#include "core/error.h"

#include <cerrno>
#include <cstring>

namespace plinth {

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return 2;
    case ErrorCode::kNotFound:
      return 3;
    case ErrorCode::kCorrupted:
      return 4;
    case ErrorCode::kConflict:
      return 5;
    case ErrorCode::kLocked:
      return 6;
    case ErrorCode::kPermission:
      return 7;
    case ErrorCode::kIo:
      return 8;
    case ErrorCode::kInternal:
      return 70;
  }
  return 70;
}

Error system_error(const std::string& what, const std::string& path, int err) {
  ErrorCode code = ErrorCode::kIo;
  std::string hint;
  if (err == EACCES || err == EPERM || err == EROFS) {
    code = ErrorCode::kPermission;
    hint = "; check the file's permissions and owner";
  } else if (err == ENOENT || err == ENOTDIR) {
    code = ErrorCode::kNotFound;
  } else if (err == ELOOP) {
    code = ErrorCode::kInvalidInput;
    hint = "; a symbolic link points to itself or loops, fix or remove it";
  } else if (err == ENOSPC) {
    hint = "; free some disk space and retry";
  }
  return Error(code, "cannot " + what + " '" + path + "': " + std::strerror(err) + hint);
}

}  // namespace plinth
