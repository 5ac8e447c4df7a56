#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plinth::repo {

// One output recorded in a `.dvc` file (spec dvc-format.md §2.2).
struct Output {
  std::string path;  // relative to the .dvc file's directory, '/'-separated
  std::string md5;   // "" when not hashed yet; "<hex>.dir" for a directory
  std::optional<int64_t> size;
  std::optional<int64_t> nfiles;  // directories only
  bool isexec = false;
  bool legacy = false;  // DVC 2.x output: no `hash: md5`; md5-dos2unix, objects at cache root
  bool cache = true;    // `cache: false` outputs are tracked but never stored or checked out
  // Keys Plinth does not interpret (desc, labels, remote, push, ...), kept as YAML text in
  // their original order and written back after `path`.
  std::vector<std::pair<std::string, std::string>> other;

  bool is_dir() const { return md5.size() > 4 && md5.ends_with(".dir"); }
};

// A `.dvc` pointer file: what `plinth add` writes and `checkout` reads.
struct PointerFile {
  std::vector<Output> outs;
  // Other top-level keys (desc, meta, md5/deps/frozen of import stages), kept as YAML text.
  std::vector<std::pair<std::string, std::string>> other;

  // Parses `text`; `file` names the file in errors ("data.dvc:3: ..."). Throws
  // Error(kInvalidInput) for broken YAML, a missing `outs` list or `path`, or a malformed hash.
  static PointerFile parse(const std::string& text, const std::string& file);
  static PointerFile load(const std::filesystem::path& file);

  // The exact text DVC 3 writes: keys in DVC's order, ruamel.yaml's block style and quoting.
  std::string serialize() const;
};

}  // namespace plinth::repo
