#pragma once

#include <memory>
#include <string>
#include <vector>

#include "table/table.h"

// The rules flavor: the handbook's level-0 heuristic, a boolean expression over input columns,
//   amount > 5000 and hour_of_day >= 2 and hour_of_day <= 5
//   merchant_category == 'online' or not (distance_from_home < 100)
// Operators: comparisons (< <= > >= == !=) between a column and a number or a quoted string,
// `and`, `or`, `not` and parentheses; `and` binds tighter than `or`. A comparison with a
// missing value is false.
namespace plinth::model {

class Rule {
 public:
  // Parses `text`; throws Error(kInvalidInput) with the position and what was expected.
  explicit Rule(const std::string& text);
  ~Rule();
  Rule(Rule&&) noexcept;
  Rule& operator=(Rule&&) noexcept;

  const std::string& text() const { return text_; }
  // The columns the expression reads, in order of first use.
  const std::vector<std::string>& columns() const { return columns_; }
  // 1 where the expression holds, row by row. Throws Error naming a missing column or a
  // comparison of a text column with a number (or the reverse). `source` names the file.
  std::vector<uint8_t> evaluate(const table::Table& t, const std::string& source) const;

  struct Node;

 private:
  std::string text_;
  std::vector<std::string> columns_;
  std::unique_ptr<Node> root_;
};

// The best single-threshold rule `column > t` (or `<`) over the numeric `columns` by F1 on the
// 0/1 `labels`, trying the 1st..99th percentiles: what a team would write on day one.
std::string learn_rule(const table::Table& t, const std::vector<std::string>& columns,
                       const std::vector<double>& labels);

}  // namespace plinth::model
