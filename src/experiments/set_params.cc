#include "experiments/set_params.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "repo/yaml_scalar.h"

namespace plinth::experiments {
namespace fs = std::filesystem;
using pipeline::Value;

namespace {

Error bad(const std::string& entry, const std::string& why) {
  return Error(ErrorCode::kInvalidInput, "-S '" + entry + "': " + why);
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

// Whether `text` has a comma outside quotes and brackets: Hydra's sweep syntax (a=1,2).
bool is_sweep(const std::string& text) {
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      return true;
    }
  }
  return false;
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The value at `parts` inside `doc`, creating maps on the way when `create`; nullptr when a
// part is missing. Throws when a part goes through a scalar.
Value* walk(Value& doc, const std::vector<std::string>& parts, size_t n, bool create,
            const ParamOverride& o) {
  Value* at = &doc;
  for (size_t i = 0; i < n; ++i) {
    const std::string& p = parts[i];
    if (at->is_array() && is_index(p)) {
      size_t idx = std::stoul(p);
      if (idx >= at->size()) return nullptr;
      at = &(*at)[idx];
    } else if (at->is_object()) {
      if (!at->contains(p)) {
        if (!create) return nullptr;
        (*at)[p] = Value::object();
      }
      at = &(*at)[p];
    } else {
      std::string prefix;
      for (size_t j = 0; j < i; ++j) prefix += (j ? "." : "") + parts[j];
      throw bad(o.entry, "'" + prefix + "' in " + o.file + " is a value, not a section");
    }
  }
  return at;
}

// Applies `o` to `doc`; returns whether the key existed before.
bool apply_one(Value& doc, const ParamOverride& o) {
  auto parts = split_key(o.key);
  bool create = o.op == ParamOverride::Op::kAdd || o.op == ParamOverride::Op::kUpsert;
  Value* parent = walk(doc, parts, parts.size() - 1, create, o);
  const std::string& last = parts.back();
  if (parent && !parent->is_object() && !parent->is_array())
    throw bad(o.entry, "'" + o.key.substr(0, o.key.size() - last.size() - 1) + "' in " + o.file +
                           " is a value, not a section");
  bool exists =
      parent && ((parent->is_object() && parent->contains(last)) ||
                 (parent->is_array() && is_index(last) && std::stoul(last) < parent->size()));
  switch (o.op) {
    case ParamOverride::Op::kSet:
      if (!exists)
        throw bad(o.entry, "'" + o.key + "' is not a key of " + o.file + "; to add it, write '+" +
                               o.key + "=...'");
      break;
    case ParamOverride::Op::kAdd:
      if (exists)
        throw bad(o.entry,
                  "'" + o.key + "' is already in " + o.file + "; to change it, drop the '+'");
      break;
    case ParamOverride::Op::kDelete:
      if (!exists) throw bad(o.entry, "'" + o.key + "' is not a key of " + o.file + " to delete");
      if (parent->is_array())
        parent->erase(std::stoul(last));
      else
        parent->erase(last);
      return true;
    case ParamOverride::Op::kUpsert:
      break;
  }
  if (parent->is_array())
    (*parent)[std::stoul(last)] = o.value;
  else
    (*parent)[last] = o.value;
  return exists;
}

// Python's json.dump() text: ", " and ": " separators, keys in order.
void python_json(const Value& v, std::string& out) {
  if (v.is_object()) {
    out += "{";
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      out += first ? "" : ", ";
      out += Value(it.key()).dump() + ": ";
      python_json(*it, out);
      first = false;
    }
    out += "}";
  } else if (v.is_array()) {
    out += "[";
    for (size_t i = 0; i < v.size(); ++i) {
      out += i ? ", " : "";
      python_json(v[i], out);
    }
    out += "]";
  } else if (v.is_number_float()) {
    out += pipeline::python_float_repr(v.get<double>());
  } else {
    out += v.dump();
  }
}

std::string yaml_document(const Value& doc) {
  std::string out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    std::string key = repo::yaml_key(it.key());
    out += key + ":" + pipeline::yaml_block_value(*it, 0, repo::yaml_width(key) + 1);
  }
  return out;
}

// Where a single-line scalar starts and ends in `text`, from its node's mark; nullopt for
// block scalars, collections and anything else an in-place edit could get wrong.
std::optional<std::pair<size_t, size_t>> scalar_extent(const std::string& text, size_t pos) {
  if (pos >= text.size()) return std::nullopt;
  char c = text[pos];
  if (c == '\'' || c == '"') {
    for (size_t i = pos + 1; i < text.size() && text[i] != '\n'; ++i) {
      if (c == '"' && text[i] == '\\') {
        ++i;
      } else if (text[i] == c) {
        if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;
          continue;
        }
        return std::make_pair(pos, i + 1);
      }
    }
    return std::nullopt;
  }
  if (std::string("|>[{&*!#\n").find(c) != std::string::npos) return std::nullopt;
  size_t end = text.find('\n', pos);
  if (end == std::string::npos) end = text.size();
  size_t comment = text.find(" #", pos);
  if (comment != std::string::npos && comment < end) end = comment;
  while (end > pos && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  // A plain scalar that continues on the next, more indented line is not single-line.
  size_t next = text.find('\n', pos);
  if (next != std::string::npos) {
    size_t line_start = text.rfind('\n', pos);
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    size_t key_indent = text.find_first_not_of(' ', line_start) - line_start;
    size_t ind = text.find_first_not_of(' ', next + 1);
    if (ind != std::string::npos && text[ind] != '\n' && text[ind] != '#' &&
        ind - next - 1 > key_indent)
      return std::nullopt;
  }
  return std::make_pair(pos, end);
}

// The YAML text with each scalar-for-scalar override edited in place; nullopt when one of the
// overrides is not such an edit.
std::optional<std::string> edit_in_place(const std::string& text, const Value& before,
                                         const std::vector<ParamOverride>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  std::vector<std::pair<std::pair<size_t, size_t>, std::string>> edits;
  for (const auto& o : overrides) {
    if (o.op == ParamOverride::Op::kDelete || o.value.is_structured()) return std::nullopt;
    auto old = pipeline::lookup_dotted(before, o.key);
    if (!old || old->is_structured()) return std::nullopt;
    YAML::Node node = root;
    for (const auto& part : split_key(o.key)) {
      if (!node.IsMap()) return std::nullopt;
      node.reset(static_cast<const YAML::Node&>(node)[part]);  // reset: `=` would assign
    }
    if (!node.IsScalar()) return std::nullopt;
    auto extent = scalar_extent(text, static_cast<size_t>(node.Mark().pos));
    if (!extent) return std::nullopt;
    int column = node.Mark().column;
    std::string value = pipeline::yaml_block_value(o.value, column, column);
    while (!value.empty() && (value.back() == '\n')) value.pop_back();
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (value.find('\n') != std::string::npos) return std::nullopt;
    edits.push_back({*extent, value});
  }
  std::sort(edits.begin(), edits.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out = text;
  for (const auto& [extent, value] : edits)
    out.replace(extent.first, extent.second - extent.first, value);
  return out;
}

}  // namespace

ParamOverride parse_override(const std::string& entry) {
  ParamOverride o;
  o.entry = entry;
  o.file = "params.yaml";
  std::string rest = entry;
  std::string name_part = rest.substr(0, rest.find('='));
  if (size_t colon = name_part.find(':'); colon != std::string::npos) {
    o.file = rest.substr(0, colon);
    rest = rest.substr(colon + 1);
    if (o.file.empty()) throw bad(entry, "the file before ':' is empty");
  }
  if (rest.starts_with("~")) {
    o.op = ParamOverride::Op::kDelete;
    rest.erase(0, 1);
  } else if (rest.starts_with("++")) {
    o.op = ParamOverride::Op::kUpsert;
    rest.erase(0, 2);
  } else if (rest.starts_with("+")) {
    o.op = ParamOverride::Op::kAdd;
    rest.erase(0, 1);
  }
  size_t eq = rest.find('=');
  if (eq == std::string::npos && o.op != ParamOverride::Op::kDelete)
    throw bad(entry, "expected [file:]section.param=value, e.g. train.lr=0.01");
  o.key = rest.substr(0, eq);
  if (o.key.empty()) throw bad(entry, "the param name before '=' is empty");
  for (const auto& part : split_key(o.key))
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/' ||
                 c == '@';
        }))
      throw bad(entry, "'" + o.key +
                           "' is not a param name: use letters, digits, '_' and '-', sections "
                           "separated by '.'");
  if (eq == std::string::npos) return o;
  std::string text = rest.substr(eq + 1);
  if (is_sweep(text))
    throw bad(entry, "'" + text +
                         "' is a list of choices (a sweep); give one value per experiment, "
                         "quote it ('\"a,b\"') if it is one string, or use 'plinth sweep'");
  if (text.empty()) {
    o.value = "";
    return o;
  }
  try {
    o.value = pipeline::yaml_to_value(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    throw bad(entry, "'" + text + "' is not a valid value (" + e.msg + ")");
  }
  return o;
}

void apply_overrides(const fs::path& root, const std::vector<std::string>& entries) {
  std::map<std::string, std::vector<ParamOverride>> by_file;
  std::vector<std::string> order;
  for (const auto& e : entries) {
    ParamOverride o = parse_override(e);
    if (!by_file.count(o.file)) order.push_back(o.file);
    by_file[o.file].push_back(std::move(o));
  }
  std::vector<std::pair<fs::path, std::string>> writes;
  for (const auto& file : order) {
    const auto& overrides = by_file[file];
    fs::path path = root / file;
    std::string ext = fs::path(file).extension().string();
    if (!fs::is_regular_file(path))
      throw bad(overrides[0].entry, "params file '" + file +
                                        "' does not exist in the workspace (paths are relative "
                                        "to the repository root)");
    bool json = ext == ".json";
    if (!json && ext != ".yaml" && ext != ".yml")
      throw bad(overrides[0].entry, "'" + file +
                                        "' is not a YAML or JSON file; -S changes params in "
                                        ".yaml, .yml and .json files");
    std::string text = core::read_file(path);
    Value before = pipeline::parse_structured(text, file);
    if (before.is_null()) before = Value::object();
    if (!before.is_object())
      throw bad(overrides[0].entry, "'" + file + "' does not hold a mapping of params");
    Value after = before;
    for (const auto& o : overrides) apply_one(after, o);
    std::string out;
    if (json) {
      python_json(after, out);
    } else if (auto edited = edit_in_place(text, before, overrides)) {
      out = *edited;
    } else {
      out = yaml_document(after);
    }
    writes.emplace_back(path, out);
  }
  for (const auto& [path, text] : writes) core::write_file_atomic(path, text);
}

}  // namespace plinth::experiments
