#pragma once

#include <stdexcept>
#include <string>

namespace plinth {

// What went wrong, in terms a caller can act on. Each code maps to a stable CLI exit code
// (see exit_code) and, later, to an HTTP status.
enum class ErrorCode {
  kInvalidInput,  // bad argument, path or file content supplied by the user
  kNotFound,      // a file, object or revision that should exist does not
  kCorrupted,     // stored bytes no longer match their hash
  kConflict,      // the operation would destroy uncommitted work; retry with --force
  kLocked,        // another process holds the repository lock
  kPermission,    // the operating system refused access
  kIo,            // any other operating-system failure
  kInternal,      // a bug in Plinth
};

// The single exception type thrown inside Plinth. The message is for people: it names the
// file, field or value at fault and says what to do.
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message)
      : std::runtime_error(std::move(message)), code_(code) {}

  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

// Stable process exit codes: 0 success, 1 "something changed/failed" (reporting commands),
// 2 invalid input or usage, 3 not found, 4 corrupted data, 5 conflict, 6 locked,
// 7 permission denied, 8 other I/O failure, 70 internal error.
int exit_code(ErrorCode code);

// Builds an Error from errno after a failed system call on `path`, e.g.
// "cannot open 'data/x.csv': Permission denied".
Error system_error(const std::string& what, const std::string& path, int err);

}  // namespace plinth
