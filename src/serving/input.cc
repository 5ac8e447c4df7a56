#include "serving/input.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "core/error.h"
#include "model/field_problem.h"
#include "table/csv.h"

namespace plinth::serving {
using nlohmann::json;
using table::ColumnType;

std::vector<InputField> input_fields(const model::ModelPackage& package) {
  std::vector<InputField> fields;
  for (const auto& spec : package.preprocessing) {
    InputField f;
    f.name = spec.column;
    bool categorical = spec.kind == model::FeatureSpec::Kind::kOneHot ||
                       spec.kind == model::FeatureSpec::Kind::kOrdinal;
    if (categorical)
      f.type = ColumnType::kString;
    else if (spec.type == ColumnType::kInt64 || spec.type == ColumnType::kBool ||
             spec.type == ColumnType::kString)
      f.type = spec.type;
    if (auto it = package.constraints.find(spec.column); it != package.constraints.end())
      f.constraint = it->second;
    fields.push_back(std::move(f));
  }
  return fields;
}

json FieldError::to_json() const {
  json j = {{"loc", loc}, {"msg", msg}, {"type", type}};
  if (!ctx.is_null()) j["ctx"] = ctx;
  return j;
}

std::string kserve_datatype(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return "INT64";
    case ColumnType::kBool:
      return "BOOL";
    case ColumnType::kString:
      return "BYTES";
    default:
      return "FP64";
  }
}

namespace {

using Problem = model::FieldProblem;

std::optional<double> number_from_text(const std::string& s, bool integer) {
  const char* begin = s.c_str();
  while (*begin == ' ' || *begin == '\t') ++begin;
  if (!*begin) return std::nullopt;
  char* end = nullptr;
  double v =
      integer ? static_cast<double>(std::strtoll(begin, &end, 10)) : std::strtod(begin, &end);
  while (*end == ' ' || *end == '\t') ++end;
  if (*end) return std::nullopt;
  return v;
}

std::optional<Problem> outside(const InputField& f, double v, const json& given) {
  if (!f.constraint) return std::nullopt;
  return model::number_problem(*f.constraint, v, given);
}

const std::set<std::string>& true_words() {
  static const std::set<std::string> words = {"1", "on", "t", "true", "y", "yes"};
  return words;
}
const std::set<std::string>& false_words() {
  static const std::set<std::string> words = {"0", "off", "f", "false", "n", "no"};
  return words;
}

// Appends `v` to `c`, the column of `f`, or says why it does not fit (the column then gets a
// null so that rows stay aligned).
std::optional<Problem> append_value(table::Column& c, const InputField& f, const json& v,
                                    bool null_allowed) {
  auto fail = [&](Problem p) -> std::optional<Problem> {
    c.push_null();
    return p;
  };
  if (v.is_null()) {
    if (null_allowed) {
      c.push_null();
      return std::nullopt;
    }
    return fail({"type_error.none.not_allowed", "none is not an allowed value", nullptr});
  }
  switch (f.type) {
    case ColumnType::kString: {
      std::string s;
      if (v.is_string())
        s = v.get<std::string>();
      else if (v.is_number())
        s = v.dump();
      else
        return fail({"type_error.str", "str type expected", nullptr});
      if (f.constraint)
        if (auto p = model::text_problem(*f.constraint, s)) return fail(*p);
      c.str.push_back(s);
      if (!c.valid.empty()) c.valid.push_back(1);
      return std::nullopt;
    }
    case ColumnType::kBool: {
      std::optional<bool> b;
      if (v.is_boolean()) {
        b = v.get<bool>();
      } else if (v.is_number_integer() || v.is_number_unsigned()) {
        int64_t i = v.get<int64_t>();
        if (i == 0 || i == 1) b = i == 1;
      } else if (v.is_string()) {
        std::string s = v.get<std::string>();
        for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (true_words().count(s)) b = true;
        if (false_words().count(s)) b = false;
      }
      if (!b) return fail({"type_error.bool", "value could not be parsed to a boolean", nullptr});
      c.b.push_back(*b);
      if (!c.valid.empty()) c.valid.push_back(1);
      return std::nullopt;
    }
    default:
      break;
  }
  bool integer = f.type == ColumnType::kInt64;
  std::optional<double> number;
  if (v.is_number_integer() || v.is_number_unsigned()) {
    number = v.get<double>();
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!integer || std::floor(d) == d) number = d;
  } else if (v.is_string()) {
    number = number_from_text(v.get<std::string>(), integer);
  }
  if (!number)
    return fail(integer ? Problem{"type_error.integer", "value is not a valid integer", nullptr}
                        : Problem{"type_error.float", "value is not a valid float", nullptr});
  if (auto p = outside(f, *number, v)) return fail(*p);
  if (integer)
    c.i64.push_back(static_cast<int64_t>(*number));
  else
    c.f64.push_back(*number);
  if (!c.valid.empty()) c.valid.push_back(1);
  return std::nullopt;
}

std::vector<table::Column> empty_columns(const std::vector<InputField>& fields, size_t rows) {
  std::vector<table::Column> columns;
  columns.reserve(fields.size());
  for (const auto& f : fields) {
    columns.emplace_back(f.name, f.type);
    columns.back().reserve(rows, f.type == ColumnType::kString ? rows * 16 : 0);
  }
  return columns;
}

// One object of named values as a row; pydantic's errors located under `loc`.
void append_record(std::vector<table::Column>& columns, const std::vector<InputField>& fields,
                   const json& record, const json& loc, std::vector<FieldError>& errors) {
  if (!record.is_object()) {
    if (record.is_null())  // FastAPI: a null body is a missing body
      errors.push_back({loc, "field required", "value_error.missing", nullptr});
    else
      errors.push_back({loc, "value is not a valid dict", "type_error.dict", nullptr});
    for (auto& c : columns) c.push_null();
    return;
  }
  for (size_t k = 0; k < fields.size(); ++k) {
    json where = loc;
    where.push_back(fields[k].name);
    auto it = record.find(fields[k].name);
    if (it == record.end()) {
      errors.push_back({where, "field required", "value_error.missing", nullptr});
      columns[k].push_null();
      continue;
    }
    if (auto p = append_value(columns[k], fields[k], *it, false))
      errors.push_back({where, p->msg, p->type, p->ctx});
  }
}

[[noreturn]] void bad(const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, message);
}

std::string row_problem(size_t row, const InputField& f, const json& v, const Problem& p) {
  std::string shown = v.dump();
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return "row " + std::to_string(row + 1) + ", column '" + f.name + "': " + p.msg + " (got " +
         shown + ")";
}

// Rows given as objects, for the MLflow and KServe forms: MLflow's rules (nulls allowed as
// missing values, errors as one message).
table::Table from_records(const std::vector<InputField>& fields, const json& records,
                          const std::string& where) {
  if (!records.is_array()) bad(where + " must be a list of records (objects of column values)");
  auto columns = empty_columns(fields, records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    if (!r.is_object())
      bad(where + "[" + std::to_string(i) + "] is " + std::string(r.type_name()) +
          ", expected an object of column values");
    for (size_t k = 0; k < fields.size(); ++k) {
      auto it = r.find(fields[k].name);
      if (it == r.end())
        bad("row " + std::to_string(i + 1) + " lacks column '" + fields[k].name +
            "' that the model's signature needs");
      if (auto p = append_value(columns[k], fields[k], *it, true))
        bad(row_problem(i, fields[k], *it, *p));
    }
  }
  return table::Table(std::move(columns));
}

// Columns given by name, each a list of values (MLflow "inputs" as an object).
table::Table from_columns(const std::vector<InputField>& fields, const json& object) {
  auto columns = empty_columns(fields, 0);
  std::optional<size_t> rows;
  for (size_t k = 0; k < fields.size(); ++k) {
    auto it = object.find(fields[k].name);
    if (it == object.end())
      bad("inputs lacks column '" + fields[k].name + "' that the model's signature needs");
    json values = it->is_array() ? *it : json::array({*it});
    if (rows && *rows != values.size())
      bad("inputs: column '" + fields[k].name + "' has " + std::to_string(values.size()) +
          " values but the columns before it have " + std::to_string(*rows));
    rows = values.size();
    for (size_t i = 0; i < values.size(); ++i)
      if (auto p = append_value(columns[k], fields[k], values[i], true))
        bad(row_problem(i, fields[k], values[i], *p));
  }
  return table::Table(std::move(columns));
}

}  // namespace

PredictInput parse_predict(const std::vector<InputField>& fields, const json& body) {
  PredictInput in;
  in.single = !body.is_array();
  size_t rows = in.single ? 1 : body.size();
  auto columns = empty_columns(fields, rows);
  if (in.single) {
    append_record(columns, fields, body, json::array({"body"}), in.errors);
  } else {
    for (size_t i = 0; i < rows; ++i)
      append_record(columns, fields, body[i], json::array({"body", i}), in.errors);
  }
  in.table = table::Table(std::move(columns));
  return in;
}

table::Table parse_invocations_json(const std::vector<InputField>& fields, const json& body) {
  if (!body.is_object())
    bad("the body must be a JSON object with one of the keys dataframe_split, dataframe_records, "
        "instances or inputs");
  static const char* kKeys[] = {"dataframe_split", "dataframe_records", "instances", "inputs"};
  std::vector<std::string> given;
  for (const char* key : kKeys)
    if (body.contains(key)) given.push_back(key);
  if (given.size() != 1)
    bad(given.empty() ? "the body has none of the keys dataframe_split, dataframe_records, "
                        "instances or inputs; send one of them (MLflow's scoring protocol)"
                      : "the body has both '" + given[0] + "' and '" + given[1] +
                            "'; send exactly one input format");
  const std::string& key = given[0];
  const json& v = body.at(key);
  if (key == "dataframe_split") {
    if (!v.is_object() || !v.contains("columns") || !v.contains("data") ||
        !v["columns"].is_array() || !v["data"].is_array())
      bad("dataframe_split must be an object with 'columns' (a list of names) and 'data' (a "
          "list of rows)");
    const json& names = v["columns"];
    json records = json::array();
    for (size_t i = 0; i < v["data"].size(); ++i) {
      const json& row = v["data"][i];
      if (!row.is_array() || row.size() != names.size())
        bad("dataframe_split: row " + std::to_string(i + 1) + " has " +
            std::to_string(row.is_array() ? row.size() : 1) + " values but there are " +
            std::to_string(names.size()) + " columns");
      json record = json::object();
      for (size_t k = 0; k < names.size(); ++k) {
        if (!names[k].is_string()) bad("dataframe_split: column names must be strings");
        record[names[k].get<std::string>()] = row[k];
      }
      records.push_back(std::move(record));
    }
    return from_records(fields, records, "dataframe_split");
  }
  if (key == "inputs" && v.is_object()) return from_columns(fields, v);
  return from_records(fields, v, key);
}

table::Table parse_invocations_csv(const std::vector<InputField>& fields, std::string_view csv) {
  table::CsvReadOptions options;
  for (const auto& f : fields) options.types[f.name] = f.type;
  table::Table t = table::parse_csv(csv, options, "the CSV body");
  std::vector<std::string> names;
  for (const auto& f : fields) names.push_back(f.name);
  table::check_columns_exist(t.schema(), names, "the CSV body");
  table::Table selected = t.select(names);
  for (auto& c : selected.columns()) c.materialize_strings();
  return selected;
}

table::Table parse_kserve(const std::vector<InputField>& fields, const json& body) {
  if (!body.is_object() || !body.contains("inputs") || !body["inputs"].is_array())
    bad("the body must be an object with 'inputs', a list of tensors {name, shape, datatype, "
        "data} (Open Inference Protocol v2)");
  std::map<std::string, const json*> tensors;
  for (const auto& t : body["inputs"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("data"))
      bad("every input tensor needs a 'name' and 'data'");
    tensors[t["name"].get<std::string>()] = &t;
  }
  auto columns = empty_columns(fields, 0);
  std::optional<size_t> rows;
  for (size_t k = 0; k < fields.size(); ++k) {
    auto it = tensors.find(fields[k].name);
    if (it == tensors.end())
      bad("no input tensor named '" + fields[k].name + "'; the model needs one per input: " + [&] {
        std::string list;
        for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f.name;
        return list;
      }());
    const json& t = *it->second;
    std::string expected = kserve_datatype(fields[k].type);
    if (t.contains("datatype") && t["datatype"] != expected &&
        !(expected == "FP64" &&
          (t["datatype"] == "FP32" || t["datatype"] == "INT64" || t["datatype"] == "INT32")) &&
        !(expected == "INT64" && t["datatype"] == "INT32"))
      bad("input tensor '" + fields[k].name + "' has datatype " + t["datatype"].dump() +
          "; the model expects " + expected);
    json data = t["data"];
    // Row-major data may come nested ([[1], [2]]): flatten one level of singletons.
    json flat = json::array();
    for (const auto& x : data.is_array() ? data : json::array({data}))
      if (x.is_array() && x.size() == 1)
        flat.push_back(x[0]);
      else
        flat.push_back(x);
    if (t.contains("shape")) {
      const json& shape = t["shape"];
      size_t n = 1;
      bool ok = shape.is_array() && !shape.empty() && shape.size() <= 2;
      for (const auto& d : ok ? shape : json::array()) {
        if (!d.is_number_unsigned())
          ok = false;
        else
          n *= d.get<size_t>();
      }
      if (ok && shape.size() == 2 && shape[1] != 1) ok = false;
      if (!ok || n != flat.size())
        bad("input tensor '" + fields[k].name + "' has shape " + shape.dump() + " and " +
            std::to_string(flat.size()) + " values; give shape [N] or [N, 1] with N values");
    }
    if (rows && *rows != flat.size())
      bad("input tensor '" + fields[k].name + "' has " + std::to_string(flat.size()) +
          " values but the tensors before it have " + std::to_string(*rows));
    rows = flat.size();
    for (size_t i = 0; i < flat.size(); ++i)
      if (auto p = append_value(columns[k], fields[k], flat[i], false))
        bad("input tensor '" + fields[k].name + "', element " + std::to_string(i) + ": " + p->msg +
            " (got " + flat[i].dump() + ")");
  }
  return table::Table(std::move(columns));
}

}  // namespace plinth::serving
