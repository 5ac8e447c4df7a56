#include "repo/pointer_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "repo/yaml_scalar.h"

namespace plinth::repo {
namespace {

// Top-level keys in the order DVC writes them; `outs` is ours, the rest pass through.
const std::vector<std::string> kTopOrder = {
    "desc", "md5", "cmd", "wdir", "frozen", "deps", "outs", "always_changed", "meta"};
// Output keys DVC writes after `path`, in its order.
const std::vector<std::string> kOutTailOrder = {"fs_config", "desc",   "type",   "labels",
                                                "meta",      "cache",  "metric", "plot",
                                                "persist",   "remote", "push",   "files"};

std::string render_node(const YAML::Node& node) {
  if (node.IsScalar()) {
    // Re-emit user scalars as they were written (booleans and numbers stay unquoted).
    if (node.Tag() == "!") return yaml_key(node.Scalar());
    return node.Scalar();
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  return e.c_str();
}

std::string key_list(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

bool valid_md5(const std::string& v) {
  std::string hex = v.ends_with(".dir") ? v.substr(0, v.size() - 4) : v;
  return hex.size() == 32 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Output parse_output(const YAML::Node& node, const std::string& file) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidInput,
                 file + ":" + std::to_string(node.Mark().line + 1) + ": " + why +
                     "; fix the file or run 'plinth add' on the output again");
  };
  if (!node.IsMap()) throw fail("each entry of 'outs' must be a mapping with a 'path'");
  Output out;
  bool has_hash_field = false;
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "path") {
      if (!v.IsScalar() || v.Scalar().empty()) throw fail("'path' must be a non-empty string");
      out.path = v.Scalar();
    } else if (key == "md5") {
      out.md5 = v.IsNull() ? "" : v.as<std::string>();
      std::transform(out.md5.begin(), out.md5.end(), out.md5.begin(), ::tolower);
      if (!out.md5.empty() && !valid_md5(out.md5))
        throw fail("md5 '" + out.md5 + "' is not 32 hexadecimal digits (plus '.dir')");
    } else if (key == "size" || key == "nfiles") {
      int64_t value;
      try {
        value = v.as<int64_t>();
      } catch (const YAML::Exception&) {
        throw fail("'" + key + "' must be an integer, found '" + v.as<std::string>("?") + "'");
      }
      (key == "size" ? out.size : out.nfiles) = value;
    } else if (key == "isexec") {
      out.isexec = v.as<bool>(false);
    } else if (key == "hash") {
      if (v.as<std::string>("") != "md5")
        throw fail("hash '" + v.as<std::string>("") + "' is not supported; only 'md5' is");
      has_hash_field = true;
    } else {
      if (key == "cache") out.cache = v.as<bool>(true);
      out.other.emplace_back(key, render_node(v));
    }
  }
  if (out.path.empty()) throw fail("an entry of 'outs' has no 'path'");
  out.legacy = !has_hash_field && !out.md5.empty();
  return out;
}

}  // namespace

PointerFile PointerFile::parse(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kInvalidInput, file + ":" + std::to_string(e.mark.line + 1) +
                                              ": invalid YAML (" + e.msg +
                                              "); fix the file or restore it from git");
  }
  if (!root.IsMap())
    throw Error(ErrorCode::kInvalidInput,
                file +
                    ": expected a mapping with an 'outs' list; fix the file or restore it "
                    "from git");
  PointerFile pf;
  bool has_outs = false;
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (key == "outs") {
      has_outs = true;
      if (!kv.second.IsSequence() || kv.second.size() == 0)
        throw Error(ErrorCode::kInvalidInput, file + ": 'outs' must be a non-empty list");
      for (const auto& o : kv.second) pf.outs.push_back(parse_output(o, file));
    } else if (std::find(kTopOrder.begin(), kTopOrder.end(), key) == kTopOrder.end()) {
      throw Error(ErrorCode::kInvalidInput, file + ": unknown key '" + key +
                                                "'; a .dvc file may have " + key_list(kTopOrder));
    } else {
      YAML::Emitter e;
      e << kv.second;
      pf.other.emplace_back(key, kv.second.IsScalar() ? render_node(kv.second) : e.c_str());
    }
  }
  if (!has_outs)
    throw Error(ErrorCode::kInvalidInput,
                file + ": no 'outs' list; a .dvc file must name at least one output");
  return pf;
}

PointerFile PointerFile::load(const std::filesystem::path& file) {
  return parse(core::read_file(file), file.string());
}

namespace {

// A kept annotation (desc, ...) starting at `column`: a plain string is folded as ruamel
// re-emits it when DVC rewrites the file; quoted text, numbers, booleans and flow collections
// stay as written.
std::string refold(const std::string& value, int column, int indent) {
  if (value.empty() || value.find('\n') != std::string::npos || yaml_key(value) != value)
    return value;
  return yaml_scalar(value, column, indent);
}

void append_value(std::string& out, const std::string& key, const std::string& value,
                  const std::string& indent) {
  if (value.find('\n') == std::string::npos) {
    int column = static_cast<int>(indent.size()) + yaml_width(key) + 2;
    out += indent + key + ": " + refold(value, column, static_cast<int>(indent.size()) + 2) + "\n";
    return;
  }
  // Block value emitted by yaml-cpp: re-indent it under the key.
  out += indent + key + ":\n";
  size_t pos = 0;
  while (pos < value.size()) {
    size_t end = value.find('\n', pos);
    if (end == std::string::npos) end = value.size();
    out += indent + "  " + value.substr(pos, end - pos) + "\n";
    pos = end + 1;
  }
}

void append_output(std::string& out, const Output& o) {
  // ruamel's block style: the first key of a list item follows "- ", the rest align under it.
  // Values of output keys are single-line (scalars or flow collections).
  bool first = true;
  auto line = [&](const std::string& key, const std::string& value) {
    out += (first ? "- " : "  ") + key + ": " + value + "\n";
    first = false;
  };
  if (!o.md5.empty()) line("md5", yaml_scalar(o.md5, 7, 4));  // "- md5: "
  if (o.size) line("size", std::to_string(*o.size));
  if (o.nfiles) line("nfiles", std::to_string(*o.nfiles));
  if (o.isexec) line("isexec", "true");
  if (!o.legacy) line("hash", "md5");
  line("path", yaml_scalar(o.path, 8, 4));  // "  path: ", continued at column 4
  auto kept = [&](const std::string& key, const std::string& value) {
    line(key, refold(value, 2 + yaml_width(key) + 2, 4));
  };
  for (const auto& key : kOutTailOrder)
    for (const auto& [k, v] : o.other)
      if (k == key) kept(k, v);
  for (const auto& [k, v] : o.other)
    if (std::find(kOutTailOrder.begin(), kOutTailOrder.end(), k) == kOutTailOrder.end()) kept(k, v);
}

}  // namespace

std::string PointerFile::serialize() const {
  std::string out;
  for (const auto& key : kTopOrder) {
    if (key == "outs") {
      out += "outs:\n";
      for (const auto& o : outs) append_output(out, o);
      continue;
    }
    for (const auto& [k, v] : other)
      if (k == key) append_value(out, k, v, "");
  }
  return out;
}

}  // namespace plinth::repo
