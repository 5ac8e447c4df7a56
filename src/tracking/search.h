#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::tracking {

// One `<identifier> <op> <value>` clause of a search filter (spec mlflow-rest.md §6).
struct Clause {
  std::string entity;             // "metric", "param", "tag", "attribute" or "dataset"
  std::string key;                // attribute name for bare identifiers
  std::string op;                 // upper case: = != > >= < <= LIKE ILIKE IN NOT IN
  bool numeric = false;           // the value was an unquoted number
  double number = 0;              // when numeric
  std::string text;               // when a quoted string
  std::vector<std::string> list;  // for IN / NOT IN
};

// Parses `clause AND clause ...`. Throws Error(kInvalidInput) naming the problem.
std::vector<Clause> parse_filter(std::string_view filter);

struct OrderKey {
  std::string entity;
  std::string key;
  bool ascending = true;
};

// Parses one order_by item: `<identifier> [ASC|DESC]`.
OrderKey parse_order_by(std::string_view item);

// The comparators MLflow allows for numbers, strings, and strings that may be listed.
inline const std::vector<std::string> kNumericComparators = {"=", "!=", ">", ">=", "<", "<="};
inline const std::vector<std::string> kStringComparators = {"=", "!=", "LIKE", "ILIKE"};
inline const std::vector<std::string> kStringListComparators = {"=",     "!=", "LIKE",
                                                                "ILIKE", "IN", "NOT IN"};

// Throws Error(kInvalidInput) unless `clause.op` is one of `allowed`.
void check_comparator(const Clause& clause, const std::vector<std::string>& allowed);

// `actual <op> clause` for strings (=, !=, LIKE, ILIKE, IN, NOT IN) and numbers.
bool match_string(const Clause& clause, const std::string& actual);
bool match_number(const Clause& clause, double actual);

// `s` with ASCII letters lowercased (keywords, stage names, aliases).
std::string ascii_lower(std::string s);

// A value to sort search results by: absent, a number or a string.
struct SortValue {
  bool present = false;
  bool numeric = false;
  double number = 0;
  std::string text;

  static SortValue of(double v) { return {true, true, v, {}}; }
  static SortValue of(std::string v) { return {true, false, 0, std::move(v)}; }
};

// Stable-sorts `rows` by `keys` in order, each row's value for a key being extract(row, key).
// Rows without a value sort last whatever the direction, as MLflow's do.
template <typename T, typename Extract>
void sort_by(std::vector<T>& rows, const std::vector<OrderKey>& keys, Extract extract) {
  std::stable_sort(rows.begin(), rows.end(), [&](const T& a, const T& b) {
    for (const auto& k : keys) {
      SortValue va = extract(a, k), vb = extract(b, k);
      if (va.present != vb.present) return va.present;
      if (!va.present) continue;
      int c = va.numeric ? (va.number < vb.number   ? -1
                            : va.number > vb.number ? 1
                                                    : 0)
                         : va.text.compare(vb.text);
      if (c != 0) return k.ascending ? c < 0 : c > 0;
    }
    return false;
  });
}

// SQL LIKE: '%' any run, '_' one character.
bool like(std::string_view text, std::string_view pattern, bool case_insensitive);

// Opaque page tokens: base64 of {"offset": N}, as MLflow writes them. decode throws
// Error(kInvalidInput) for a token it did not make; "" decodes to 0.
std::string encode_page_token(int64_t offset);
int64_t decode_page_token(const std::string& token);

// Applies an offset token and a page size to `all`, returning the page and the next token.
template <typename T>
std::vector<T> paginate(std::vector<T> all, int64_t max_results, const std::string& token,
                        std::string& next_token) {
  int64_t offset = decode_page_token(token);
  std::vector<T> page;
  int64_t end = max_results > 0 ? offset + max_results : static_cast<int64_t>(all.size());
  for (int64_t i = offset; i < end && i < static_cast<int64_t>(all.size()); ++i)
    page.push_back(std::move(all[i]));
  next_token = end < static_cast<int64_t>(all.size()) ? encode_page_token(end) : "";
  return page;
}

}  // namespace plinth::tracking
