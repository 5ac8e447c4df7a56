// plinth._plinth: the C++ side of the `plinth` Python package. The Python side (plinth/
// __init__.py) turns pandas, pyarrow and numpy inputs into Arrow C streams or arrays and the
// results into DataFrames and Tables; everything between runs here without the GIL.
#include <Python.h>
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "arrow_import.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "model/field_problem.h"
#include "model/package.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "monitor/quality.h"
#include "monitor/report.h"
#include "monitor/table_drift.h"
#include "registry/model_source.h"
#include "table/table_io.h"

namespace nb = nanobind;
using nlohmann::json;

namespace plinth::python {
namespace {

const char* const kSource = "the input";

// Inputs that do not fit the model, with /predict's error list ({loc, msg, type, ctx}).
struct ValidationFailure {
  std::string message;
  json errors;
};

PyObject* error_type = nullptr;
PyObject* validation_error_type = nullptr;

std::string code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid_input";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kCorrupted:
      return "corrupted";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kLocked:
      return "locked";
    case ErrorCode::kPermission:
      return "permission";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

void raise(PyObject* type, const std::string& message, const char* attr, nb::object value) {
  nb::object exc = nb::steal(PyObject_CallFunction(type, "s", message.c_str()));
  if (!exc.is_valid()) return;  // the constructor failed and set its own exception
  nb::setattr(exc, attr, value);
  PyErr_SetObject(type, exc.ptr());
}

void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const ValidationFailure& f) {
    nb::object errors = nb::module_::import_("json").attr("loads")(f.errors.dump());
    raise(validation_error_type, f.message, "errors", errors);
  } catch (const Error& e) {
    raise(error_type, e.what(), "code", nb::str(code_name(e.code()).c_str()));
  }
}

enum class OnInvalid { kError, kSkip, kNull };

OnInvalid parse_on_invalid(const std::string& s) {
  if (s == "error") return OnInvalid::kError;
  if (s == "skip") return OnInvalid::kSkip;
  if (s == "null") return OnInvalid::kNull;
  throw Error(ErrorCode::kInvalidInput,
              "on_invalid='" + s + "': expected 'error', 'skip' or 'null'");
}

// One pydantic-style error per line, as pydantic prints a ValidationError.
std::string describe(const json& errors) {
  size_t n = errors.size();
  std::string out =
      std::to_string(n) + " validation error" + (n == 1 ? "" : "s") + " for the model's input";
  for (const auto& e : errors) {
    const json& loc = e["loc"];
    std::string where = loc.back().get<std::string>();
    if (loc.size() == 2) where += " (row " + std::to_string(loc[0].get<int64_t>()) + ")";
    out += "\n" + where + "\n  " + e["msg"].get<std::string>() +
           " (type=" + e["type"].get<std::string>();
    if (e.contains("ctx"))
      for (const auto& [k, v] : e["ctx"].items()) out += "; " + k + "=" + v.dump();
    out += ")";
  }
  return out;
}

// Throws ValidationFailure for inputs the table lacks: FastAPI's "field required" each.
void check_required(const model::ModelPackage& p, const std::vector<std::string>& names) {
  json errors = json::array();
  for (const auto& column : p.input_columns())
    if (std::find(names.begin(), names.end(), column) == names.end())
      errors.push_back(
          {{"loc", {column}}, {"msg", "field required"}, {"type", "value_error.missing"}});
  if (!errors.empty()) {
    std::string have;
    for (const auto& n : names) have += (have.empty() ? "" : ", ") + n;
    throw ValidationFailure{describe(errors) + "\nthe input has: " + have, errors};
  }
}

// Flags rows whose values break the package's constraints; collects the first such row per
// column as /predict's error (loc [row, column], rows from 0).
std::vector<uint8_t> constraint_flags(const model::ModelPackage& p, const table::Table& t,
                                      json& errors) {
  std::vector<uint8_t> invalid(t.num_rows(), 0);
  for (const auto& [name, rule] : p.constraints) {
    auto index = t.find(name);
    if (!index) continue;
    const table::Column& c = t.column(*index);
    std::optional<model::FieldProblem> first;
    size_t first_row = 0, count = 0;
    auto flag = [&](size_t row, std::optional<model::FieldProblem> problem) {
      if (!problem) return;
      invalid[row] = 1;
      if (count++ == 0) first = std::move(problem), first_row = row;
    };
    if (c.type == table::ColumnType::kString) {
      for (size_t i = 0; i < c.size(); ++i)
        if (!c.is_null(i)) flag(i, model::text_problem(rule, std::string(c.string_at(i))));
    } else {
      std::vector<double> v = monitor::numeric_values(c, kSource);
      for (size_t i = 0; i < v.size(); ++i)
        if (!std::isnan(v[i])) flag(i, model::number_problem(rule, v[i], v[i]));
    }
    if (!first) continue;
    json e = {{"loc", {first_row, name}}, {"msg", first->msg}, {"type", first->type}};
    if (!first->ctx.is_null()) e["ctx"] = first->ctx;
    if (count > 1) e["rows"] = count;
    errors.push_back(std::move(e));
  }
  return invalid;
}

struct Prediction {
  std::vector<table::Column> outputs;  // one value per scored row
  std::vector<double> scores;          // rows x width: probabilities or values
  size_t width = 1;
  std::vector<uint8_t> invalid;  // on_invalid null: rows whose predictions are null
  std::vector<int64_t> kept;     // on_invalid skip: the input rows that were scored
  bool skip = false;
};

template <typename T>
nb::object numpy(std::vector<T>&& values, size_t cols = 1) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  size_t rows = cols ? owned->size() / cols : 0;
  if (cols == 1)
    return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(owned->data(), {rows}, owner));
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<2>>(owned->data(), {rows, cols}, owner));
}

nb::object column_to_python(table::Column&& c) {
  switch (c.type) {
    case table::ColumnType::kFloat64:
      return numpy(std::move(c.f64));
    case table::ColumnType::kInt64:
      return numpy(std::move(c.i64));
    case table::ColumnType::kBool: {
      auto* owned = new std::vector<uint8_t>(std::move(c.b));
      nb::capsule owner(owned,
                        [](void* p) noexcept { delete static_cast<std::vector<uint8_t>*>(p); });
      return nb::cast(nb::ndarray<nb::numpy, bool, nb::ndim<1>>(
          reinterpret_cast<bool*>(owned->data()), {owned->size()}, owner));
    }
    default: {
      nb::list out;
      for (size_t i = 0; i < c.size(); ++i) {
        std::string_view s = c.string_at(i);
        out.append(nb::str(s.data(), s.size()));
      }
      return out;
    }
  }
}

class Model {
 public:
  Model(const std::string& location, size_t threads, const std::string& engine) {
    path_ = location;
    if (registry::is_model_uri(location)) {
      registry::ResolvedModel r = registry::resolve_model(location);
      path_ = r.folder.string();
      name_ = r.name;
      version_ = r.version;
    }
    package_ = model::read_package(path_);
    if (engine != "compiled" && engine != "xgboost")
      throw Error(ErrorCode::kInvalidInput,
                  "engine='" + engine + "': expected 'compiled' or 'xgboost'");
    threads_ = threads ? threads : core::default_jobs();
    predictor_ = std::make_unique<model::Predictor>(
        package_, engine == "xgboost" ? model::Engine::kXgboost : model::Engine::kCompiled,
        threads_);
  }

  // Checks, scores and builds the output columns; runs without the GIL.
  Prediction predict(table::Table t, OnInvalid mode) const {
    std::vector<std::string> names;
    for (const auto& c : t.columns()) names.push_back(c.name);
    check_required(package_, names);
    json errors = json::array();
    Prediction out;
    std::vector<uint8_t> invalid = constraint_flags(package_, t, errors);
    if (!errors.empty() && mode == OnInvalid::kError)
      throw ValidationFailure{
          describe(errors) +
              "\nfix or drop these rows, or predict with on_invalid='skip' or 'null'",
          errors};
    if (!errors.empty() && mode == OnInvalid::kSkip) {
      std::vector<size_t> rows;
      for (size_t i = 0; i < invalid.size(); ++i)
        if (!invalid[i]) rows.push_back(i), out.kept.push_back(static_cast<int64_t>(i));
      t = model::take_rows(t, rows);
    } else if (mode == OnInvalid::kSkip) {
      out.kept.resize(t.num_rows());
      for (size_t i = 0; i < out.kept.size(); ++i) out.kept[i] = static_cast<int64_t>(i);
    }
    out.skip = mode == OnInvalid::kSkip;
    if (!errors.empty() && mode == OnInvalid::kNull) out.invalid = std::move(invalid);
    if (t.num_rows() == 0) {  // typed, empty outputs (the input's types may be unknown)
      for (const auto& f : package_.output_schema()) out.outputs.emplace_back(f.name, f.type);
      out.scores.clear();
      return out;
    }
    model::Scores s = predictor_->predict(t, kSource);
    out.outputs = predictor_->outputs(s);
    out.width = s.width;
    out.scores = std::move(s.values);
    return out;
  }

  nb::dict to_python(Prediction&& p) const {
    nb::dict out, columns;
    for (auto& c : p.outputs) {
      std::string name = c.name;
      columns[name.c_str()] = column_to_python(std::move(c));
    }
    out["columns"] = columns;
    out["scores"] = numpy(std::move(p.scores), p.width);
    out["invalid"] = p.invalid.empty() ? nb::none() : numpy(std::move(p.invalid));
    out["kept"] = p.skip ? numpy(std::move(p.kept)) : nb::none();
    return out;
  }

  // An Arrow C stream (PyCapsule "arrow_array_stream").
  nb::dict predict_stream(nb::object capsule, const std::string& on_invalid) const {
    OnInvalid mode = parse_on_invalid(on_invalid);
    auto* stream =
        static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
    if (!stream) throw nb::python_error();
    ArrowSchema schema{};
    if (stream->get_schema(stream, &schema) != 0) stream_failed(stream);
    std::vector<ArrowArray> arrays;
    for (;;) {
      ArrowArray a{};
      if (stream->get_next(stream, &a) != 0) {
        release(schema, arrays);
        stream_failed(stream);
      }
      if (!a.release) break;
      arrays.push_back(a);
    }
    Prediction p;
    try {
      nb::gil_scoped_release unlocked;
      p = predict(import_all(schema, arrays), mode);
    } catch (...) {
      release(schema, arrays);
      throw;
    }
    release(schema, arrays);
    return to_python(std::move(p));
  }

  // A C-contiguous float64 matrix whose columns are the model's inputs in signature order.
  nb::dict predict_matrix(nb::ndarray<const double, nb::ndim<2>, nb::c_contig> x,
                          const std::string& on_invalid) const {
    OnInvalid mode = parse_on_invalid(on_invalid);
    std::vector<std::string> inputs = package_.input_columns();
    if (x.shape(1) != inputs.size())
      throw Error(ErrorCode::kInvalidInput,
                  "the array has " + std::to_string(x.shape(1)) + " columns but the model has " +
                      std::to_string(inputs.size()) + " inputs (" + join(inputs) +
                      "); pass them in that order, or a DataFrame with those columns");
    for (const auto& spec : package_.preprocessing)
      if (spec.kind == model::FeatureSpec::Kind::kOneHot ||
          spec.kind == model::FeatureSpec::Kind::kOrdinal ||
          spec.type == table::ColumnType::kString)
        throw Error(ErrorCode::kInvalidInput,
                    "the model's input '" + spec.column +
                        "' is categorical (text), which a numpy array of numbers cannot hold; "
                        "pass a pandas DataFrame or pyarrow Table");
    Prediction p;
    {
      nb::gil_scoped_release unlocked;
      size_t rows = x.shape(0), cols = x.shape(1);
      const double* data = x.data();
      std::vector<table::Column> columns;
      for (size_t k = 0; k < cols; ++k) {
        table::Column c(inputs[k], table::ColumnType::kFloat64);
        c.f64.resize(rows);
        for (size_t i = 0; i < rows; ++i) c.f64[i] = data[i * cols + k];
        columns.push_back(std::move(c));
      }
      p = predict(table::Table(std::move(columns)), mode);
    }
    return to_python(std::move(p));
  }

  nb::dict info() const {
    nb::dict d;
    d["path"] = path_;
    d["name"] = name_;
    d["version"] = version_;
    d["flavor"] = package_.flavor;
    d["task"] = model::task_name(package_.task);
    d["engine"] = predictor_->engine_name();
    d["threads"] = threads_;
    d["inputs"] = package_.input_columns();
    std::vector<std::string> outputs;
    for (const auto& f : package_.output_schema()) outputs.push_back(f.name);
    d["outputs"] = outputs;
    d["classes"] = package_.classes;
    return d;
  }

 private:
  static std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  [[noreturn]] static void stream_failed(ArrowArrayStream* stream) {
    const char* why = stream->get_last_error ? stream->get_last_error(stream) : nullptr;
    throw Error(ErrorCode::kInvalidInput,
                std::string("reading the input's Arrow stream failed: ") + (why ? why : "?"));
  }

  static void release(ArrowSchema& schema, std::vector<ArrowArray>& arrays) {
    for (auto& a : arrays)
      if (a.release) a.release(&a);
    if (schema.release) schema.release(&schema);
  }

  static table::Table import_all(const ArrowSchema& schema, const std::vector<ArrowArray>& arrays) {
    if (arrays.empty()) {  // no batches: the columns, without rows
      std::vector<table::Column> columns;
      for (int64_t k = 0; k < schema.n_children; ++k)
        columns.emplace_back(schema.children[k]->name, table::ColumnType::kFloat64);
      return table::Table(std::move(columns));
    }
    std::vector<table::Table> parts;
    for (const auto& a : arrays) parts.push_back(import_record_batch(schema, a));
    return parts.size() == 1 ? std::move(parts[0]) : table::concat(std::move(parts));
  }

  std::string path_, name_, version_;
  model::ModelPackage package_;
  size_t threads_ = 1;
  std::unique_ptr<model::Predictor> predictor_;
};

// A drift side: a file path, or an Arrow C stream capsule.
std::vector<table::Table> read_side(nb::handle side, const std::vector<std::string>& columns) {
  if (PyCapsule_CheckExact(side.ptr())) {
    auto* stream =
        static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(side.ptr(), "arrow_array_stream"));
    if (!stream) throw nb::python_error();
    ArrowSchema schema{};
    if (stream->get_schema(stream, &schema) != 0)
      throw Error(ErrorCode::kInvalidInput, "reading an Arrow stream failed");
    std::vector<table::Table> parts;
    for (;;) {
      ArrowArray a{};
      if (stream->get_next(stream, &a) != 0 || !a.release) break;
      try {
        parts.push_back(import_record_batch(schema, a));
      } catch (...) {
        a.release(&a);
        schema.release(&schema);
        throw;
      }
      a.release(&a);
    }
    schema.release(&schema);
    if (parts.empty()) throw Error(ErrorCode::kInvalidInput, "a drift input has no rows");
    return parts;
  }
  std::string path = nb::cast<std::string>(side);
  table::ReadOptions read;
  read.columns = columns;
  auto reader = table::open_table(path, read);
  std::vector<table::Table> pieces;
  while (auto batch = reader->next()) pieces.push_back(std::move(*batch));
  if (pieces.empty()) {
    std::vector<table::Column> cols;
    for (const auto& f : reader->schema()) cols.emplace_back(f.name, f.type);
    pieces.emplace_back(std::move(cols));
  }
  return pieces;
}

// A drift reference given as a string that names a model (models:/ or runs:/ URI, package folder,
// .onnx file) rather than data: its resolved folder. As `plinth drift --reference` decides.
std::optional<std::filesystem::path> model_reference(nb::handle reference) {
  if (!nb::isinstance<nb::str>(reference)) return std::nullopt;
  std::string text = nb::cast<std::string>(reference);
  if (registry::is_model_uri(text)) {
    nb::gil_scoped_release unlocked;  // may download from a tracking server
    return registry::resolve_model(text).folder;
  }
  if (model::is_model_reference(text)) return std::filesystem::path(text);
  return std::nullopt;
}

std::string drift(nb::handle reference, nb::handle current, const std::string& reference_name,
                  const std::string& current_name, const std::vector<std::string>& columns,
                  const std::string& target, const std::string& prediction,
                  const std::map<std::string, std::string>& stattest,
                  const std::map<std::string, double>& threshold, double drift_share) {
  monitor::TableDriftRequest request{
      columns, {target, prediction}, {}, reference_name, current_name};
  request.options.drift_share = drift_share;
  request.options.distributions = false;
  request.options.stattest = stattest;
  request.options.threshold = threshold;
  std::vector<std::string> wanted = monitor::wanted_columns(request);
  if (auto folder = model_reference(reference)) {
    json profile = model::required_profile(*folder, reference_name);
    std::vector<table::Table> cur = read_side(current, wanted);
    nb::gil_scoped_release unlocked;
    table::Table joined = cur.size() == 1 ? std::move(cur[0]) : table::concat(std::move(cur));
    return monitor::report_json(monitor::compare_with_profile(profile, joined, request).report)
        .dump();
  }
  std::vector<table::Table> ref = read_side(reference, wanted);
  std::vector<table::Table> cur = read_side(current, wanted);
  nb::gil_scoped_release unlocked;
  monitor::TableDrift d = monitor::compare_tables(std::move(ref), std::move(cur), request);
  return monitor::report_json(d.report).dump();
}

}  // namespace
}  // namespace plinth::python

NB_MODULE(_plinth, m) {
  using namespace plinth::python;
  m.doc() = "The C++ core of the plinth package; use the functions of `plinth` instead.";
  error_type = PyErr_NewExceptionWithDoc(
      "plinth.Error", "An error from Plinth; `code` says which kind (e.g. 'not_found').",
      PyExc_Exception, nullptr);
  nb::object bases = nb::make_tuple(nb::handle(error_type), nb::handle(PyExc_ValueError));
  validation_error_type = PyErr_NewExceptionWithDoc(
      "plinth.ValidationError",
      "Input that does not fit the model; `errors` lists the problems as /predict does.",
      bases.ptr(), nullptr);
  m.attr("Error") = nb::handle(error_type);
  m.attr("ValidationError") = nb::handle(validation_error_type);
  nb::register_exception_translator(translate);

  nb::class_<Model>(m, "Model")
      // Resolving a registry URI may download from a server, and compiling trees takes a
      // while: neither touches Python objects.
      .def(nb::init<const std::string&, size_t, const std::string&>(), nb::arg("location"),
           nb::arg("threads") = 0, nb::arg("engine") = "compiled",
           nb::call_guard<nb::gil_scoped_release>())
      .def("predict_stream", &Model::predict_stream, nb::arg("stream"), nb::arg("on_invalid"))
      .def("predict_matrix", &Model::predict_matrix, nb::arg("matrix"), nb::arg("on_invalid"))
      .def("info", &Model::info);
  m.def("drift", &drift, nb::arg("reference"), nb::arg("current"), nb::arg("reference_name"),
        nb::arg("current_name"), nb::arg("columns"), nb::arg("target"), nb::arg("prediction"),
        nb::arg("stattest"), nb::arg("threshold"), nb::arg("drift_share"));
}
