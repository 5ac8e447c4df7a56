#include "repo/yaml_scalar.h"

#include <cstdio>
#include <limits>
#include <regex>

namespace plinth::repo {
namespace {

// A port of ruamel.yaml 0.19's Emitter (analyze_scalar, choose_scalar_style, write_plain,
// write_single_quoted, write_double_quoted) for one scalar in block context. Text is handled
// as code points, as Python's str is.

constexpr int kBestWidth = 80;

std::u32string decode(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = s[i + k];
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {  // not UTF-8: the byte as Python's surrogateescape decodes it
      out += static_cast<char32_t>(0xdc00 + c);
      ++i;
      continue;
    }
    out += cp;
    i += len;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp >= 0xdc80 && cp <= 0xdcff) {  // a surrogate-escaped byte goes back as that byte
    out += static_cast<char>(cp - 0xdc00);
  } else if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool is_break(char32_t c) { return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }
bool is_space_or_break(char32_t c) { return c == ' ' || is_break(c); }
bool is_blank(char32_t c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c); }
bool printable_unicode(char32_t c) {
  return (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
         (c >= 0x10000 && c <= 0x10ffff);
}

// What a plain scalar reads back as under ruamel's YAML 1.2 resolver: only a string may be
// written plain. The resolvers are tried by the first character, as ruamel does.
bool resolves_to_string(const std::string& s) {
  static const std::regex kBool("^(?:true|True|TRUE|false|False|FALSE)$");
  static const std::regex kFloat(
      R"(^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?)"
      R"(|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?)"
      R"(|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$)");
  static const std::regex kInt(
      "^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$");
  static const std::regex kNull("^(?:~|null|Null|NULL|)$");
  static const std::regex kTimestamp(
      R"(^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])"
      R"(|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?)"
      R"(:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$)");
  if (s.empty()) return false;  // null
  char c = s[0];
  auto first_in = [&](const char* set) { return std::string(set).find(c) != std::string::npos; };
  if (first_in("tTfF") && std::regex_match(s, kBool)) return false;
  if (first_in("-+0123456789.") && std::regex_match(s, kFloat)) return false;
  if (first_in("-+0123456789") && std::regex_match(s, kInt)) return false;
  if (s == "<<" || s == "=" || s == "!" || s == "&" || s == "*") return false;
  if (first_in("~nN") && std::regex_match(s, kNull)) return false;
  if (first_in("0123456789") && std::regex_match(s, kTimestamp)) return false;
  return true;
}

struct Analysis {
  bool multiline = false;
  bool allow_block_plain = true;
  bool allow_single_quoted = true;
};

Analysis analyze(const std::u32string& s) {
  Analysis a;
  if (s.empty()) return a;
  bool block_indicators = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false,
       break_space = false, space_break = false;
  if (s.starts_with(U"---") || s.starts_with(U"...")) block_indicators = true;
  bool preceded_by_ws = true;
  bool followed_by_ws = s.size() == 1 || is_blank(s[1]);
  bool previous_space = false, previous_break = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t ch = s[i];
    if (i == 0) {
      if (std::u32string(U"#,[]{}&*!|>'\"%@`").find(ch) != std::u32string::npos)
        block_indicators = true;
      if ((ch == '?' || ch == ':') && followed_by_ws) block_indicators = true;
      if (ch == '-' && followed_by_ws) block_indicators = true;
    } else {
      if (ch == ':' && followed_by_ws) block_indicators = true;
      if (ch == '#' && preceded_by_ws) block_indicators = true;
    }
    if (is_break(ch)) line_breaks = true;
    if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7e)) &&
        !((ch == 0x85 || printable_unicode(ch)) && ch != 0xfeff))
      special = true;
    if (ch == ' ') {
      if (i == 0) leading_space = true;
      if (i == s.size() - 1) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(ch)) {
      if (i == 0) leading_break = true;
      if (i == s.size() - 1) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_ws = is_blank(ch);
    followed_by_ws = i + 2 >= s.size() || is_blank(s[i + 2]);
  }
  if (leading_space || leading_break || trailing_space || trailing_break)
    a.allow_block_plain = false;
  if (break_space || special || space_break) a.allow_block_plain = a.allow_single_quoted = false;
  if (line_breaks || block_indicators) a.allow_block_plain = false;
  a.multiline = line_breaks;
  return a;
}

class Writer {
 public:
  Writer(std::u32string text, int column, int indent, bool split)
      : text_(std::move(text)), column_(column), indent_(indent), split_(split) {}

  std::string plain() {
    bool spaces = false;
    size_t start = 0, n = text_.size();
    for (size_t end = 0; end <= n; ++end) {
      char32_t ch = end < n ? text_[end] : 0;
      bool none = end == n;
      if (spaces) {
        if (ch != ' ' || none) {
          if (start + 1 == end && column_ >= kBestWidth && split_) {
            write_indent();
            whitespace_ = indention_ = false;
          } else {
            write(start, end);
          }
          start = end;
        }
      } else if (none || is_space_or_break(ch)) {
        if (static_cast<int>(end - start) + column_ > kBestWidth && column_ > indent_)
          write_indent();
        write(start, end);
        start = end;
      }
      if (!none) spaces = ch == ' ';
    }
    return out_;
  }

  std::string single_quoted() {
    write(U"'");
    bool spaces = false, breaks = false;
    size_t start = 0, n = text_.size();
    for (size_t end = 0; end <= n; ++end) {
      bool none = end == n;
      char32_t ch = none ? 0 : text_[end];
      if (spaces) {
        if (none || ch != ' ') {
          if (start + 1 == end && column_ > kBestWidth && split_ && start != 0 && end != n)
            write_indent();
          else
            write(start, end);
          start = end;
        }
      } else if (breaks) {
        if (none || !is_break(ch)) {
          if (text_[start] == '\n') line_break(U'\n');
          for (size_t i = start; i < end; ++i) line_break(text_[i]);
          write_indent();
          start = end;
        }
      } else if (none || is_space_or_break(ch) || ch == '\'') {
        if (start < end) {
          write(start, end);
          start = end;
        }
      }
      if (ch == '\'' && !none) {
        write(U"''");
        start = end + 1;
      }
      if (!none) {
        spaces = ch == ' ';
        breaks = is_break(ch);
      }
    }
    write(U"'");
    return out_;
  }

  std::string double_quoted() {
    write(U"\"");
    size_t start = 0, n = text_.size();
    for (size_t end = 0; end <= n; ++end) {
      bool none = end == n;
      char32_t ch = none ? 0 : text_[end];
      if (none || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 ||
          ch == 0xfeff || !((ch >= 0x20 && ch <= 0x7e) || printable_unicode(ch))) {
        if (start < end) {
          write(start, end);
          start = end;
        }
        if (!none) {
          write(escape(ch));
          start = end + 1;
        }
      }
      if (end > 0 && end + 1 < n && (ch == ' ' || start >= end) &&
          column_ + static_cast<int>(end - start) > kBestWidth && split_) {
        bool need_backslash = true;
        size_t space = text_.find(U' ', end);
        if (space != std::u32string::npos) {
          size_t nl = text_.substr(0, space).find(U'\n', end);
          if (nl != std::u32string::npos) space = nl;
          // ruamel reads text[space + 1]; past the end that is an IndexError: keep the `\`.
          if (space + 1 < n && !(text_[space] == '\n' && text_[space + 1] != ' ')) {
            std::u32string word = text_.substr(end, space - end);
            if (word.find(U'"') == std::u32string::npos &&
                word.find(U'\'') == std::u32string::npos && text_[space + 1] != ' ' &&
                text_[space + 1] != '\n' && text_.substr(end - 1, 2) != U"  " && start != end)
              need_backslash = false;
          }
        }
        // After an escape `start` is past `end`: Python's text[start:end] is then empty.
        std::u32string data = start < end ? text_.substr(start, end - start) : U"";
        if (need_backslash) data += U"\\";
        if (start < end) start = end;
        write(data);
        write_indent();
        whitespace_ = indention_ = false;
        if (text_[start] == ' ') {
          if (!need_backslash) ++start;
          if (need_backslash) write(U"\\");
        }
      }
    }
    write(U"\"");
    return out_;
  }

 private:
  static std::u32string escape(char32_t ch) {
    static const std::pair<char32_t, char> kShort[] = {
        {0, '0'},     {0x07, 'a'}, {0x08, 'b'}, {0x09, 't'},   {0x0a, 'n'},
        {0x0b, 'v'},  {0x0c, 'f'}, {0x0d, 'r'}, {0x1b, 'e'},   {'"', '"'},
        {'\\', '\\'}, {0x85, 'N'}, {0xa0, '_'}, {0x2028, 'L'}, {0x2029, 'P'}};
    for (const auto& [from, to] : kShort)
      if (ch == from) return std::u32string(U"\\") + static_cast<char32_t>(to);
    char buf[16];
    if (ch <= 0xff)
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(ch));
    else if (ch <= 0xffff)
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(ch));
    else
      std::snprintf(buf, sizeof buf, "\\U%08X", static_cast<unsigned>(ch));
    return std::u32string(buf, buf + std::char_traits<char>::length(buf));
  }

  void write(size_t start, size_t end) { write(text_.substr(start, end - start)); }
  void write(const std::u32string& data) {
    for (char32_t c : data) append_utf8(out_, c);
    column_ += static_cast<int>(data.size());
  }
  void line_break(char32_t br) {
    append_utf8(out_, br);
    whitespace_ = indention_ = true;
    column_ = 0;
  }
  void write_indent() {
    if (!indention_ || column_ > indent_ || (column_ == indent_ && !whitespace_)) line_break(U'\n');
    if (column_ < indent_) {
      whitespace_ = true;
      out_ += std::string(indent_ - column_, ' ');
      column_ = indent_;
    }
  }

  std::u32string text_;
  std::string out_;
  int column_;
  int indent_;
  bool split_;
  bool whitespace_ = false;  // after "key: " or "- ", as ruamel's state is there
  bool indention_ = false;
};

std::string emit(const std::string& text, int column, int indent, bool key) {
  std::u32string s = decode(text);
  Analysis a = analyze(s);
  if (resolves_to_string(text) && !(key && (s.empty() || a.multiline)) && a.allow_block_plain)
    return Writer(s, column, indent, !key).plain();
  if (s.find(U'\'') != std::u32string::npos || s.find(U'\n') != std::u32string::npos ||
      !a.allow_single_quoted || (key && a.multiline))
    return Writer(s, column, indent, !key).double_quoted();
  return Writer(s, column, indent, !key).single_quoted();
}

}  // namespace

std::string yaml_scalar(const std::string& text, int column, int indent) {
  return emit(text, column, indent, false);
}

// ruamel never folds a key; an indent no column reaches keeps the word check from breaking it.
std::string yaml_key(const std::string& text) {
  return emit(text, 0, std::numeric_limits<int>::max(), true);
}

int yaml_width(const std::string& text) { return static_cast<int>(decode(text).size()); }

}  // namespace plinth::repo
