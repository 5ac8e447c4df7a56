#include "repo/config.h"

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::repo {
namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    return s.substr(1, s.size() - 2);
  return s;
}

// `'remote "name"'` or `remote "name"` → `remote "name"`; `Core` → `core`.
std::string section_key(const std::string& header) {
  static const std::regex kNamed(R"re(^\s*(\w+)\s*"(.*)"\s*$)re");
  std::string name = trim(unquote(trim(header)));
  std::smatch m;
  if (std::regex_match(name, m, kNamed)) return lower(m[1]) + " \"" + m[2].str() + "\"";
  return lower(name);
}

}  // namespace

ConfigFile ConfigFile::load(const fs::path& path) {
  ConfigFile config;
  config.path_ = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) return config;
  std::string text = core::read_file(path);
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    auto where = [&] { return path.string() + ":" + std::to_string(line_no); };
    if (line[0] == '[') {
      if (line.back() != ']')
        throw Error(ErrorCode::kInvalidInput,
                    where() + ": section header '" + line + "' has no closing ']'");
      config.sections_.push_back({section_key(line.substr(1, line.size() - 2)), {}});
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorCode::kInvalidInput,
                  where() + ": expected 'key = value' or '[section]', found '" + line + "'");
    if (config.sections_.empty())
      throw Error(ErrorCode::kInvalidInput,
                  where() + ": key '" + trim(line.substr(0, eq)) + "' is outside any [section]");
    config.sections_.back().entries.emplace_back(lower(trim(line.substr(0, eq))),
                                                 unquote(trim(line.substr(eq + 1))));
  }
  return config;
}

ConfigFile::Section* ConfigFile::find(const std::string& section) {
  for (auto& s : sections_)
    if (s.name == section) return &s;
  return nullptr;
}

const ConfigFile::Section* ConfigFile::find(const std::string& section) const {
  return const_cast<ConfigFile*>(this)->find(section);
}

std::optional<std::string> ConfigFile::get(const std::string& section,
                                           const std::string& key) const {
  if (const Section* s = find(section))
    for (const auto& [k, v] : s->entries)
      if (k == key) return v;
  return std::nullopt;
}

void ConfigFile::set(const std::string& section, const std::string& key, const std::string& value) {
  Section* s = find(section);
  if (!s) {
    sections_.push_back({section, {}});
    s = &sections_.back();
  }
  for (auto& [k, v] : s->entries)
    if (k == key) {
      v = value;
      return;
    }
  s->entries.emplace_back(key, value);
}

bool ConfigFile::unset(const std::string& section, const std::string& key) {
  Section* s = find(section);
  if (!s) return false;
  auto it = std::find_if(s->entries.begin(), s->entries.end(),
                         [&](const auto& e) { return e.first == key; });
  if (it == s->entries.end()) return false;
  s->entries.erase(it);
  std::erase_if(sections_, [](const Section& sec) { return sec.entries.empty(); });
  return true;
}

bool ConfigFile::remove_section(const std::string& section) {
  return std::erase_if(sections_, [&](const Section& s) { return s.name == section; }) > 0;
}

std::vector<std::string> ConfigFile::section_names() const {
  std::vector<std::string> names;
  for (const auto& s : sections_) names.push_back(s.name);
  return names;
}

std::vector<std::pair<std::string, std::string>> ConfigFile::entries(
    const std::string& section) const {
  const Section* s = find(section);
  return s ? s->entries : std::vector<std::pair<std::string, std::string>>{};
}

std::string ConfigFile::serialize() const {
  // DVC's order (dvc/config.py _pack_named): the other sections as they come, then every
  // `remote "x"`, then `machine "x"`, then `db "x"`, each group in file order.
  const std::vector<std::string> kNamed = {"remote \"", "machine \"", "db \""};
  auto group = [&](const Section& s) {
    for (size_t i = 0; i < kNamed.size(); ++i)
      if (s.name.starts_with(kNamed[i])) return static_cast<int>(i) + 1;
    return 0;
  };
  std::string out;
  for (int g = 0; g <= static_cast<int>(kNamed.size()); ++g)
    for (const auto& s : sections_) {
      if (group(s) != g) continue;
      out += s.name.find('"') != std::string::npos ? "['" + s.name + "']\n" : "[" + s.name + "]\n";
      for (const auto& [k, v] : s.entries) out += "    " + k + " = " + v + "\n";
    }
  return out;
}

void ConfigFile::save() const { core::write_file_atomic(path_, serialize()); }

Config Config::load(const fs::path& dvc_dir) {
  Config config;
  config.repo_ = ConfigFile::load(dvc_dir / "config");
  config.local_ = ConfigFile::load(dvc_dir / "config.local");
  return config;
}

std::optional<std::string> Config::get(const std::string& section, const std::string& key) const {
  if (auto v = local_.get(section, key)) return v;
  return repo_.get(section, key);
}

bool Config::get_bool(const std::string& section, const std::string& key, bool fallback) const {
  auto v = get(section, key);
  if (!v) return fallback;
  std::string s = lower(*v);
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  throw Error(ErrorCode::kInvalidInput, source_of(section, key).string() + ": " + section + "." +
                                            key + " = '" + *v +
                                            "' is not a boolean; use true or false");
}

fs::path Config::source_of(const std::string& section, const std::string& key) const {
  return local_.get(section, key) ? local_.path() : repo_.path();
}

std::vector<std::string> Config::section_names() const {
  std::vector<std::string> names = repo_.section_names();
  for (auto& name : local_.section_names())
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

std::map<std::string, std::string> Config::section(const std::string& name) const {
  std::map<std::string, std::string> merged;
  for (const auto& [k, v] : repo_.entries(name)) merged[k] = v;
  for (const auto& [k, v] : local_.entries(name)) merged[k] = v;
  return merged;
}

}  // namespace plinth::repo
