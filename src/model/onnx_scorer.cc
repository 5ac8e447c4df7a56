// OnnxScorer: table columns in, the graph run, Scores out.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "core/thread_pool.h"
#include "model/onnx/model.h"
#include "model/onnx_flavor.h"
#include "model/onnx_roles.h"
#include "model/preprocess.h"

namespace plinth::model {
using onnx::ElementType;
using onnx::Tensor;
using onnx::ValueInfo;

namespace {

// Rows per run of the graph when scoring in parallel.
constexpr size_t kRowsPerTask = 4096;

bool is_real(ElementType t) { return t == ElementType::kFloat || t == ElementType::kDouble; }
bool is_label(ElementType t) { return t != ElementType::kUndefined && !is_real(t); }

// A [N] or [N, 1] tensor.
bool one_column(const ValueInfo& v) {
  return v.shape.size() == 1 || (v.shape.size() == 2 && v.shape[1] == 1);
}

size_t row_width(const Tensor& t) {
  size_t w = 1;
  for (size_t d = 1; d < t.shape.size(); ++d) w *= static_cast<size_t>(t.shape[d]);
  return w;
}

// Rows [begin, end) of `t` along its first axis.
Tensor slice_rows(const Tensor& t, size_t begin, size_t end) {
  Tensor out;
  out.type = t.type;
  out.shape = t.shape;
  out.shape[0] = static_cast<int64_t>(end - begin);
  size_t w = row_width(t);
  auto take = [&](const auto& from, auto& to) {
    if (!from.empty()) to.assign(from.begin() + begin * w, from.begin() + end * w);
  };
  take(t.f, out.f);
  take(t.d, out.d);
  take(t.i, out.i);
  take(t.s, out.s);
  return out;
}

[[noreturn]] void bad_value(const table::Column& c, size_t row, const std::string& source,
                            const std::string& why) {
  throw Error(ErrorCode::kInvalidInput,
              source + " row " + std::to_string(row + 1) + ", column '" + c.name + "': " + why);
}

// One column as the graph input `in` takes it: [N] or [N, 1] of its element type.
Tensor column_tensor(const table::Column& c, const ValueInfo& in, const std::string& source) {
  size_t n = c.size();
  Tensor t;
  t.type = in.type;
  t.shape = {static_cast<int64_t>(n)};
  if (in.shape.size() == 2) t.shape.push_back(1);
  auto number = [&](size_t i) -> double {
    if (c.is_null(i)) return NAN;
    switch (c.type) {
      case table::ColumnType::kFloat64:
        return c.f64[i];
      case table::ColumnType::kBool:
        return c.b[i];
      case table::ColumnType::kString:
        bad_value(c, i, source,
                  "'" + std::string(c.string_at(i)) + "' is text but the model's input '" +
                      in.name + "' is " + onnx::element_type_name(in.type));
      default:
        return static_cast<double>(c.i64[i]);
    }
  };
  if (in.type == ElementType::kFloat) {
    t.f.resize(n);
    for (size_t i = 0; i < n; ++i) t.f[i] = static_cast<float>(number(i));
  } else if (in.type == ElementType::kDouble) {
    t.d.resize(n);
    for (size_t i = 0; i < n; ++i) t.d[i] = number(i);
  } else if (in.type == ElementType::kString) {
    t.s.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (c.is_null(i))
        bad_value(c, i, source,
                  "missing, and the model's text input '" + in.name +
                      "' has no missing value; give a value");
      t.s[i] =
          c.type == table::ColumnType::kString ? std::string(c.string_at(i)) : value_text(c, i);
    }
  } else {
    t.i.resize(n);
    for (size_t i = 0; i < n; ++i) {
      double v = number(i);
      if (std::isnan(v))
        bad_value(c, i, source,
                  "missing, and the model's integer input '" + in.name +
                      "' has no missing value; give a value");
      if (std::floor(v) != v)
        bad_value(c, i, source,
                  value_text(c, i) + " is not a whole number, and the model's input '" + in.name +
                      "' is " + onnx::element_type_name(in.type));
      t.i[i] = static_cast<int64_t>(v);
    }
  }
  return t;
}

}  // namespace

OutputRoles output_roles(const std::vector<ValueInfo>& outputs, const std::filesystem::path& file) {
  OutputRoles r;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const ValueInfo& o = outputs[k];
    int i = static_cast<int>(k);
    if (o.map_sequence) {
      if (r.probability < 0) r.probability = i;
    } else if (is_label(o.type) && one_column(o)) {
      if (r.label < 0) r.label = i;
    } else if (is_real(o.type) && r.value < 0) {
      r.value = i;
    }
  }
  if (r.probability < 0 && r.label >= 0 && r.value >= 0) r.probability = r.value;
  if (r.probability < 0 && r.value >= 0 && probability_width(outputs[r.value]) >= 2)
    r.probability = r.value;
  if (r.label < 0 && r.probability < 0 && r.value < 0) {
    std::string list;
    for (const auto& o : outputs)
      list += (list.empty() ? "" : ", ") + o.name + " (" +
              (o.map_sequence ? std::string("map sequence") : onnx::element_type_name(o.type)) +
              ")";
    throw Error(ErrorCode::kInvalidInput,
                file.string() +
                    ": no output is a prediction Plinth can read (a float tensor, "
                    "an int64 or string label, or ZipMap's class probabilities); it "
                    "has " +
                    list);
  }
  return r;
}

int64_t probability_width(const ValueInfo& o) {
  if (o.map_sequence || o.shape.size() != 2) return 0;
  return std::max<int64_t>(o.shape[1], 0);
}

bool one_tensor_input(const std::vector<ValueInfo>& inputs) {
  return inputs.size() == 1 && inputs[0].shape.size() == 2 && inputs[0].shape[1] != 1;
}

struct OnnxScorer::Impl {
  std::shared_ptr<const onnx::OnnxModel> model;
  std::string file;
  Task task = Task::kBinary;
  std::vector<FeatureSpec> preprocessing;
  bool per_column = true;
  OutputRoles roles;
  std::vector<std::string> classes;
  std::unordered_map<std::string, size_t> class_index;

  // Writes the outputs of rows [begin, begin + n) into `s`.
  void read(const std::vector<onnx::Value>& out, size_t begin, size_t n, Scores& s) const;
};

OnnxScorer::OnnxScorer(const ModelPackage& p) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  if (!p.onnx) throw Error(ErrorCode::kInternal, "ONNX package without its model loaded");
  m.model = p.onnx;
  m.file = p.onnx_file.string();
  m.task = p.task;
  m.preprocessing = p.preprocessing;
  m.classes = p.classes;
  for (size_t k = 0; k < p.classes.size(); ++k) m.class_index[p.classes[k]] = k;
  const auto& inputs = m.model->inputs();
  m.per_column = std::all_of(p.preprocessing.begin(), p.preprocessing.end(), [](const auto& f) {
    return f.kind == FeatureSpec::Kind::kPassthrough;
  });
  if (m.per_column) {
    for (const auto& in : inputs) {
      bool known = std::any_of(p.preprocessing.begin(), p.preprocessing.end(),
                               [&](const auto& f) { return f.column == in.name; });
      if (!known)
        throw Error(ErrorCode::kInvalidInput,
                    m.file + ": the graph's input '" + in.name +
                        "' is not a column of the package's preprocessing; each input of a "
                        "one-input-per-column model is a column of the same name");
      if (!one_column(in))
        throw Error(ErrorCode::kInvalidInput,
                    m.file + ": input '" + in.name +
                        "' is not one column ([N] or [N, 1]); give the package a preprocessing "
                        "that makes its features");
    }
  } else {
    size_t width = feature_names(p.preprocessing).size();
    if (inputs.size() != 1 || inputs[0].shape.size() != 2 || !is_real(inputs[0].type))
      throw Error(ErrorCode::kInvalidInput,
                  m.file + ": the package's preprocessing makes one tensor of " +
                      std::to_string(width) +
                      " features, but the graph does not take one float tensor [N, F]");
    if (inputs[0].shape[1] > 0 && static_cast<size_t>(inputs[0].shape[1]) != width)
      throw Error(ErrorCode::kInvalidInput,
                  m.file + ": its input '" + inputs[0].name + "' takes " +
                      std::to_string(inputs[0].shape[1]) + " features per row, but the " +
                      "preprocessing makes " + std::to_string(width) +
                      "; name one column per feature (--columns) or give a --preprocessing "
                      "that makes " +
                      std::to_string(inputs[0].shape[1]));
  }
  m.roles = output_roles(m.model->outputs(), p.onnx_file);
  if (p.task == Task::kRegression) {
    if (m.roles.value < 0)
      throw Error(ErrorCode::kInvalidInput, m.file + ": a regressor needs a float output");
    return;
  }
  const auto& outputs = m.model->outputs();
  int64_t width = m.roles.probability >= 0 ? probability_width(outputs[m.roles.probability]) : 0;
  bool single = m.roles.probability < 0 && m.roles.value >= 0 && one_column(outputs[m.roles.value]);
  if (m.roles.probability < 0 && !(single && p.task == Task::kBinary))
    throw Error(ErrorCode::kInvalidInput,
                m.file +
                    ": a classifier needs class probabilities (ZipMap or a float [N, C] "
                    "tensor), or for two classes one probability column");
  if (width > 0 && static_cast<size_t>(width) != p.classes.size())
    throw Error(ErrorCode::kInvalidInput, m.file + ": the graph gives " + std::to_string(width) +
                                              " class probabilities but the package names " +
                                              std::to_string(p.classes.size()) + " classes");
}

OnnxScorer::~OnnxScorer() = default;

void OnnxScorer::Impl::read(const std::vector<onnx::Value>& out, size_t begin, size_t n,
                            Scores& s) const {
  auto tensor = [&](int k) -> const Tensor& {
    const Tensor* t = std::get_if<Tensor>(&out[static_cast<size_t>(k)]);
    if (!t || t->elements() != n * row_width(*t))
      throw Error(ErrorCode::kInternal,
                  file + ": output " + std::to_string(k) + " has not the shape the graph declares");
    return *t;
  };
  auto real = [](const Tensor& t, size_t i) {
    return t.type == ElementType::kDouble ? t.d[i] : static_cast<double>(t.f[i]);
  };
  if (task == Task::kRegression) {
    const Tensor& t = tensor(roles.value);
    size_t w = row_width(t);
    for (size_t i = 0; i < n; ++i) s.values[begin + i] = real(t, i * w);
    return;
  }
  size_t classes_n = classes.size();
  // probability of class c in row i
  std::vector<double> probs(n * classes_n);
  if (roles.probability < 0) {  // one column: the probability of the second class
    const Tensor& t = tensor(roles.value);
    for (size_t i = 0; i < n; ++i) {
      probs[i * 2 + 1] = real(t, i);
      probs[i * 2] = 1 - probs[i * 2 + 1];
    }
  } else if (const auto* maps = std::get_if<onnx::MapSequence>(&out[roles.probability])) {
    size_t keys = maps->int_keys ? maps->int_labels.size() : maps->text_labels.size();
    std::vector<size_t> column(keys);
    for (size_t k = 0; k < keys; ++k) {
      std::string key = maps->int_keys ? std::to_string(maps->int_labels[k]) : maps->text_labels[k];
      auto it = class_index.find(key);
      if (it == class_index.end() || maps->rows != n)
        throw Error(ErrorCode::kInvalidInput, file +
                                                  ": the model's class probabilities name class '" +
                                                  key + "', which the package does not list");
      column[k] = it->second;
    }
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < keys; ++k)
        probs[i * classes_n + column[k]] = maps->values[i * keys + k];
  } else {
    const Tensor& t = tensor(roles.probability);
    size_t w = row_width(t);
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < std::min(w, classes_n); ++c)
        probs[i * classes_n + c] = real(t, i * w + c);
  }
  if (task == Task::kBinary) {
    for (size_t i = 0; i < n; ++i) s.values[begin + i] = probs[i * 2 + 1];
  } else {
    std::copy(probs.begin(), probs.end(), s.values.begin() + begin * classes_n);
  }
  if (roles.label < 0) return;
  const Tensor& label = tensor(roles.label);
  for (size_t i = 0; i < n; ++i) {
    std::string key = label.type == ElementType::kString ? label.s[i] : std::to_string(label.i[i]);
    auto it = class_index.find(key);
    if (it == class_index.end())
      throw Error(ErrorCode::kInvalidInput, file + ": the model labelled a row '" + key +
                                                "', a class the package does not list");
    s.label_index[begin + i] = static_cast<double>(it->second);
  }
}

Scores OnnxScorer::predict(const table::Table& t, const std::string& source,
                           core::ThreadPool* pool) const {
  const Impl& m = *impl_;
  Scores s;
  s.rows = t.num_rows();
  s.width = m.task == Task::kMulticlass ? m.classes.size() : 1;
  s.values.assign(s.rows * s.width, 0.0);
  if (m.task != Task::kRegression && m.roles.label >= 0) s.label_index.assign(s.rows, 0.0);
  std::vector<Tensor> inputs;
  if (m.per_column) {
    check_inputs(m.preprocessing, t.schema(), source);
    for (const auto& in : m.model->inputs())
      inputs.push_back(column_tensor(t.column(in.name), in, source));
  } else {
    FeatureMatrix x = transform(m.preprocessing, t, source);
    s.unknown = x.unknown;
    Tensor in;
    in.type = m.model->inputs()[0].type;
    in.shape = {static_cast<int64_t>(x.rows), static_cast<int64_t>(x.cols)};
    if (in.type == ElementType::kDouble)
      in.d.assign(x.values.begin(), x.values.end());
    else
      in.f = std::move(x.values);
    inputs.push_back(std::move(in));
  }
  if (s.rows == 0) return s;
  size_t tasks = (s.rows + kRowsPerTask - 1) / kRowsPerTask;
  if (!pool || tasks == 1) {
    m.read(m.model->run(std::move(inputs)), 0, s.rows, s);
    return s;
  }
  pool->parallel_for(tasks, [&](size_t k) {
    size_t begin = k * kRowsPerTask, end = std::min(s.rows, begin + kRowsPerTask);
    std::vector<Tensor> part;
    for (const auto& in : inputs) part.push_back(slice_rows(in, begin, end));
    m.read(m.model->run(std::move(part)), begin, end - begin, s);
  });
  return s;
}

}  // namespace plinth::model
