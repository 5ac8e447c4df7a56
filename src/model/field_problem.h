#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "model/package.h"

// Why a value does not fit a model input, in the words of FastAPI's (pydantic 1) validation
// errors: what /predict answers with and what the Python package raises, so both say the same.
namespace plinth::model {

struct FieldProblem {
  std::string type;    // e.g. "value_error.number.not_gt"
  std::string msg;     // e.g. "ensure this value is greater than 0"
  nlohmann::json ctx;  // null or an object, e.g. {"limit_value": 0}
};

// A number outside `c` (its bounds, then its `in` list); nullopt when it fits. `given` is the
// value as sent, shown back in an `in` list's error.
std::optional<FieldProblem> number_problem(const Constraint& c, double v,
                                           const nlohmann::json& given);

// A string outside `c`'s `in` list; nullopt when it fits.
std::optional<FieldProblem> text_problem(const Constraint& c, const std::string& v);

}  // namespace plinth::model
