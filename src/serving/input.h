#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/package.h"
#include "table/table.h"

// Requests to model inputs: the JSON and CSV bodies of /predict, /invocations and KServe v2
// become a table with one column per model input, checked against the package's signature
// (types) and declared constraints. Everything here is pure, so the fuzzer drives it directly.
namespace plinth::serving {

// One input of the model as a request must send it.
struct InputField {
  std::string name;
  table::ColumnType type = table::ColumnType::kFloat64;  // kFloat64, kInt64, kBool or kString
  std::optional<model::Constraint> constraint;
};

// The package's inputs in signature order, with their training types and constraints.
std::vector<InputField> input_fields(const model::ModelPackage& package);

// One validation error in FastAPI's (pydantic 1) shape:
// {"loc": ["body", "hour_of_day"], "msg": "field required", "type": "value_error.missing"}.
struct FieldError {
  nlohmann::json loc;
  std::string msg, type;
  nlohmann::json ctx;  // null or an object, e.g. {"limit_value": 0}
  nlohmann::json to_json() const;
};

// The rows a /predict body holds: one object, or an array of objects (`single` tells which).
// Values are checked as FastAPI's pydantic model of the signature would: a missing field, a
// null, a wrong type or a value outside a constraint is an error; extra fields are ignored.
// Numbers may be given as numeric strings (as pydantic accepts); an integer field refuses a
// fractional value instead of truncating it. An unknown category is not an error.
struct PredictInput {
  table::Table table;
  bool single = true;
  std::vector<FieldError> errors;  // non-empty: answer 422 with {"detail": errors}
};
PredictInput parse_predict(const std::vector<InputField>& fields, const nlohmann::json& body);

// MLflow's scoring protocol (/invocations): {"dataframe_split": {"columns", "data"}},
// {"dataframe_records": [...]}, {"instances": [...]} or {"inputs": ...} (records, or an object
// of columns). Throws Error(kInvalidInput) naming the row and column at fault.
table::Table parse_invocations_json(const std::vector<InputField>& fields,
                                    const nlohmann::json& body);
// A text/csv body with a header line.
table::Table parse_invocations_csv(const std::vector<InputField>& fields, std::string_view csv);

// An Open Inference Protocol (KServe v2) infer request: {"inputs": [{"name", "shape",
// "datatype", "data"}]}, one tensor per model input, each of shape [N] or [N, 1]. Throws
// Error(kInvalidInput) naming the tensor at fault.
table::Table parse_kserve(const std::vector<InputField>& fields, const nlohmann::json& body);

// The KServe v2 datatype of a column type: FP64, INT64, BOOL, BYTES.
std::string kserve_datatype(table::ColumnType type);

}  // namespace plinth::serving
