#include "repo/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

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

namespace {

// The bytes serialize_manifest (and DVC) write: `[{"md5": "…", "relpath": "…"}, …]` with
// strings of printable ASCII and no escapes. Anything else (other keys or spacing, escapes,
// non-ASCII) is nullopt and goes to the full JSON parser. A directory of 100,000 files is
// parsed here in a few milliseconds instead of tens.
std::optional<std::vector<ManifestEntry>> parse_plain(std::string_view b) {
  constexpr std::string_view kOpen = "{\"md5\": \"", kMid = "\", \"relpath\": \"", kClose = "\"}";
  if (b.size() < 2 || b.front() != '[' || b.back() != ']') return std::nullopt;
  std::vector<ManifestEntry> entries;
  if (b.size() == 2) return entries;
  entries.reserve(b.size() / 80);
  size_t pos = 1;
  // Reads a string ending at the next quote; false if it holds anything but plain ASCII.
  auto plain_string = [&](std::string& out) {
    size_t end = b.find('"', pos);
    if (end == std::string_view::npos) return false;
    for (size_t i = pos; i < end; ++i) {
      unsigned char c = static_cast<unsigned char>(b[i]);
      if (c < 0x20 || c >= 0x7f || c == '\\') return false;
    }
    out.assign(b.substr(pos, end - pos));
    pos = end;
    return true;
  };
  for (;;) {
    ManifestEntry e;
    if (b.substr(pos, kOpen.size()) != kOpen) return std::nullopt;
    pos += kOpen.size();
    if (!plain_string(e.md5) || b.substr(pos, kMid.size()) != kMid) return std::nullopt;
    pos += kMid.size();
    if (!plain_string(e.relpath) || b.substr(pos, kClose.size()) != kClose) return std::nullopt;
    pos += kClose.size();
    entries.push_back(std::move(e));
    if (pos == b.size() - 1) return entries;
    if (b.substr(pos, 2) != ", ") return std::nullopt;
    pos += 2;
  }
}

}  // namespace

std::vector<ManifestEntry> parse_manifest(std::string_view bytes, const std::string& source) {
  if (auto plain = parse_plain(bytes)) return std::move(*plain);
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
