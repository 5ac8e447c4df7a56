#include "tracking/names.h"

#include <cctype>
#include <mutex>
#include <random>

#include "core/error.h"
#include "core/random_id.h"

namespace plinth::tracking {
namespace {

std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}
std::mutex rng_mutex;

uint64_t random_u64() {
  std::lock_guard lock(rng_mutex);
  return rng()();
}

}  // namespace

void validate_key(const std::string& name) {
  auto invalid = [&](const std::string& why) {
    throw Error(ErrorCode::kInvalidInput,
                "Invalid value \"" + name + "\" for parameter 'name' supplied: " + why);
  };
  if (name.empty()) invalid("Names may not be empty.");
  if (name.size() > 250) invalid("Names may be at most 250 characters long.");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != ' ' && c != ':' && c != '/')
      invalid(
          "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
          "spaces ( ), colon(:) and slashes (/).");
  }
  bool bad_path = name[0] == '/';
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    std::string seg = name.substr(start, slash - start);
    if (seg == "." || seg == "..") bad_path = true;
    start = slash + 1;
  }
  if (bad_path)
    invalid("Names cannot be a path that normalizes to another name, such as one with '..'.");
}

std::string random_hex_id() { return core::random_hex(32); }

std::string random_run_name() {
  static const char* kAdjectives[] = {"able",   "bold",   "brave",  "calm",  "clever", "crisp",
                                      "eager",  "fair",   "gentle", "glad",  "keen",   "lucky",
                                      "merry",  "nimble", "proud",  "quick", "quiet",  "sharp",
                                      "smooth", "steady", "sunny",  "swift", "tidy",   "witty"};
  static const char* kAnimals[] = {"ant",  "bat",  "bee",   "crab", "crow", "deer",
                                   "duck", "eel",  "finch", "fox",  "goat", "hare",
                                   "hawk", "lark", "lynx",  "mole", "moth", "newt",
                                   "owl",  "seal", "shrew", "toad", "wolf", "wren"};
  uint64_t r = random_u64();
  return std::string(kAdjectives[r % std::size(kAdjectives)]) + "-" +
         kAnimals[(r >> 8) % std::size(kAnimals)] + "-" + std::to_string((r >> 16) % 1000);
}

}  // namespace plinth::tracking
