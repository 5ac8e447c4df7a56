#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace plinth::repo {

// One file of a tracked directory: its path inside the directory ('/'-separated) and md5.
struct ManifestEntry {
  std::string relpath;
  std::string md5;
  bool operator==(const ManifestEntry&) const = default;
};

// Sorts by relpath (Unicode code-point order, i.e. UTF-8 byte order) and serialises exactly as
// DVC's `.dir` object: Python's json.dumps(list, sort_keys=True). The directory's oid is
// md5 of these bytes + ".dir" (spec dvc-format.md §1.3).
std::string serialize_manifest(std::vector<ManifestEntry>& entries);

// Parses a `.dir` object. Entries may carry extra keys (size, isexec, ...), which are ignored.
// Throws Error(kCorrupted) naming `source` when the bytes are not a JSON list of entries.
std::vector<ManifestEntry> parse_manifest(std::string_view bytes, const std::string& source);

}  // namespace plinth::repo
