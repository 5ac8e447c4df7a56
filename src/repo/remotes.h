#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "remote/remote.h"

namespace plinth::repo {

// The `remote` sections of `.dvc/config` and `.dvc/config.local` (spec dvc-format.md §4.1),
// edited the way `dvc remote ...` edits them. `local` selects config.local, the git-ignored
// file for credentials.
class RemoteConfig {
 public:
  explicit RemoteConfig(std::filesystem::path dvc_dir) : dvc_dir_(std::move(dvc_dir)) {}

  // A folder URL relative to the current directory is stored relative to `.dvc/`, as DVC does.
  // Throws Error(kConflict) when the remote exists, unless `force`.
  void add(const std::string& name, const std::string& url, bool make_default, bool local,
           bool force) const;
  // Sets (or with `unset` removes) one option. Unknown options are refused with the list of
  // known ones. Secrets written to the shared config draw a warning on stderr.
  void modify(const std::string& name, const std::string& key, const std::string& value, bool local,
              bool unset) const;
  // Removes the remote from both files, and the default if it was this remote.
  void remove(const std::string& name) const;
  void set_default(const std::optional<std::string>& name, bool local) const;
  std::optional<std::string> default_name() const;

  struct Entry {
    std::string name;
    std::string url;
    bool is_default = false;
  };
  std::vector<Entry> list() const;

  // The remote named `name`, or the default when `name` is empty. Throws Error naming what to
  // do when there is no such remote or no default.
  remote::RemoteSpec spec(const std::string& name) const;

 private:
  std::filesystem::path file(bool local) const;
  // `url` as the config stores it: schemes checked, a folder relative to the current directory
  // made relative to `.dvc/` (as DVC does).
  std::string stored_url(const std::string& name, const std::string& url) const;
  std::filesystem::path dvc_dir_;
};

// "remote \"name\"": the section that holds remote `name`.
std::string remote_section(const std::string& name);

}  // namespace plinth::repo
