#include "pipeline/values.h"

#include <cmath>
#include <cstdio>
#include <regex>

#include "core/error.h"
#include "core/json_text.h"
#include "repo/yaml_scalar.h"

namespace plinth::pipeline {
namespace {

// A plain scalar as DVC reads params and lock files: ruamel.yaml's safe loader, YAML 1.2
// (underscores in numbers, 0o/0x/0b prefixes, a leading 0 is decimal, yes/no are strings).
Value resolve_plain_scalar(const std::string& s) {
  static const std::regex kNull(R"(^(?:~|null|Null|NULL|)$)");
  static const std::regex kBool(R"(^(?:true|True|TRUE|false|False|FALSE)$)");
  static const std::regex kInt(
      "^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$");
  static const std::regex kFloat(
      R"(^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?)"
      R"(|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?)$)");
  static const std::regex kInf(R"(^[-+]?\.(?:inf|Inf|INF)$)");
  static const std::regex kNan(R"(^\.(?:nan|NaN|NAN)$)");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kBool)) return s[0] == 't' || s[0] == 'T';
  std::string digits;
  for (char c : s)
    if (c != '_') digits += c;
  if (std::regex_match(s, kFloat)) return std::stod(digits);
  if (std::regex_match(s, kInf))
    return s[0] == '-' ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
  if (std::regex_match(s, kNan)) return std::numeric_limits<double>::quiet_NaN();
  if (!std::regex_match(s, kInt)) return s;
  bool negative = digits[0] == '-';
  if (digits[0] == '-' || digits[0] == '+') digits.erase(0, 1);
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0' &&
      std::string("box").find(digits[1]) != std::string::npos) {
    base = digits[1] == 'b' ? 2 : digits[1] == 'o' ? 8 : 16;
    digits.erase(0, 2);
  }
  if (digits.empty()) return s;  // "_" or "-_": no digits, a string as far as Plinth goes
  try {
    if (!negative) {
      uint64_t u = std::stoull(digits, nullptr, base);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return u;
      return static_cast<int64_t>(u);
    }
    return -std::stoll(digits, nullptr, base);
  } catch (const std::out_of_range&) {
    return std::stod((negative ? "-" : "") + digits);  // beyond 64 bits (Python keeps it exact)
  }
}

void dump_sorted(const Value& v, std::string& out) {
  switch (v.type()) {
    case Value::value_t::object: {
      std::vector<std::string> keys;
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());
      out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ", ";
        out += core::python_json_quote(keys[i]) + ": ";
        dump_sorted(v.at(keys[i]), out);
      }
      out += '}';
      return;
    }
    case Value::value_t::array:
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        dump_sorted(v[i], out);
      }
      out += ']';
      return;
    case Value::value_t::string:
      out += core::python_json_quote(v.get<std::string>());
      return;
    case Value::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out += python_float_repr(d);
      return;
    }
    case Value::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case Value::value_t::null:
      out += "null";
      return;
    default:
      out += v.dump();
  }
}

// A scalar starting at `column`, continued at `indent` if it is a string long enough to fold.
std::string yaml_scalar_text(const Value& v, int column, int indent) {
  switch (v.type()) {
    case Value::value_t::string:
      return repo::yaml_scalar(v.get<std::string>(), column, indent);
    case Value::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Value::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) return ".nan";
      if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
      return python_float_repr(d);
    }
    case Value::value_t::null:
      return "";
    default:
      return v.dump();
  }
}

std::string map_key(const std::string& key) { return repo::yaml_key(key); }

}  // namespace

Value yaml_to_value(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Value out = Value::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_value(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      Value out = Value::array();
      for (const auto& item : node) out.push_back(yaml_to_value(item));
      return out;
    }
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") return node.Scalar();  // quoted: always a string
      return resolve_plain_scalar(node.Scalar());
    default:
      return nullptr;
  }
}

Value parse_structured(const std::string& text, const std::string& name) {
  if (name.ends_with(".json")) {
    try {
      return Value::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(ErrorCode::kInvalidInput,
                  name + ": invalid JSON (" + e.what() + "); fix the file");
    }
  }
  if (name.ends_with(".toml") || name.ends_with(".py"))
    throw Error(ErrorCode::kInvalidInput,
                name + ": TOML and Python params files are not supported; use YAML or JSON");
  try {
    return yaml_to_value(YAML::Load(text));
  } catch (const YAML::ParserException& e) {
    throw Error(ErrorCode::kInvalidInput, name + ":" + std::to_string(e.mark.line + 1) +
                                              ": invalid YAML (" + e.msg + "); fix the file");
  }
}

std::optional<Value> lookup_dotted(const Value& root, const std::string& dotted) {
  const Value* cur = &root;
  size_t pos = 0;
  while (pos <= dotted.size()) {
    size_t dot = dotted.find('.', pos);
    if (dot == std::string::npos) dot = dotted.size();
    std::string part = dotted.substr(pos, dot - pos);
    if (cur->is_object()) {
      auto it = cur->find(part);
      if (it == cur->end()) return std::nullopt;
      cur = &*it;
    } else if (cur->is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos) {
      size_t idx = std::stoul(part);
      if (idx >= cur->size()) return std::nullopt;
      cur = &(*cur)[idx];
    } else {
      return std::nullopt;
    }
    pos = dot + 1;
  }
  return *cur;
}

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest %e form that reads back exactly, then laid out as Python's repr does.
  char buf[64];
  int precision = 0;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  size_t e = s.find('e');
  int exponent = std::stoi(s.substr(e + 1));
  std::string digits;
  for (char c : s.substr(0, e))
    if (c != '.') digits += c;
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  } else if (exponent < 0) {
    out = "0." + std::string(-exponent - 1, '0') + digits;
  } else {
    if (digits.size() <= static_cast<size_t>(exponent) + 1)
      digits += std::string(exponent + 1 - digits.size(), '0');
    out = digits.substr(0, exponent + 1) + "." +
          (digits.size() > static_cast<size_t>(exponent) + 1 ? digits.substr(exponent + 1) : "0");
  }
  return negative ? "-" + out : out;
}

std::string python_str(const Value& v) {
  switch (v.type()) {
    case Value::value_t::string:
      return v.get<std::string>();
    case Value::value_t::boolean:
      return v.get<bool>() ? "True" : "False";
    case Value::value_t::null:
      return "None";
    case Value::value_t::number_float:
      return python_float_repr(v.get<double>());
    case Value::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        out += v[i].is_string() ? "'" + v[i].get<std::string>() + "'" : python_str(v[i]);
      }
      return out + "]";
    }
    case Value::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out += (first ? "'" : ", '") + it.key() + "': ";
        out += it->is_string() ? "'" + it->get<std::string>() + "'" : python_str(*it);
        first = false;
      }
      return out + "}";
    }
    default:
      return v.dump();
  }
}

std::string python_json_sorted(const Value& v) {
  std::string out;
  dump_sorted(v, out);
  return out;
}

std::string yaml_block_value(const Value& v, int indent, int column) {
  std::string pad(indent, ' ');
  if (v.is_object() && !v.empty()) {
    std::string out = "\n";
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string key = map_key(it.key());
      out += pad + "  " + key + ":" +
             yaml_block_value(*it, indent + 2, indent + 2 + repo::yaml_width(key) + 1);
    }
    return out;
  }
  if (v.is_array() && !v.empty()) {
    // ruamel's DVC layout: "- " at the key's column, item contents at +2.
    std::string out = "\n";
    for (const auto& item : v) {
      if (item.is_object() && !item.empty()) {
        bool first = true;
        for (auto it = item.begin(); it != item.end(); ++it) {
          std::string key = map_key(it.key());
          out += pad + (first ? "- " : "  ") + key + ":" +
                 yaml_block_value(*it, indent + 2, indent + 2 + repo::yaml_width(key) + 1);
          first = false;
        }
      } else if (item.is_array() && !item.empty()) {
        std::string nested = yaml_block_value(item, indent + 2, indent + 1);  // "\n" + lines
        out += pad + "- " + nested.substr(2 + indent + 1);
      } else {
        std::string text = item.is_object()  ? "{}"
                           : item.is_array() ? "[]"
                                             : yaml_scalar_text(item, indent + 2, indent + 2);
        out += pad + "-" + (text.empty() ? "" : " " + text) + "\n";
      }
    }
    return out;
  }
  if (v.is_object()) return " {}\n";
  if (v.is_array()) return " []\n";
  std::string text = yaml_scalar_text(v, column + 1, indent + 2);
  return text.empty() ? "\n" : " " + text + "\n";
}

}  // namespace plinth::pipeline
