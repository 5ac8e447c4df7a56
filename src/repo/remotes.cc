#include "repo/remotes.h"

#include <algorithm>
#include <iostream>

#include "core/error.h"
#include "core/paths.h"
#include "repo/config.h"

namespace plinth::repo {
namespace fs = std::filesystem;
namespace {

void check_name(const std::string& name) {
  bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (!ok)
    throw Error(ErrorCode::kInvalidInput, "remote name '" + name +
                                              "' is not valid; use letters, digits, '-', '_' "
                                              "and '.'");
}

bool is_secret(const std::string& key) {
  return key == "secret_access_key" || key == "session_token";
}

}  // namespace

std::string remote_section(const std::string& name) { return "remote \"" + name + "\""; }

std::string RemoteConfig::stored_url(const std::string& name, const std::string& url) const {
  if (url.empty()) throw Error(ErrorCode::kInvalidInput, "remote '" + name + "': URL is empty");
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    std::string s = url.substr(0, scheme);
    if (s != "s3" && s != "file")
      throw Error(ErrorCode::kInvalidInput,
                  "remote '" + name + "': URL scheme '" + s +
                      "' is not supported; use s3://bucket/prefix or a folder path");
    return url;
  }
  if (fs::path(url).is_absolute()) return url;
  return core::absolute_normal(url).lexically_relative(core::absolute_normal(dvc_dir_)).string();
}

fs::path RemoteConfig::file(bool local) const {
  return dvc_dir_ / (local ? "config.local" : "config");
}

void RemoteConfig::add(const std::string& name, const std::string& url, bool make_default,
                       bool local, bool force) const {
  check_name(name);
  Config merged = Config::load(dvc_dir_);
  if (merged.get(remote_section(name), "url") && !force)
    throw Error(ErrorCode::kConflict, "remote '" + name +
                                          "' already exists; use 'plinth remote modify' to change "
                                          "it, or add --force to replace it");
  ConfigFile config = ConfigFile::load(file(local));
  config.remove_section(remote_section(name));
  config.set(remote_section(name), "url", stored_url(name, url));
  if (make_default) config.set("core", "remote", name);
  config.save();
}

void RemoteConfig::modify(const std::string& name, const std::string& key, const std::string& value,
                          bool local, bool unset) const {
  Config merged = Config::load(dvc_dir_);
  auto url = merged.get(remote_section(name), "url");
  if (!url)
    throw Error(ErrorCode::kNotFound,
                "remote '" + name + "' does not exist; 'plinth remote list' shows the remotes");
  std::string k = key;
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  auto known = remote::known_options(*url);
  if (std::find(known.begin(), known.end(), k) == known.end()) {
    std::string list;
    for (const auto& o : known) list += (list.empty() ? "" : ", ") + o;
    throw Error(ErrorCode::kInvalidInput,
                "remote '" + name + "' has no option '" + key + "'; its options are: " + list);
  }
  ConfigFile config = ConfigFile::load(file(local));
  if (unset) {
    if (!config.unset(remote_section(name), k))
      throw Error(ErrorCode::kNotFound,
                  "remote '" + name + "' has no '" + k + "' set in " + config.path().string());
  } else {
    if (k == "jobs" &&
        (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
         std::stoull(value) == 0))
      throw Error(ErrorCode::kInvalidInput, "remote '" + name + "': jobs = '" + value +
                                                "' is not a positive number of transfers");
    config.set(remote_section(name), k, k == "url" ? stored_url(name, value) : value);
    if (is_secret(k) && !local)
      std::cerr << "warning: " << k << " is now in " << config.path().string()
                << ", which git tracks; use --local to keep it in .dvc/config.local\n";
  }
  config.save();
}

void RemoteConfig::remove(const std::string& name) const {
  bool found = false;
  for (bool local : {false, true}) {
    ConfigFile config = ConfigFile::load(file(local));
    bool changed = config.remove_section(remote_section(name));
    if (config.get("core", "remote") == name) changed |= config.unset("core", "remote");
    found |= changed;
    if (changed) config.save();
  }
  if (!found)
    throw Error(ErrorCode::kNotFound,
                "remote '" + name + "' does not exist; 'plinth remote list' shows the remotes");
}

void RemoteConfig::set_default(const std::optional<std::string>& name, bool local) const {
  ConfigFile config = ConfigFile::load(file(local));
  if (name) {
    if (!Config::load(dvc_dir_).get(remote_section(*name), "url"))
      throw Error(ErrorCode::kNotFound, "remote '" + *name +
                                            "' does not exist; add it first with 'plinth "
                                            "remote add " +
                                            *name + " URL'");
    config.set("core", "remote", *name);
  } else {
    config.unset("core", "remote");
  }
  config.save();
}

std::optional<std::string> RemoteConfig::default_name() const {
  return Config::load(dvc_dir_).get("core", "remote");
}

std::vector<RemoteConfig::Entry> RemoteConfig::list() const {
  Config config = Config::load(dvc_dir_);
  auto def = config.get("core", "remote");
  std::vector<Entry> entries;
  for (const auto& section : config.section_names()) {
    if (!section.starts_with("remote \"")) continue;
    std::string name = section.substr(8, section.size() - 9);
    entries.push_back({name, config.get(section, "url").value_or(""), def == name});
  }
  return entries;
}

remote::RemoteSpec RemoteConfig::spec(const std::string& name) const {
  Config config = Config::load(dvc_dir_);
  std::string chosen = name;
  if (chosen.empty()) {
    auto def = config.get("core", "remote");
    if (!def)
      throw Error(ErrorCode::kInvalidInput,
                  "no remote given and no default remote set; use -r NAME, or set one with "
                  "'plinth remote default NAME' ('plinth remote add -d NAME URL' adds one)");
    chosen = *def;
  }
  std::string section = remote_section(chosen);
  auto url = config.get(section, "url");
  if (!url)
    throw Error(ErrorCode::kNotFound,
                "remote '" + chosen + "' does not exist; 'plinth remote list' shows the remotes");
  remote::RemoteSpec spec{chosen, *url, config.section(section),
                          config.source_of(section, "url").parent_path()};
  spec.options.erase("url");
  return spec;
}

}  // namespace plinth::repo
