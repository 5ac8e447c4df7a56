#include "server/internal/graphql.h"

#include <cctype>
#include <cstring>
#include <optional>

#include "core/error.h"

namespace plinth::server::internal {
namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(const std::string& text, const json& variables) : s_(text), vars_(variables) {}

  bool at_end() {
    skip_ignored();
    return pos_ >= s_.size();
  }
  char peek() {
    skip_ignored();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  bool at_name() {
    char c = peek();
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }
  std::string name() {
    if (!at_name()) fail("expected a name");
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  bool accept_spread() {
    if (s_.compare(pos_, 3, "...") != 0) return false;
    pos_ += 3;
    return true;
  }

  // Skips a balanced (...) or {...} group, strings included.
  void skip_group(char open, char close) {
    expect(open);
    int depth = 1;
    while (depth > 0) {
      if (pos_ >= s_.size()) fail(std::string("unclosed '") + open + "'");
      char c = s_[pos_];
      if (c == '"') {
        string_value();
        continue;
      }
      if (c == '#') {
        skip_ignored();
        continue;
      }
      ++pos_;
      if (c == open) ++depth;
      if (c == close) --depth;
    }
  }
  void skip_directives() {
    while (accept('@')) {
      name();
      if (peek() == '(') skip_group('(', ')');
    }
  }

  json value() {
    char c = peek();
    if (c == '$') {
      ++pos_;
      std::string var = name();
      auto it = vars_.is_object() ? vars_.find(var) : vars_.end();
      return it == vars_.end() ? json(nullptr) : *it;
    }
    if (c == '"') return string_value();
    if (c == '[') {
      ++pos_;
      json out = json::array();
      while (!accept(']')) out.push_back(value());
      return out;
    }
    if (c == '{') {
      ++pos_;
      json out = json::object();
      while (!accept('}')) {
        std::string key = name();
        expect(':');
        out[key] = value();
      }
      return out;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos_++;
      while (pos_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[pos_])) || std::strchr(".eE+-", s_[pos_])))
        ++pos_;
      json out = json::parse(s_.substr(start, pos_ - start), nullptr, false);
      if (out.is_discarded()) fail("bad number");
      return out;
    }
    std::string word = name();  // true, false, null or an enum value
    if (word == "true") return true;
    if (word == "false") return false;
    if (word == "null") return nullptr;
    return word;
  }

  json arguments() {
    json out = json::object();
    if (!accept('(')) return out;
    while (!accept(')')) {
      std::string key = name();
      expect(':');
      out[key] = value();
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& what) {
    throw Error(ErrorCode::kInvalidInput,
                "Cannot read the GraphQL document: " + what + " at offset " + std::to_string(pos_));
  }

 private:
  // Whitespace, commas, the byte-order mark and # comments carry no meaning in GraphQL.
  void skip_ignored() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }
  json string_value() {
    expect('"');
    if (s_.compare(pos_, 2, "\"\"") == 0) {  // block string
      size_t end = s_.find("\"\"\"", pos_ + 2);
      if (end == std::string::npos) fail("unclosed block string");
      std::string out = s_.substr(pos_ + 2, end - pos_ - 2);
      pos_ = end + 3;
      return out;
    }
    size_t start = pos_ - 1;
    while (pos_ < s_.size() && s_[pos_] != '"') pos_ += s_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= s_.size()) fail("unclosed string");
    ++pos_;
    json out = json::parse(s_.substr(start, pos_ - start), nullptr, false);
    if (out.is_discarded()) fail("bad string");
    return out;
  }

  const std::string& s_;
  const json& vars_;
  size_t pos_ = 0;
};

std::vector<GraphqlField> selection(Reader& r) {
  std::vector<GraphqlField> fields;
  r.expect('{');
  while (!r.accept('}')) {
    if (r.at_end()) r.fail("unclosed '{'");
    if (r.accept_spread()) {  // a fragment spread or inline fragment: not executed
      if (r.at_name()) {
        std::string word = r.name();
        if (word == "on") r.name();
      }
      r.skip_directives();
      if (r.peek() == '{') r.skip_group('{', '}');
      continue;
    }
    GraphqlField f;
    f.name = r.name();
    if (r.accept(':')) {
      f.alias = f.name;
      f.name = r.name();
    } else {
      f.alias = f.name;
    }
    f.args = r.arguments();
    r.skip_directives();
    if (r.peek() == '{') r.skip_group('{', '}');
    fields.push_back(std::move(f));
  }
  return fields;
}

}  // namespace

GraphqlOperation parse_graphql(const std::string& document, const std::string& operation_name,
                               const nlohmann::json& variables) {
  Reader r(document, variables);
  std::optional<GraphqlOperation> first;
  while (!r.at_end()) {
    GraphqlOperation op;
    if (r.peek() == '{') {
      op.kind = "query";
    } else {
      op.kind = r.name();
      if (op.kind == "fragment") {
        r.name();  // the fragment's name, then "on Type"
        r.name();
        r.name();
        r.skip_directives();
        r.skip_group('{', '}');
        continue;
      }
      if (op.kind != "query" && op.kind != "mutation" && op.kind != "subscription")
        r.fail("expected query, mutation or fragment, not '" + op.kind + "'");
      if (r.at_name()) op.name = r.name();
      if (r.peek() == '(') r.skip_group('(', ')');
      r.skip_directives();
    }
    op.fields = selection(r);
    if (op.name == operation_name) return op;
    if (!first && operation_name.empty()) first = std::move(op);
  }
  if (first) return *first;
  if (!operation_name.empty())
    throw Error(ErrorCode::kInvalidInput,
                "The GraphQL document has no operation named '" + operation_name + "'");
  throw Error(ErrorCode::kInvalidInput, "The GraphQL document has no operation");
}

}  // namespace plinth::server::internal
