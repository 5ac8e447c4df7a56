#include "model/field_problem.h"

#include <cmath>
#include <cstdint>

namespace plinth::model {
using nlohmann::json;

namespace {

// A bound as pydantic prints it: 0, not 0.0.
json limit_json(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

// A value outside an `in` list, as pydantic words a Literal. The list is text in MLmodel; for a
// number field its entries are numbers.
FieldProblem not_permitted(const Constraint& c, const json& given, bool numbers) {
  json permitted = json::array();
  std::string list;
  for (const auto& p : c.in) {
    json number = numbers ? json::parse(p, nullptr, false) : json();
    permitted.push_back(number.is_number() ? number : json(p));
    list += (list.empty() ? "" : ", ") + permitted.back().dump();
  }
  return {"value_error.const",
          "unexpected value; permitted: " + list,
          {{"given", given}, {"permitted", permitted}}};
}

}  // namespace

std::optional<FieldProblem> number_problem(const Constraint& c, double v, const json& given) {
  auto bound = [](const char* type, const char* words, double limit) {
    return FieldProblem{
        std::string("value_error.number.") + type,
        std::string("ensure this value is ") + words + " " + limit_json(limit).dump(),
        {{"limit_value", limit_json(limit)}}};
  };
  if (c.gt && !(v > *c.gt)) return bound("not_gt", "greater than", *c.gt);
  if (c.ge && !(v >= *c.ge)) return bound("not_ge", "greater than or equal to", *c.ge);
  if (c.lt && !(v < *c.lt)) return bound("not_lt", "less than", *c.lt);
  if (c.le && !(v <= *c.le)) return bound("not_le", "less than or equal to", *c.le);
  if (!c.in.empty() && !c.allows(v)) return not_permitted(c, given, true);
  return std::nullopt;
}

std::optional<FieldProblem> text_problem(const Constraint& c, const std::string& v) {
  if (c.in.empty() || c.allows(v)) return std::nullopt;
  return not_permitted(c, v, false);
}

}  // namespace plinth::model
