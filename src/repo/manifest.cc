#include "repo/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_text.h"

namespace plinth::repo {

std::string serialize_manifest(std::vector<ManifestEntry>& entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.relpath < b.relpath; });
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ", ";
    out += "{\"md5\": " + core::python_json_quote(entries[i].md5) +
           ", \"relpath\": " + core::python_json_quote(entries[i].relpath) + "}";
  }
  out += "]";
  return out;
}

std::vector<ManifestEntry> parse_manifest(std::string_view bytes, const std::string& source) {
  auto corrupted = [&](const std::string& why) {
    return Error(ErrorCode::kCorrupted,
                 "directory manifest " + source + " is corrupted (" + why +
                     "); remove it and run 'plinth add' or 'plinth pull' to restore it");
  };
  nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) throw corrupted("not a JSON list");
  std::vector<ManifestEntry> entries;
  entries.reserve(doc.size());
  for (const auto& item : doc) {
    if (!item.is_object() || !item.contains("relpath") || !item["relpath"].is_string() ||
        !item.contains("md5") || !item["md5"].is_string())
      throw corrupted("an entry lacks 'relpath' or 'md5'");
    entries.push_back({item["relpath"].get<std::string>(), item["md5"].get<std::string>()});
  }
  return entries;
}

}  // namespace plinth::repo
