#include "pipeline/template.h"

#include "core/error.h"

namespace plinth::pipeline {
namespace {

void merge_into(Value& into, const Value& from, const std::string& prefix,
                const std::string& source) {
  for (auto it = from.begin(); it != from.end(); ++it) {
    std::string name = prefix.empty() ? it.key() : prefix + "." + it.key();
    auto existing = into.find(it.key());
    if (existing == into.end()) {
      into[it.key()] = *it;
    } else if (existing->is_object() && it->is_object()) {
      merge_into(*existing, *it, name, source);
    } else if (*existing != *it) {
      throw Error(ErrorCode::kInvalidInput,
                  source + ": variable '" + name +
                      "' is already defined with another value; rename one of them");
    }
  }
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789@%+=:,./-_") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  return out + "'";
}

std::string scalar_text(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return python_str(v);
}

// A map in `cmd` becomes command-line arguments (DVC's default parsing options).
void append_args(const Value& v, const std::string& prefix, std::string& out) {
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    const Value& x = *it;
    std::string arg;
    if (x.is_object()) {
      append_args(x, key, out);
      continue;
    }
    if (x.is_boolean()) {
      if (!x.get<bool>()) continue;
      arg = "--" + key;
    } else if (x.is_array()) {
      arg = "--" + key;
      for (const auto& item : x)
        arg += " " + (item.is_string() ? shell_quote(item.get<std::string>()) : scalar_text(item));
    } else {
      arg = "--" + key + " " + (x.is_string() ? shell_quote(x.get<std::string>()) : scalar_text(x));
    }
    out += (out.empty() ? "" : " ") + arg;
  }
}

}  // namespace

void TemplateContext::merge(const Value& vars, const std::string& source) {
  if (!vars.is_object())
    throw Error(ErrorCode::kInvalidInput,
                source + ": variables must be a mapping of names to values");
  merge_into(vars_, vars, "", source);
}

void TemplateContext::set_local(const std::string& name, const Value& value) {
  vars_[name] = value;
}

Value TemplateContext::lookup(const std::string& expr_in, const std::string& where) const {
  // `a[0].b` is `a.0.b`.
  std::string expr;
  for (char c : expr_in) {
    if (c == '[')
      expr += '.';
    else if (c != ']' && c != ' ')
      expr += c;
  }
  auto value = lookup_dotted(vars_, expr);
  if (!value)
    throw Error(ErrorCode::kInvalidInput, where + ": '${" + expr_in +
                                              "}' is not defined; define '" + expr +
                                              "' in params.yaml or under 'vars' in dvc.yaml");
  return *value;
}

Value TemplateContext::resolve_string(const std::string& text, const std::string& where,
                                      bool is_cmd) const {
  size_t open = text.find("${");
  if (open == std::string::npos) return text;
  size_t close = text.find('}', open);
  if (open == 0 && close == text.size() - 1 && text.find("${", 2) == std::string::npos && !is_cmd)
    return lookup(text.substr(2, close - 2), where);
  std::string out;
  size_t pos = 0;
  while ((open = text.find("${", pos)) != std::string::npos) {
    if (open > 0 && text[open - 1] == '\\') {  // \${ is a literal ${
      out += text.substr(pos, open - 1 - pos) + "${";
      pos = open + 2;
      continue;
    }
    close = text.find('}', open);
    if (close == std::string::npos)
      throw Error(ErrorCode::kInvalidInput,
                  where + ": '${' without a closing '}' in '" + text + "'");
    out += text.substr(pos, open - pos);
    std::string expr = text.substr(open + 2, close - open - 2);
    Value v = lookup(expr, where);
    if (v.is_object() && is_cmd) {
      std::string args;
      append_args(v, "", args);
      out += args;
    } else if (v.is_object() || v.is_array()) {
      throw Error(ErrorCode::kInvalidInput,
                  where + ": '${" + expr +
                      "}' is a list or mapping, which cannot be put inside a string; use it as "
                      "the whole value or name one of its entries");
    } else {
      out += scalar_text(v);
    }
    pos = close + 1;
  }
  return out + text.substr(pos);
}

Value TemplateContext::resolve(const YAML::Node& node, const std::string& where,
                               bool is_cmd) const {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Value out = Value::object();
      for (const auto& kv : node) {
        Value key_value = resolve_string(kv.first.as<std::string>(), where);
        std::string key =
            key_value.is_string() ? key_value.get<std::string>() : scalar_text(key_value);
        out[key] = resolve(kv.second, where, is_cmd);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      Value out = Value::array();
      for (const auto& item : node) out.push_back(resolve(item, where, is_cmd));
      return out;
    }
    case YAML::NodeType::Scalar: {
      Value v = yaml_to_value(node);
      return v.is_string() ? resolve_string(v.get<std::string>(), where, is_cmd) : v;
    }
    default:
      return nullptr;
  }
}

}  // namespace plinth::pipeline
