#include "model/rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "monitor/quality.h"

namespace plinth::model {

struct Rule::Node {
  enum class Op { kAnd, kOr, kNot, kLt, kLe, kGt, kGe, kEq, kNe } op;
  std::unique_ptr<Node> a, b;
  std::string column;  // comparisons
  bool is_text = false;
  double number = 0;
  std::string text;
};

namespace {
using Node = Rule::Node;
using Op = Node::Op;

class Parser {
 public:
  Parser(const std::string& s, std::vector<std::string>& columns) : s_(s), columns_(columns) {}

  std::unique_ptr<Node> parse() {
    auto n = parse_or();
    skip_space();
    if (pos_ != s_.size()) fail("'and', 'or' or the end of the rule");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) {
    throw Error(ErrorCode::kInvalidInput, "rule '" + s_ + "': at character " +
                                              std::to_string(pos_ + 1) + " expected " + expected);
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool keyword(const char* word) {
    skip_space();
    size_t n = std::char_traits<char>::length(word);
    if (s_.compare(pos_, n, word) != 0) return false;
    if (pos_ + n < s_.size() &&
        (std::isalnum(static_cast<unsigned char>(s_[pos_ + n])) || s_[pos_ + n] == '_'))
      return false;
    pos_ += n;
    return true;
  }
  std::unique_ptr<Node> binary(Op op, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto n = std::make_unique<Node>();
    n->op = op;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  std::unique_ptr<Node> parse_or() {
    auto n = parse_and();
    while (keyword("or")) n = binary(Op::kOr, std::move(n), parse_and());
    return n;
  }
  std::unique_ptr<Node> parse_and() {
    auto n = parse_not();
    while (keyword("and")) n = binary(Op::kAnd, std::move(n), parse_not());
    return n;
  }
  std::unique_ptr<Node> parse_not() {
    if (keyword("not")) return binary(Op::kNot, parse_not(), nullptr);
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      auto n = parse_or();
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ')') fail("')'");
      ++pos_;
      return n;
    }
    return parse_comparison();
  }
  std::unique_ptr<Node> parse_comparison() {
    auto n = std::make_unique<Node>();
    skip_space();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    if (start == pos_ || std::isdigit(static_cast<unsigned char>(s_[start]))) {
      pos_ = start;
      fail("a column name");
    }
    n->column = s_.substr(start, pos_ - start);
    if (std::find(columns_.begin(), columns_.end(), n->column) == columns_.end())
      columns_.push_back(n->column);
    skip_space();
    static const std::pair<const char*, Op> ops[] = {{"<=", Op::kLe}, {">=", Op::kGe},
                                                     {"==", Op::kEq}, {"!=", Op::kNe},
                                                     {"<", Op::kLt},  {">", Op::kGt}};
    bool found = false;
    for (auto [text, op] : ops)
      if (s_.compare(pos_, std::char_traits<char>::length(text), text) == 0) {
        n->op = op;
        pos_ += std::char_traits<char>::length(text);
        found = true;
        break;
      }
    if (!found) fail("a comparison (<, <=, >, >=, ==, !=)");
    skip_space();
    if (pos_ < s_.size() && (s_[pos_] == '\'' || s_[pos_] == '"')) {
      char quote = s_[pos_++];
      size_t end = s_.find(quote, pos_);
      if (end == std::string::npos) fail("a closing quote");
      n->is_text = true;
      n->text = s_.substr(pos_, end - pos_);
      pos_ = end + 1;
      return n;
    }
    const char* begin = s_.c_str() + pos_;
    char* end = nullptr;
    n->number = std::strtod(begin, &end);
    if (end == begin) fail("a number or a quoted string");
    pos_ += static_cast<size_t>(end - begin);
    return n;
  }

  const std::string& s_;
  std::vector<std::string>& columns_;
  size_t pos_ = 0;
};

template <typename T>
bool compare(Op op, const T& x, const T& y) {
  switch (op) {
    case Op::kLt:
      return x < y;
    case Op::kLe:
      return x <= y;
    case Op::kGt:
      return x > y;
    case Op::kGe:
      return x >= y;
    case Op::kEq:
      return x == y;
    default:
      return x != y;
  }
}

std::vector<uint8_t> eval(const Node& n, const table::Table& t, const std::string& source) {
  size_t rows = t.num_rows();
  if (n.op == Op::kAnd || n.op == Op::kOr) {
    auto a = eval(*n.a, t, source), b = eval(*n.b, t, source);
    for (size_t i = 0; i < rows; ++i) a[i] = n.op == Op::kAnd ? (a[i] & b[i]) : (a[i] | b[i]);
    return a;
  }
  if (n.op == Op::kNot) {
    auto a = eval(*n.a, t, source);
    for (auto& v : a) v = !v;
    return a;
  }
  if (!t.find(n.column))
    throw Error(ErrorCode::kNotFound,
                "the rule reads column '" + n.column + "', which " + source + " lacks");
  const table::Column& c = t.column(n.column);
  std::vector<uint8_t> out(rows, 0);
  if ((c.type == table::ColumnType::kString) != n.is_text)
    throw Error(ErrorCode::kInvalidInput, "the rule compares column '" + n.column + "' (" +
                                              std::string(table::type_name(c.type)) + ") with " +
                                              (n.is_text ? "text" : "a number") +
                                              "; quote text values, not numbers");
  if (n.is_text) {
    for (size_t i = 0; i < rows; ++i)
      out[i] = !c.is_null(i) && compare(n.op, c.string_at(i), std::string_view(n.text));
    return out;
  }
  std::vector<double> v = monitor::numeric_values(c, source);
  for (size_t i = 0; i < rows; ++i) out[i] = !std::isnan(v[i]) && compare(n.op, v[i], n.number);
  return out;
}

}  // namespace

Rule::Rule(const std::string& text) : text_(text) { root_ = Parser(text_, columns_).parse(); }
Rule::~Rule() = default;
Rule::Rule(Rule&&) noexcept = default;
Rule& Rule::operator=(Rule&&) noexcept = default;

std::vector<uint8_t> Rule::evaluate(const table::Table& t, const std::string& source) const {
  return eval(*root_, t, source);
}

std::string learn_rule(const table::Table& t, const std::vector<std::string>& columns,
                       const std::vector<double>& labels) {
  double best_f1 = -1;
  std::string best;
  for (const auto& name : columns) {
    const table::Column& c = t.column(name);
    if (c.type != table::ColumnType::kFloat64 && c.type != table::ColumnType::kInt64) continue;
    std::vector<double> v = monitor::numeric_values(c, "the training data"), sorted;
    for (double x : v)
      if (!std::isnan(x)) sorted.push_back(x);
    if (sorted.empty()) continue;
    std::sort(sorted.begin(), sorted.end());
    for (int pct = 1; pct < 100; ++pct) {
      double cut = sorted[sorted.size() * pct / 100];
      for (bool above : {true, false}) {
        double tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < v.size(); ++i) {
          bool hit = !std::isnan(v[i]) && (above ? v[i] > cut : v[i] < cut);
          bool y = labels[i] == 1;
          if (hit)
            (y ? tp : fp) += 1;
          else if (y)
            fn += 1;
        }
        double f1 = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
        if (f1 > best_f1) {
          best_f1 = f1;
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", cut);
          best = name + (above ? " > " : " < ") + buf;
        }
      }
    }
  }
  if (best.empty())
    throw Error(ErrorCode::kInvalidInput,
                "no numeric column to build a rule from; give one with --params (rule: ...)");
  return best;
}

}  // namespace plinth::model
