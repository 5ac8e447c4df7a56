#include "repo/ignore.h"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace plinth::repo {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIgnoreFile = ".dvcignore";
constexpr std::string_view kDvcDir = ".dvc";

// What Python's str.strip() removes from ASCII text; DVC strips every line before parsing.
std::string_view strip(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string_view parent_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

std::string_view name_of(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::size_t depth_of(std::string_view dir) {
  if (dir.empty()) return 0;
  std::size_t n = 1;
  for (char c : dir) n += c == '/';
  return n;
}

void split(std::string_view path, std::vector<std::string_view>& out) {
  out.clear();
  while (true) {
    std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return;
    path.remove_prefix(slash + 1);
  }
}

// pathspec matches `?` and bracket expressions against Python code points, so a multi-byte
// UTF-8 character must count as one. Malformed bytes count as one character each.
std::size_t char_len(std::string_view s, std::size_t i) {
  auto lead = static_cast<unsigned char>(s[i]);
  std::size_t n = lead < 0x80             ? 1
                  : (lead & 0xE0) == 0xC0 ? 2
                  : (lead & 0xF0) == 0xE0 ? 3
                  : (lead & 0xF8) == 0xF0 ? 4
                                          : 1;
  if (i + n > s.size()) return 1;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

char32_t decode(std::string_view s, std::size_t i, std::size_t len) {
  auto lead = static_cast<unsigned char>(s[i]);
  if (len == 1) return lead;
  char32_t cp = lead & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Where the bracket expression opened at `pattern[open]` closes, found the way pathspec does: a
// `]` right after `[` or `[!` is a member, not the end. npos means `[` is a literal.
std::size_t bracket_end(std::string_view pattern, std::size_t open) {
  std::size_t j = open + 1;
  if (j < pattern.size() && pattern[j] == '!') ++j;
  if (j < pattern.size() && pattern[j] == ']') ++j;
  while (j < pattern.size() && pattern[j] != ']') ++j;
  return j < pattern.size() ? j : std::string_view::npos;
}

// Members are taken literally, backslashes included, because pathspec copies them into a regex
// class after escaping backslashes. A leading `^` is likewise a literal, not a negation.
bool class_contains(std::string_view members, char32_t c) {
  std::size_t i = 0;
  while (i < members.size()) {
    std::size_t len = char_len(members, i);
    char32_t low = decode(members, i, len);
    i += len;
    if (i + 1 < members.size() && members[i] == '-') {
      std::size_t high_len = char_len(members, i + 1);
      char32_t high = decode(members, i + 1, high_len);
      i += 1 + high_len;
      if (low <= c && c <= high) return true;
    } else if (c == low) {
      return true;
    }
  }
  return false;
}

// Matches the single pattern element at `pattern[*pi]` (anything but `*`) against the character at
// `name[*ni]`, advancing both on success.
bool match_one(std::string_view pattern, std::size_t* pi, std::string_view name, std::size_t* ni) {
  char p = pattern[*pi];
  if (p == '?') {
    *ni += char_len(name, *ni);
    *pi += 1;
    return true;
  }
  if (p == '[') {
    std::size_t close = bracket_end(pattern, *pi);
    if (close != std::string_view::npos) {
      std::size_t first = *pi + 1;
      bool negated = pattern[first] == '!';
      if (negated) ++first;
      std::size_t len = char_len(name, *ni);
      bool member = class_contains(pattern.substr(first, close - first), decode(name, *ni, len));
      if (member == negated) return false;
      *ni += len;
      *pi = close + 1;
      return true;
    }
  }
  std::size_t width = 1;
  if (p == '\\') {
    p = pattern[*pi + 1];  // a trailing backslash never gets here: parse() drops such patterns
    width = 2;
  }
  if (name[*ni] != p) return false;
  *ni += 1;
  *pi += width;
  return true;
}

// fnmatch within one path component: `*` never has to stop at `/` because components have none.
bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t pi = 0;
  std::size_t ni = 0;
  std::size_t star_pi = std::string_view::npos;
  std::size_t star_ni = 0;
  while (ni < name.size()) {
    if (pi < pattern.size()) {
      if (pattern[pi] == '*') {
        star_pi = ++pi;
        star_ni = ni;
        continue;
      }
      if (match_one(pattern, &pi, name, &ni)) continue;
    }
    if (star_pi == std::string_view::npos) return false;
    // Let the last `*` swallow one more character and retry the rest from there.
    star_ni += char_len(name, star_ni);
    ni = star_ni;
    pi = star_pi;
  }
  while (pi < pattern.size() && pattern[pi] == '*') ++pi;
  return pi == pattern.size();
}

}  // namespace

struct IgnoreRules::Pattern {
  struct Segment {
    enum class Kind { kAnyDirs, kLiteral, kGlob };
    Kind kind;
    std::string text;  // kLiteral: unescaped name; kGlob: the glob as written

    bool matches(std::string_view name) const {
      return kind == Kind::kLiteral ? name == text : glob_match(text, name);
    }
  };

  std::vector<Segment> segments;  // never empty; no two kAnyDirs in a row
  bool negated = false;
  bool dir_only = false;

  // Follows pathspec's GitWildMatchPattern: a pattern with no `/` except a trailing one floats
  // (matches at any depth), any other is anchored to the `.dvcignore`'s directory. Returns nullopt
  // for comments, blank lines and patterns that can never match. `nested`: the line comes from a
  // `.dvcignore` below the root.
  static std::optional<Pattern> parse(std::string_view line, bool nested) {
    line = strip(line);
    if (line.empty() || line.front() == '#' || line == "/") return std::nullopt;
    Pattern pattern;
    if (line.front() == '!') {
      pattern.negated = true;
      line.remove_prefix(1);
      if (line.empty()) return std::nullopt;
    }
    std::vector<std::string_view> parts;
    split(line, parts);
    // pathspec collapses `**` runs before any other rule looks at the segments.
    for (std::size_t i = parts.size() - 1; i > 0; --i) {
      if (parts[i] == "**" && parts[i - 1] == "**") parts.erase(parts.begin() + i);
    }
    if (nested && parts.size() == 2 && parts[0] == "**" && parts[1].empty()) {
      // DVC rewrites a nested `**/` to `/<dir>/**/`, which pathspec reads as "everything below
      // <dir>", files included, whereas a top-level `**/` matches directories only.
      parts.pop_back();
    }
    if (parts.front().empty()) {
      parts.erase(parts.begin());
    } else if (parts.size() == 1 || (parts.size() == 2 && parts[1].empty())) {
      if (parts.front() != "**") parts.insert(parts.begin(), "**");
    }
    if (parts.size() > 1 && parts.back().empty()) {
      pattern.dir_only = true;
      parts.pop_back();
    }
    // pathspec turns `x/**` into the regex `^x/.*$`, which DVC also tries against "x/" for a
    // directory x, so x itself is ignored: in effect the same as `x/`.
    if (parts.size() > 1 && parts.back() == "**") {
      pattern.dir_only = true;
      parts.pop_back();
    }
    for (std::string_view part : parts) {
      if (part == "**") {
        pattern.segments.push_back({Segment::Kind::kAnyDirs, {}});
        continue;
      }
      std::string literal;
      bool is_glob = false;
      for (std::size_t i = 0; i < part.size(); ++i) {
        char c = part[i];
        if (c == '\\') {
          // git and pathspec both reject a pattern ending in an unpaired backslash; git then
          // never matches it, which is the lenient choice.
          if (++i == part.size()) return std::nullopt;
          literal += part[i];
        } else if (c == '*' || c == '?' || c == '[') {
          is_glob = true;
        } else {
          literal += c;
        }
      }
      if (is_glob) {
        pattern.segments.push_back({Segment::Kind::kGlob, std::string(part)});
      } else {
        pattern.segments.push_back({Segment::Kind::kLiteral, std::move(literal)});
      }
    }
    if (pattern.segments.empty()) return std::nullopt;
    return pattern;
  }

  // DVC matches the regex `<pattern>(/.*)?` against the whole path below the `.dvcignore`, so a
  // pattern also matches everything under a directory it matches. That only changes the outcome
  // for negations (`!keep/` re-includes `keep/a.csv` after `*.csv`), because a positive match on
  // a directory already hides its contents.
  bool matches(std::span<const std::string_view> components, bool is_dir) const {
    return match_from(components, 0, 0, is_dir);
  }

 private:
  bool match_from(std::span<const std::string_view> components, std::size_t si, std::size_t ci,
                  bool is_dir) const {
    if (si == segments.size()) {
      // Matching a proper prefix means matching an ancestor directory; see matches().
      return ci > 0 && (ci < components.size() || !dir_only || is_dir);
    }
    const Segment& segment = segments[si];
    if (segment.kind == Segment::Kind::kAnyDirs) {
      for (std::size_t next = ci; next <= components.size(); ++next) {
        if (match_from(components, si + 1, next, is_dir)) return true;
      }
      return false;
    }
    return ci < components.size() && segment.matches(components[ci]) &&
           match_from(components, si + 1, ci + 1, is_dir);
  }
};

IgnoreRules::IgnoreRules(std::filesystem::path root) : root_(std::move(root)) {}

IgnoreRules::~IgnoreRules() = default;

bool IgnoreRules::is_ignored(std::string_view rel_path, bool is_dir) {
  if (rel_path.empty()) return false;
  if (is_dir) return dir_ignored(rel_path);
  std::string_view parent = parent_of(rel_path);
  if (!has_last_dir_ || parent != last_dir_) {
    bool ignored = dir_ignored(parent);
    const Scopes* scopes = ignored ? nullptr : &scopes_of(parent);
    last_dir_.assign(parent);
    has_last_dir_ = true;
    last_dir_ignored_ = ignored;
    last_scopes_ = scopes;
  }
  if (last_dir_ignored_) return true;
  // DVC's built-in `.git` pattern has no trailing slash: it also hides a `.git` file (worktrees
  // and submodules use one).
  if (name_of(rel_path) == ".git") return true;
  return !last_scopes_->empty() && matches_last_component(*last_scopes_, rel_path, false);
}

bool IgnoreRules::dir_ignored(std::string_view dir) {
  if (dir.empty()) return false;
  if (auto it = dir_ignored_.find(dir); it != dir_ignored_.end()) return it->second;
  std::string_view parent = parent_of(dir);
  std::string_view name = name_of(dir);
  bool ignored = dir_ignored(parent) || name == ".git" || name == ".hg" || name == kDvcDir;
  if (!ignored) {
    const Scopes& scopes = scopes_of(parent);
    ignored = !scopes.empty() && matches_last_component(scopes, dir, true);
  }
  if (!ignored) {
    // A sub-repository manages its own data. DVC tests with os.path.exists, so any `.dvc` entry
    // counts, not only a directory.
    std::error_code ec;
    ignored = fs::exists(root_ / fs::path(dir) / kDvcDir, ec);
  }
  dir_ignored_.emplace(std::string(dir), ignored);
  return ignored;
}

const IgnoreRules::Scopes& IgnoreRules::scopes_of(std::string_view dir) {
  if (auto it = scopes_.find(dir); it != scopes_.end()) return it->second;
  Scopes scopes;
  if (!dir.empty()) scopes = scopes_of(parent_of(dir));
  // DVC skips a `.dvcignore` that the patterns above it ignore.
  std::string ignore_file(dir);
  if (!dir.empty()) ignore_file += '/';
  ignore_file += kIgnoreFile;
  if (scopes.empty() || !matches_last_component(scopes, ignore_file, false)) {
    const std::vector<Pattern>& own = patterns_of(std::string(dir));
    if (!own.empty()) scopes.push_back({depth_of(dir), &own});
  }
  return scopes_.emplace(std::string(dir), std::move(scopes)).first->second;
}

const std::vector<IgnoreRules::Pattern>& IgnoreRules::patterns_of(const std::string& dir) {
  if (auto it = by_dir_.find(dir); it != by_dir_.end()) return it->second;
  std::vector<Pattern> patterns;
  fs::path file = dir.empty() ? root_ / kIgnoreFile : root_ / fs::path(dir) / kIgnoreFile;
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int err = errno;
    std::error_code ec;
    if (err != ENOENT && err != ENOTDIR && fs::exists(file, ec)) {
      throw system_error("read", file.string(), err != 0 ? err : EIO);
    }
  } else {
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw system_error("read", file.string(), errno != 0 ? errno : EIO);
    // Python's universal newlines: "\n", "\r\n" and a lone "\r" all end a line.
    std::string_view rest = text;
    while (!rest.empty()) {
      std::size_t end = rest.find_first_of("\r\n");
      if (auto pattern = Pattern::parse(rest.substr(0, end), !dir.empty()))
        patterns.push_back(std::move(*pattern));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return by_dir_.emplace(dir, std::move(patterns)).first->second;
}

bool IgnoreRules::matches_last_component(const Scopes& scopes, std::string_view rel_path,
                                         bool is_dir) {
  split(rel_path, components_);
  std::span<const std::string_view> components(components_);
  // Deeper `.dvcignore` files come later in DVC's merged list, and the last match wins.
  for (auto scope = scopes.rbegin(); scope != scopes.rend(); ++scope) {
    auto below = components.subspan(scope->depth);
    for (auto pattern = scope->patterns->rbegin(); pattern != scope->patterns->rend(); ++pattern) {
      if (pattern->matches(below, is_dir)) return !pattern->negated;
    }
  }
  return false;
}

}  // namespace plinth::repo
