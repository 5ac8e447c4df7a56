#include "model/onnx_flavor.h"

#include <onnx/onnx_pb.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "model/onnx/kernel.h"
#include "model/onnx/model.h"
#include "model/onnx_roles.h"

namespace plinth::model {
namespace fs = std::filesystem;
using onnx::ElementType;
using onnx::ValueInfo;

namespace {

bool has_flavor(const YAML::Node& mlmodel, const char* name) {
  return mlmodel["flavors"] && mlmodel["flavors"][name];
}

YAML::Node load_mlmodel(const fs::path& file) {
  try {
    return YAML::LoadFile(file.string());
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCode::kInvalidInput, file.string() + ": " + e.what());
  }
}

::onnx::ModelProto read_proto(const fs::path& file) {
  ::onnx::ModelProto proto;
  std::ifstream in(file, std::ios::binary);
  if (!in || !proto.ParseFromIstream(&in))
    throw Error(ErrorCode::kInvalidInput,
                file.string() + " is not an ONNX model (protobuf ModelProto) Plinth can read");
  return proto;
}

std::vector<std::string> label_texts(const onnx::Tensor& t) {
  std::vector<std::string> out;
  if (t.type == ElementType::kString) return t.s;
  for (int64_t v : t.i) out.push_back(std::to_string(v));
  return out;
}

// The class labels the graph declares: ZipMap's keys, else the constant an ArrayFeatureExtractor
// picks the label from, else a classifier operator's `classlabels_*`.
std::vector<std::string> declared_classes(const ::onnx::ModelProto& proto, const fs::path& file) {
  const auto& graph = proto.graph();
  auto labels_of = [](const ::onnx::NodeProto& node) {
    std::vector<std::string> out;
    for (const auto& a : node.attribute()) {
      if (a.name() == "classlabels_strings")
        for (const auto& s : a.strings()) out.push_back(s);
      if (a.name() == "classlabels_int64s" || a.name() == "classlabels_ints")
        for (int64_t v : a.ints()) out.push_back(std::to_string(v));
    }
    return out;
  };
  for (const auto& node : graph.node())
    if (node.op_type() == "ZipMap") return labels_of(node);
  for (const auto& node : graph.node()) {
    if (node.op_type() != "ArrayFeatureExtractor" || node.input_size() < 1) continue;
    for (const auto& init : graph.initializer())
      if (init.name() == node.input(0) &&
          (init.data_type() == static_cast<int>(ElementType::kInt64) ||
           init.data_type() == static_cast<int>(ElementType::kString)))
        return label_texts(
            onnx::tensor_from_proto(init, file.string(), file.parent_path().string()));
  }
  for (const auto& node : graph.node())
    if (node.domain() == "ai.onnx.ml")
      if (auto out = labels_of(node); !out.empty()) return out;
  return {};
}

table::ColumnType column_type(ElementType t) {
  switch (t) {
    case ElementType::kFloat:
    case ElementType::kDouble:
      return table::ColumnType::kFloat64;
    case ElementType::kString:
      return table::ColumnType::kString;
    case ElementType::kBool:
      return table::ColumnType::kBool;
    default:
      return table::ColumnType::kInt64;
  }
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + (shape[i] < 0 ? std::string("N") : std::to_string(shape[i]));
  return out + "]";
}

// The MLmodel signature's column names and types, when it is a list of named columns.
std::vector<std::pair<std::string, std::string>> signature_columns(const YAML::Node& mlmodel,
                                                                   const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!mlmodel["signature"] || !mlmodel["signature"]["inputs"]) return out;
  try {
    auto inputs = nlohmann::json::parse(mlmodel["signature"]["inputs"].as<std::string>());
    for (const auto& i : inputs) {
      if (!i.contains("name") || i.value("type", "") == "tensor") return {};
      out.emplace_back(i["name"].get<std::string>(), i.value("type", "double"));
    }
  } catch (const std::exception& e) {
    throw Error(ErrorCode::kInvalidInput, file.string() + ": signature inputs: " + e.what());
  }
  return out;
}

// How the plain model's inputs become columns.
std::vector<FeatureSpec> plain_inputs(const std::vector<ValueInfo>& inputs,
                                      const YAML::Node& mlmodel, const fs::path& mlmodel_file,
                                      const fs::path& file) {
  std::vector<FeatureSpec> specs;
  if (one_tensor_input(inputs)) {
    const ValueInfo& in = inputs[0];
    int64_t width = in.shape[1];
    auto columns = signature_columns(mlmodel, mlmodel_file);
    if (columns.empty() || (width > 0 && columns.size() != static_cast<size_t>(width)))
      throw Error(ErrorCode::kInvalidInput,
                  file.string() + " takes one tensor '" + in.name + "' of shape " +
                      shape_text(in.shape) +
                      " and nothing names its columns; import it with `plinth models import " +
                      file.string() +
                      " --columns A,B,...` (numbers) or `--preprocessing FILE` (encodings)");
    for (const auto& [name, type] : columns) {
      if (type == "string")
        throw Error(ErrorCode::kInvalidInput,
                    mlmodel_file.string() + ": column '" + name + "' is text but " + file.string() +
                        " takes one float tensor; import it with `plinth models " +
                        "import --preprocessing FILE` to say how the text becomes numbers");
      FeatureSpec f;
      f.column = name;
      f.type = type == "long" || type == "integer" ? table::ColumnType::kInt64
                                                   : table::ColumnType::kFloat64;
      specs.push_back(std::move(f));
    }
    return specs;
  }
  for (const auto& in : inputs) {
    FeatureSpec f;
    f.column = in.name;
    f.kind = FeatureSpec::Kind::kPassthrough;
    f.type = column_type(in.type);
    specs.push_back(std::move(f));
  }
  return specs;
}

}  // namespace

bool is_plain_onnx(const fs::path& path) {
  if (fs::is_regular_file(path)) return true;
  if (!fs::is_directory(path)) return false;
  fs::path mlmodel = path / "MLmodel";
  if (!fs::exists(mlmodel)) return fs::exists(path / kOnnxFile);
  YAML::Node root = load_mlmodel(mlmodel);
  return has_flavor(root, "onnx") && !has_flavor(root, "plinth");
}

void load_onnx_model(ModelPackage& p, const fs::path& file) {
  if (!fs::is_regular_file(file))
    throw Error(ErrorCode::kNotFound, "no ONNX model at " + file.string());
  p.onnx_file = fs::absolute(file);
  p.onnx = std::make_shared<const onnx::OnnxModel>(onnx::OnnxModel::load(file));
}

ModelPackage read_plain_onnx(const fs::path& path, const OnnxImportOptions& options) {
  ModelPackage p;
  p.flavor = "onnx";
  YAML::Node mlmodel;
  fs::path file = path, mlmodel_file = path / "MLmodel";
  if (fs::is_directory(path)) {
    file = path / kOnnxFile;
    if (fs::exists(mlmodel_file)) {
      mlmodel = load_mlmodel(mlmodel_file);
      file = path / mlmodel["flavors"]["onnx"]["data"].as<std::string>(kOnnxFile);
      p.model_uuid = mlmodel["model_uuid"].as<std::string>("");
      p.run_id = mlmodel["run_id"].as<std::string>("");
      p.created = mlmodel["utc_time_created"].as<std::string>("");
    }
  }
  try {
    load_onnx_model(p, file);
  } catch (const Error& e) {
    if (fs::is_regular_file(path) && path.extension() != ".onnx")
      throw Error(
          e.code(),
          path.string() + " is neither a model package folder nor an ONNX model: " + e.what());
    throw;
  }
  if (p.model_uuid.empty()) p.model_uuid = core::md5_file(p.onnx_file);  // the version served
  const onnx::OnnxModel& m = *p.onnx;
  auto producer = m.metadata().find("producer_name");
  p.algorithm =
      producer != m.metadata().end() && !producer->second.empty() ? producer->second : "onnx";
  p.preprocessing = options.preprocessing.empty()
                        ? plain_inputs(m.inputs(), mlmodel, mlmodel_file, p.onnx_file)
                        : options.preprocessing;

  OutputRoles roles = output_roles(m.outputs(), p.onnx_file);
  bool classifier = options.task ? *options.task != Task::kRegression
                                 : roles.label >= 0 || roles.probability >= 0;
  if (!classifier && roles.label >= 0)
    throw Error(ErrorCode::kInvalidInput, p.onnx_file.string() + " labels its rows (output '" +
                                              m.outputs()[roles.label].name +
                                              "'): it is a classifier, not a regressor");
  if (!classifier) {
    p.task = Task::kRegression;
    p.target = p.outputs.label = "prediction";
    p.target_type = table::ColumnType::kFloat64;
    return p;
  }
  p.target = p.outputs.label = "label";
  p.outputs.probability = "probability";
  bool text_labels = roles.label >= 0 && m.outputs()[roles.label].type == ElementType::kString;
  p.target_type = text_labels ? table::ColumnType::kString : table::ColumnType::kInt64;
  p.classes = options.classes.empty() ? declared_classes(read_proto(p.onnx_file), p.onnx_file)
                                      : options.classes;
  if (p.classes.empty()) {
    int64_t width = roles.probability >= 0 ? probability_width(m.outputs()[roles.probability])
                    : options.task == Task::kBinary ? 2
                                                    : 0;
    if (text_labels || width < 2)
      throw Error(ErrorCode::kInvalidInput,
                  p.onnx_file.string() +
                      ": cannot tell the model's class labels from the graph; import it with "
                      "`plinth models import --classes A,B,...`");
    for (int64_t c = 0; c < width; ++c) p.classes.push_back(std::to_string(c));
  }
  if (p.classes.size() < 2)
    throw Error(ErrorCode::kInvalidInput,
                p.onnx_file.string() + ": a classifier of one class cannot be scored");
  p.task = p.classes.size() == 2 ? Task::kBinary : Task::kMulticlass;
  if (options.task && *options.task != p.task)
    throw Error(ErrorCode::kInvalidInput,
                p.onnx_file.string() + " has " + std::to_string(p.classes.size()) +
                    " classes, so it is not a " + task_name(*options.task) + " model");
  return p;
}

void emit_onnx_flavors(YAML::Emitter& y) {
  y << YAML::Key << "onnx" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "code" << YAML::Value << YAML::Null;
  y << YAML::Key << "data" << YAML::Value << kOnnxFile;
  y << YAML::Key << "onnx_session_options" << YAML::Value << YAML::Null;
  y << YAML::Key << "providers" << YAML::Value << YAML::BeginSeq << "CPUExecutionProvider"
    << YAML::EndSeq;
  y << YAML::EndMap;
  y << YAML::Key << "python_function" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "data" << YAML::Value << kOnnxFile;
  y << YAML::Key << "loader_module" << YAML::Value << "mlflow.onnx";
  y << YAML::EndMap;
}

void copy_onnx_files(const ModelPackage& p, const fs::path& dir) {
  core::write_file_atomic(dir / kOnnxFile, core::read_file(p.onnx_file));
  std::set<std::string> copied;
  ::onnx::ModelProto proto = read_proto(p.onnx_file);
  for (const auto& init : proto.graph().initializer())
    for (const auto& kv : init.external_data())
      if (kv.key() == "location" && copied.insert(kv.value()).second) {
        fs::path target = dir / kv.value();
        fs::create_directories(target.parent_path());
        core::write_file_atomic(target, core::read_file(p.onnx_file.parent_path() / kv.value()));
      }
}

}  // namespace plinth::model
