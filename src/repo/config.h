#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plinth::repo {

// One DVC config file (`.dvc/config`, `.dvc/config.local`) in ConfigObj's INI dialect
// (spec dvc-format.md §4.1). Sections are named as DVC names them internally: "core", "cache",
// `remote "name"`. Key names are lowercased on load; order is kept so files round-trip.
class ConfigFile {
 public:
  // A missing file is an empty config. Syntax errors name the file and line.
  static ConfigFile load(const std::filesystem::path& path);

  std::optional<std::string> get(const std::string& section, const std::string& key) const;
  void set(const std::string& section, const std::string& key, const std::string& value);
  // Returns whether the key existed. Empty sections are dropped.
  bool unset(const std::string& section, const std::string& key);
  // Returns whether the section existed.
  bool remove_section(const std::string& section);
  std::vector<std::string> section_names() const;
  std::vector<std::pair<std::string, std::string>> entries(const std::string& section) const;

  // ConfigObj's output: sections whose name contains a double quote are written
  // `['remote "name"']`, keys indented four spaces.
  std::string serialize() const;
  void save() const;

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Section {
    std::string name;
    std::vector<std::pair<std::string, std::string>> entries;
  };
  Section* find(const std::string& section);
  const Section* find(const std::string& section) const;

  std::filesystem::path path_;
  std::vector<Section> sections_;
};

// The repository's effective configuration: `.dvc/config` overridden by `.dvc/config.local`.
class Config {
 public:
  static Config load(const std::filesystem::path& dvc_dir);

  std::optional<std::string> get(const std::string& section, const std::string& key) const;
  // Boolean as ConfigObj parses it: true/false/yes/no/on/off/1/0, any case.
  bool get_bool(const std::string& section, const std::string& key, bool fallback) const;
  // The file that set the winning value, for resolving relative paths against it.
  std::filesystem::path source_of(const std::string& section, const std::string& key) const;
  // Section names of both files, the repo file's first.
  std::vector<std::string> section_names() const;
  // A section's keys with local values overriding the repo file's.
  std::map<std::string, std::string> section(const std::string& name) const;

 private:
  ConfigFile repo_;
  ConfigFile local_;
};

}  // namespace plinth::repo
