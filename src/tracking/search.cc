#include "tracking/search.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace plinth::tracking {
namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

[[noreturn]] void bad(const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, message);
}

std::string canonical_entity(const std::string& word) {
  std::string w = ascii_lower(word);
  if (w == "metric" || w == "metrics") return "metric";
  if (w == "param" || w == "params" || w == "parameter" || w == "parameters") return "param";
  if (w == "tag" || w == "tags") return "tag";
  if (w == "attribute" || w == "attributes" || w == "attr" || w == "run") return "attribute";
  if (w == "dataset" || w == "datasets") return "dataset";
  return "";
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool done() {
    skip_space();
    return pos_ >= s_.size();
  }
  char peek() {
    skip_space();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }

  // A quoted run: 'x', "x" or `x`; doubled quote chars are escapes.
  std::string quoted() {
    char q = s_[pos_++];
    std::string out;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == q) {
        if (pos_ < s_.size() && s_[pos_] == q) {
          out += q;
          ++pos_;
          continue;
        }
        return out;
      }
      if (c == '\\' && pos_ < s_.size() && q != '`') c = s_[pos_++];
      out += c;
    }
    bad("Invalid filter '" + std::string(s_) + "': unterminated quoted string");
  }

  std::string word() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
            s_[pos_] == '.' || s_[pos_] == '-' || s_[pos_] == ':' || s_[pos_] == '/'))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  // entity.key, entity.`key`, `entity`.key, or a bare attribute (maybe quoted).
  std::pair<std::string, std::string> identifier() {
    skip_space();
    std::string first;
    if (peek() == '`' || peek() == '"') {
      first = quoted();
      if (pos_ < s_.size() && s_[pos_] == '.') {
        ++pos_;
        std::string entity = canonical_entity(first);
        if (entity.empty()) bad("Invalid entity type '" + first + "' in filter");
        return {entity, key_after_dot()};
      }
      return {"attribute", first};
    }
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    first = std::string(s_.substr(start, pos_ - start));
    if (first.empty())
      bad("Invalid filter '" + std::string(s_) + "': expected an identifier at position " +
          std::to_string(start));
    if (pos_ < s_.size() && s_[pos_] == '.') {
      std::string entity = canonical_entity(first);
      if (!entity.empty()) {
        ++pos_;
        return {entity, key_after_dot()};
      }
      pos_ = start;
      return {"attribute", word()};
    }
    return {"attribute", first};
  }

  std::string op() {
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() && std::string_view("=!<>").find(s_[pos_]) != std::string_view::npos)
      ++pos_;
    if (pos_ > start) {
      std::string sym(s_.substr(start, pos_ - start));
      static const char* kOps[] = {"=", "!=", "<>", ">", ">=", "<", "<="};
      if (std::find(std::begin(kOps), std::end(kOps), sym) == std::end(kOps))
        bad("Invalid comparator '" + sym +
            "' not one of '['=', '!=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']'");
      return sym == "<>" ? "!=" : sym;
    }
    std::string w = upper(word());
    if (w == "NOT") {
      std::string next = upper(word());
      if (next != "IN") bad("Invalid comparator 'NOT " + next + "'");
      return "NOT IN";
    }
    if (w == "LIKE" || w == "ILIKE" || w == "IN") return w;
    bad("Invalid comparator '" + w +
        "' not one of '['=', '!=', '>', '>=', '<', '<=', 'LIKE', 'ILIKE', 'IN', 'NOT IN']'");
  }

  void value(Clause& c) {
    char ch = peek();
    if (c.op == "IN" || c.op == "NOT IN") {
      if (ch != '(') bad("Invalid filter: " + c.op + " needs a parenthesised list of strings");
      ++pos_;
      for (;;) {
        ch = peek();
        if (ch != '\'' && ch != '"') bad("Invalid filter: " + c.op + " list items must be quoted");
        c.list.push_back(quoted());
        ch = peek();
        ++pos_;
        if (ch == ')') return;
        if (ch != ',') bad("Invalid filter: expected ',' or ')' in " + c.op + " list");
      }
    }
    if (ch == '\'' || ch == '"') {
      c.text = quoted();
      return;
    }
    std::string w = word();
    char* end = nullptr;
    c.number = std::strtod(w.c_str(), &end);
    if (w.empty() || *end != '\0')
      bad("Invalid filter: expected a quoted string or a number, got '" + w + "'");
    c.numeric = true;
  }

  size_t pos() const { return pos_; }

 private:
  std::string key_after_dot() {
    if (pos_ < s_.size() && (s_[pos_] == '`' || s_[pos_] == '"')) return quoted();
    std::string key = word();
    if (key.empty()) bad("Invalid filter '" + std::string(s_) + "': missing key after '.'");
    return key;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<Clause> parse_filter(std::string_view filter) {
  std::vector<Clause> out;
  Lexer lex(filter);
  if (lex.done()) return out;
  for (;;) {
    Clause c;
    std::tie(c.entity, c.key) = lex.identifier();
    c.op = lex.op();
    lex.value(c);
    out.push_back(std::move(c));
    if (lex.done()) return out;
    std::string conj = upper(lex.word());
    if (conj != "AND")
      bad("Invalid filter '" + std::string(filter) + "': clauses can only be joined by AND");
  }
}

OrderKey parse_order_by(std::string_view item) {
  Lexer lex(item);
  OrderKey out;
  std::tie(out.entity, out.key) = lex.identifier();
  if (!lex.done()) {
    std::string dir = upper(lex.word());
    if (dir == "DESC")
      out.ascending = false;
    else if (dir != "ASC")
      bad("Invalid order_by clause '" + std::string(item) + "': direction must be ASC or DESC");
    if (!lex.done()) bad("Invalid order_by clause '" + std::string(item) + "'");
  }
  return out;
}

void check_comparator(const Clause& clause, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), clause.op) != allowed.end()) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "'" : ", '") + a + "'";
  bad("Invalid comparator '" + clause.op + "' not one of '[" + list + "]' for " + clause.entity +
      " '" + clause.key + "'");
}

std::string ascii_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool like(std::string_view text, std::string_view pattern, bool ci) {
  auto eq = [ci](char a, char b) {
    return ci ? std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b))
              : a == b;
  };
  // Iterative wildcard match with backtracking to the last '%'.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '_' || (pattern[p] != '%' && eq(pattern[p], text[t])))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

bool match_string(const Clause& c, const std::string& actual) {
  if (c.op == "IN") return std::find(c.list.begin(), c.list.end(), actual) != c.list.end();
  if (c.op == "NOT IN") return std::find(c.list.begin(), c.list.end(), actual) == c.list.end();
  std::string value = c.numeric ? "" : c.text;
  if (c.numeric)
    bad("Invalid filter: " + c.entity + " '" + c.key + "' needs a quoted string value");
  if (c.op == "=") return actual == value;
  if (c.op == "!=") return actual != value;
  if (c.op == "LIKE") return like(actual, value, false);
  if (c.op == "ILIKE") return like(actual, value, true);
  bad("Invalid comparator '" + c.op + "' for string " + c.entity + " '" + c.key + "'");
}

bool match_number(const Clause& c, double actual) {
  if (!c.numeric) bad("Invalid filter: " + c.entity + " '" + c.key + "' needs a numeric value");
  if (c.op == "=") return actual == c.number;
  if (c.op == "!=") return actual != c.number;
  if (c.op == ">") return actual > c.number;
  if (c.op == ">=") return actual >= c.number;
  if (c.op == "<") return actual < c.number;
  if (c.op == "<=") return actual <= c.number;
  bad("Invalid comparator '" + c.op + "' for numeric " + c.entity + " '" + c.key + "'");
}

namespace {
const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string encode_page_token(int64_t offset) {
  std::string in = "{\"offset\": " + std::to_string(offset) + "}";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kB64[n & 63] : '=';
  }
  return out;
}

int64_t decode_page_token(const std::string& token) {
  if (token.empty()) return 0;
  std::string raw;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : token) {
    if (c == '=') break;
    const char* p = std::strchr(kB64, c);
    if (!p || c == '\0') bad("Invalid page token '" + token + "'");
    buf = (buf << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  auto parsed = nlohmann::json::parse(raw, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("offset") || !parsed["offset"].is_number_integer() ||
      parsed["offset"].get<int64_t>() < 0)
    bad("Invalid page token '" + token + "'");
  return parsed["offset"].get<int64_t>();
}

}  // namespace plinth::tracking
