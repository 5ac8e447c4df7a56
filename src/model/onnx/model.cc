#include "model/onnx/model.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <queue>
#include <set>
#include <sstream>

#include "core/error.h"
#include "model/onnx/kernel.h"
#include "model/onnx/ops_common.h"

namespace plinth::model::onnx {
namespace {

// The newest opsets libonnx 1.12's checker knows; newer models are checked by our own pass.
constexpr int64_t kCheckerMaxOnnx = 17, kCheckerMaxMl = 3, kCheckerMaxIr = 8;

const std::vector<OpSupport>& registry() {
  static const std::vector<OpSupport> ops = [] {
    std::vector<OpSupport> all;
    add_tensor_ops(all);
    add_ml_ops(all);
    add_tree_ops(all);
    return all;
  }();
  return ops;
}

std::string domain_name(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx" ? "ai.onnx" : domain;
}

[[noreturn]] void refuse(const std::string& source, const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, source + ": " + message);
}

// The registry entry for a node, or an error saying why there is none.
const OpSupport& find_op(const NodeContext& ctx, const std::string& source) {
  std::string domain = domain_name(ctx.node.domain());
  std::vector<const OpSupport*> same_name;
  for (const auto& op : registry()) {
    if (domain_name(op.domain) != domain || op.op_type != ctx.node.op_type()) continue;
    if (op.since <= ctx.opset && ctx.opset <= op.until) return op;
    same_name.push_back(&op);
  }
  if (same_name.empty())
    refuse(source, ctx.where() + ": Plinth does not run operator " + ctx.node.op_type() +
                       " of domain " + domain +
                       "; docs/models.md lists the operators it runs (convert the model "
                       "without it, or replace it with supported operators)");
  std::string ranges;
  for (const auto* op : same_name)
    ranges +=
        (ranges.empty() ? "" : ", ") + std::to_string(op->since) + "-" + std::to_string(op->until);
  refuse(source, ctx.where() + ": Plinth runs " + ctx.node.op_type() + " only for " + domain +
                     " opsets " + ranges + "; re-export the model with a supported opset");
}

ValueInfo value_info(const ::onnx::ValueInfoProto& proto, bool* has_shape) {
  ValueInfo info;
  info.name = proto.name();
  const auto& type = proto.type();
  const ::onnx::TypeProto_Tensor* tensor = nullptr;
  if (type.has_tensor_type()) {
    tensor = &type.tensor_type();
  } else if (type.has_sequence_type() && type.sequence_type().elem_type().has_map_type()) {
    info.map_sequence = true;
    const auto& value = type.sequence_type().elem_type().map_type().value_type();
    if (value.has_tensor_type())
      info.type = static_cast<ElementType>(value.tensor_type().elem_type());
    *has_shape = false;
    return info;
  }
  *has_shape = tensor && tensor->has_shape();
  if (tensor) {
    info.type = static_cast<ElementType>(tensor->elem_type());
    if (tensor->has_shape())
      for (const auto& dim : tensor->shape().dim())
        info.shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  } else {
    info.type = ElementType::kUndefined;
  }
  return info;
}

// Runs libonnx's checker when it knows every opset the model imports.
void run_checker(const ::onnx::ModelProto& proto, const std::map<std::string, int64_t>& opsets,
                 const std::string& source) {
  if (proto.ir_version() > kCheckerMaxIr) return;
  for (const auto& [domain, version] : opsets) {
    if (domain == "ai.onnx" && version > kCheckerMaxOnnx) return;
    if (domain == "ai.onnx.ml" && version > kCheckerMaxMl) return;
    if (domain != "ai.onnx" && domain != "ai.onnx.ml") return;
  }
  for (const auto& t : proto.graph().initializer())
    if (t.data_location() == ::onnx::TensorProto::EXTERNAL) return;  // we read it ourselves
  // libonnx 1.12 requires a shape on every graph input and output; later ONNX versions and
  // onnxruntime do not, so a checked copy gets empty (unknown-rank) shapes where they are missing.
  auto shapeless = [](const auto& infos) {
    for (const auto& v : infos)
      if (v.type().has_tensor_type() && !v.type().tensor_type().has_shape()) return true;
    return false;
  };
  std::optional<::onnx::ModelProto> filled;
  if (shapeless(proto.graph().input()) || shapeless(proto.graph().output())) {
    filled = proto;
    auto fill = [](auto* infos) {
      for (auto& v : *infos)
        if (v.type().has_tensor_type()) v.mutable_type()->mutable_tensor_type()->mutable_shape();
    };
    fill(filled->mutable_graph()->mutable_input());
    fill(filled->mutable_graph()->mutable_output());
  }
  try {
    ::onnx::checker::check_model(filled ? *filled : proto);
  } catch (const std::exception& e) {
    refuse(source, std::string("the ONNX checker rejects the model: ") + e.what());
  }
}

}  // namespace

struct OnnxModel::Impl {
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::string where;
    std::vector<int> in, out;  // value slots, -1 for an omitted optional value
    std::vector<int> release;  // slots no later step or output reads
  };

  std::vector<ValueInfo> inputs, outputs;
  std::vector<bool> input_has_shape;
  std::map<std::string, std::string> metadata;
  std::vector<int> input_slots, output_slots;
  std::vector<std::unique_ptr<Value>> constants;  // owned by the model, read by every run
  std::vector<const Value*> preset;               // per slot: the constant, or nullptr
  std::vector<Step> steps;

  void check_input(size_t k, const Tensor& t) const;
};

OnnxModel::OnnxModel() : impl_(std::make_unique<Impl>()) {}
OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

OnnxModel OnnxModel::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot open ONNX model " + path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::path dir = path.parent_path();
  return parse(bytes.str(), path.string(), dir.empty() ? std::filesystem::path(".") : dir);
}

OnnxModel OnnxModel::parse(const std::string& bytes, const std::string& source,
                           const std::filesystem::path& base_dir) {
  ::onnx::ModelProto proto;
  if (bytes.empty()) refuse(source, "the file is empty, not an ONNX model");
  if (!proto.ParseFromString(bytes))
    refuse(source,
           "not a valid ONNX model (the protobuf is truncated or corrupt); export it "
           "again");
  if (!proto.has_graph() || proto.graph().node_size() == 0)
    refuse(source, "the ONNX model has no graph (is it an ONNX file?)");
  auto& graph = *proto.mutable_graph();

  OnnxModel model;
  Impl& impl = *model.impl_;
  std::map<std::string, int64_t> opsets;
  for (const auto& o : proto.opset_import()) opsets[domain_name(o.domain())] = o.version();
  if (opsets.empty()) refuse(source, "the model imports no opset (opset_import is empty)");
  std::string opset_text;
  for (const auto& [domain, version] : opsets)
    opset_text += (opset_text.empty() ? "" : ", ") + domain + " " + std::to_string(version);
  impl.metadata["opsets"] = opset_text;
  impl.metadata["ir_version"] = std::to_string(proto.ir_version());
  impl.metadata["producer_name"] = proto.producer_name();
  impl.metadata["producer_version"] = proto.producer_version();
  for (const auto& kv : proto.metadata_props()) impl.metadata[kv.key()] = kv.value();

  run_checker(proto, opsets, source);

  // Name unnamed nodes by position so every error can point at one.
  for (int k = 0; k < graph.node_size(); ++k)
    if (graph.node(k).name().empty()) graph.mutable_node(k)->set_name("#" + std::to_string(k));

  std::map<std::string, int> slot_of;
  auto slot = [&](const std::string& name) {
    auto [it, fresh] = slot_of.emplace(name, static_cast<int>(slot_of.size()));
    if (fresh) impl.preset.push_back(nullptr);
    return it->second;
  };
  std::map<std::string, Tensor> constants;
  auto add_constant = [&](const std::string& name, Value value) {
    if (const auto* t = std::get_if<Tensor>(&value)) constants[name] = *t;
    impl.constants.push_back(std::make_unique<Value>(std::move(value)));
    impl.preset[slot(name)] = impl.constants.back().get();
  };
  for (const auto& init : graph.initializer()) {
    if (constants.count(init.name()))
      refuse(source, "initializer '" + init.name() + "' is defined twice");
    add_constant(
        init.name(),
        tensor_from_proto(init, source + ": initializer '" + init.name() + "'", base_dir.string()));
  }
  for (const auto& input : graph.input()) {
    if (constants.count(input.name())) continue;  // an initializer: a constant, not an input
    if (slot_of.count(input.name()))
      refuse(source, "input '" + input.name() + "' is declared twice");
    bool has_shape = false;
    impl.inputs.push_back(value_info(input, &has_shape));
    const ValueInfo& info = impl.inputs.back();
    if (!input.type().has_tensor_type() || !ops::held_type(info.type))
      refuse(source,
             "input '" + info.name + "' is " +
                 (input.type().has_tensor_type() ? "a tensor of " + element_type_name(info.type)
                                                 : std::string("not a tensor")) +
                 "; Plinth takes tensors of float, double, int64, int32, int8, uint8, bool "
                 "or string");
    impl.input_has_shape.push_back(has_shape);
    impl.input_slots.push_back(slot(input.name()));
  }

  // Topological order (Kahn's algorithm, keeping file order among ready nodes).
  int n = graph.node_size();
  std::map<std::string, int> producer;
  for (int k = 0; k < n; ++k) {
    const auto& node = graph.node(k);
    if (node.output_size() == 0 || node.output(0).empty())
      refuse(source, "node '" + node.name() + "' (" + node.op_type() +
                         ") has no output; every operator Plinth runs writes its first output");
  }
  for (int k = 0; k < n; ++k)
    for (const auto& out : graph.node(k).output()) {
      if (out.empty()) continue;
      if (slot_of.count(out) && !producer.count(out))
        refuse(source, "node '" + graph.node(k).name() + "' (" + graph.node(k).op_type() +
                           ") writes '" + out + "', which is already a graph input or initializer");
      if (!producer.emplace(out, k).second)
        refuse(source, "value '" + out + "' is written by two nodes, '" +
                           graph.node(producer[out]).name() + "' and '" + graph.node(k).name() +
                           "'; an ONNX graph assigns each value once");
    }
  std::vector<int> waiting(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int k = 0; k < n; ++k) {
    const auto& node = graph.node(k);
    for (const auto& in : node.input()) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        ++waiting[k];
        consumers[it->second].push_back(k);
      } else if (!slot_of.count(in)) {
        refuse(source, "node '" + node.name() + "' (" + node.op_type() + ") reads '" + in +
                           "', which no node, input or initializer defines");
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int k = 0; k < n; ++k)
    if (waiting[k] == 0) ready.push(k);
  std::vector<int> order;
  while (!ready.empty()) {
    int k = ready.top();
    ready.pop();
    order.push_back(k);
    for (int c : consumers[k])
      if (--waiting[c] == 0) ready.push(c);
  }
  if (static_cast<int>(order.size()) != n) {
    for (int k = 0; k < n; ++k)
      if (waiting[k] > 0)
        refuse(source, "the graph has a cycle through node '" + graph.node(k).name() + "' (" +
                           graph.node(k).op_type() + "); an ONNX graph must be acyclic");
  }

  // Every node's operator and opset is checked before any kernel is built.
  std::vector<const OpSupport*> support(n, nullptr);
  for (int k : order) {
    const auto& node = graph.node(k);
    std::string domain = domain_name(node.domain());
    auto opset = opsets.find(domain);
    if (opset == opsets.end())
      refuse(source, "node '" + node.name() + "' (" + node.op_type() + ") is in domain " + domain +
                         ", which the model does not import");
    support[k] = &find_op(NodeContext{node, opset->second, constants}, source);
  }
  ops::GraphIndex index;
  for (int k = 0; k < n; ++k)
    for (const auto& in : graph.node(k).input()) index.readers[in].push_back(k);
  for (const auto& output : graph.output()) index.outputs.insert(output.name());

  // Kernels in that order; nodes whose inputs are all constant run once, here; dense layers
  // (MatMul/Gemm, bias, activation) become one kernel.
  std::vector<bool> fused_away(n, false);
  for (int k : order) {
    if (fused_away[k]) continue;
    const auto& node = graph.node(k);
    NodeContext ctx{node, opsets.at(domain_name(node.domain())), constants};
    Impl::Step step;
    step.where = ctx.where();
    if (auto dense = ops::fuse_dense(graph, index, k, constants)) {
      for (int absorbed : dense->nodes) fused_away[absorbed] = true;
      step.kernel = ops::make_dense(*dense, step.where);
      step.in.push_back(slot(dense->input));
      step.out.push_back(slot(dense->output));
      impl.steps.push_back(std::move(step));
      continue;
    }
    try {
      step.kernel = support[k]->make(ctx);
    } catch (const Error& e) {
      refuse(source, e.what());
    }
    bool foldable = true;
    for (const auto& in : node.input())
      if (!in.empty() && !constants.count(in)) foldable = false;
    if (foldable) {
      std::vector<const Value*> args;
      for (const auto& in : node.input())
        args.push_back(in.empty() ? nullptr : impl.preset[slot_of.at(in)]);
      std::vector<Value> results(node.output_size());
      try {
        step.kernel->run(args, results);
      } catch (const Error& e) {
        refuse(source, e.what());
      }
      for (int o = 0; o < node.output_size(); ++o)
        if (!node.output(o).empty()) add_constant(node.output(o), std::move(results[o]));
      continue;
    }
    for (const auto& in : node.input()) step.in.push_back(in.empty() ? -1 : slot(in));
    for (const auto& out : node.output()) step.out.push_back(out.empty() ? -1 : slot(out));
    impl.steps.push_back(std::move(step));
  }

  for (const auto& output : graph.output()) {
    if (!slot_of.count(output.name()))
      refuse(source, "graph output '" + output.name() + "' is not computed by any node");
    bool has_shape = false;
    impl.outputs.push_back(value_info(output, &has_shape));
    impl.output_slots.push_back(slot_of.at(output.name()));
  }

  // Free each intermediate after the last step that reads it.
  std::vector<int> last_use(slot_of.size(), -1);
  for (size_t s = 0; s < impl.steps.size(); ++s)
    for (int in : impl.steps[s].in)
      if (in >= 0) last_use[in] = static_cast<int>(s);
  std::set<int> kept(impl.output_slots.begin(), impl.output_slots.end());
  for (size_t s = 0; s < impl.steps.size(); ++s)
    for (int out : impl.steps[s].out)  // written but never read (Dropout's mask)
      if (out >= 0 && last_use[out] < 0 && !kept.count(out)) impl.steps[s].release.push_back(out);
  for (size_t v = 0; v < last_use.size(); ++v)
    if (last_use[v] >= 0 && !impl.preset[v] && !kept.count(static_cast<int>(v)))
      impl.steps[last_use[v]].release.push_back(static_cast<int>(v));
  return model;
}

const std::vector<ValueInfo>& OnnxModel::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& OnnxModel::outputs() const { return impl_->outputs; }
const std::map<std::string, std::string>& OnnxModel::metadata() const { return impl_->metadata; }

void OnnxModel::Impl::check_input(size_t k, const Tensor& t) const {
  const ValueInfo& info = inputs[k];
  auto expected = [&] {
    return element_type_name(info.type) +
           (input_has_shape[k] ? " " + ops::shape_text(info.shape) : std::string());
  };
  auto reject = [&](const std::string& got) {
    throw Error(ErrorCode::kInvalidInput,
                "input '" + info.name + "' expects " + expected() + ", got " + got);
  };
  std::string got = element_type_name(t.type) + " " + ops::shape_text(t.shape);
  if (t.type != info.type) reject(got);
  size_t stored = ops::visit_storage(t, [](const auto& v) { return v.size(); });
  uint64_t count = 1;
  for (int64_t d : t.shape)
    if (d < 0 || __builtin_mul_overflow(count, static_cast<uint64_t>(d), &count)) reject(got);
  if (stored != count) reject(got + " holding " + std::to_string(stored) + " values");
  if (!input_has_shape[k]) return;
  if (t.shape.size() != info.shape.size()) reject(got);
  for (size_t d = 0; d < t.shape.size(); ++d)
    if (info.shape[d] >= 0 && info.shape[d] != t.shape[d]) reject(got);
}

std::vector<Value> OnnxModel::run(std::vector<Tensor> inputs) const {
  const Impl& impl = *impl_;
  if (inputs.size() != impl.inputs.size())
    throw Error(ErrorCode::kInvalidInput, "the model takes " + std::to_string(impl.inputs.size()) +
                                              " inputs, got " + std::to_string(inputs.size()));
  std::vector<Value> values(impl.preset.size());
  std::vector<const Value*> at(impl.preset);
  for (size_t k = 0; k < inputs.size(); ++k) {
    impl.check_input(k, inputs[k]);
    int s = impl.input_slots[k];
    values[s] = std::move(inputs[k]);
    at[s] = &values[s];
  }
  std::vector<const Value*> args;
  std::vector<Value> results;
  for (const auto& step : impl.steps) {
    args.clear();
    for (int in : step.in) args.push_back(in < 0 ? nullptr : at[in]);
    results.assign(step.out.size(), Value{});
    step.kernel->run(args, results);
    for (size_t o = 0; o < step.out.size(); ++o) {
      int s = step.out[o];
      if (s < 0) continue;
      values[s] = std::move(results[o]);
      at[s] = &values[s];
    }
    for (int s : step.release) {
      if (auto* t = std::get_if<Tensor>(&values[s])) ops::recycle(std::move(t->f));
      values[s] = Value{};
      at[s] = nullptr;
    }
  }
  std::vector<Value> out;
  out.reserve(impl.output_slots.size());
  for (int s : impl.output_slots) {
    if (at[s] == &values[s]) {
      out.push_back(std::move(values[s]));
      at[s] = &out.back();  // an output listed twice is copied the second time
    } else if (at[s]) {
      out.push_back(*at[s]);
    } else {
      out.push_back(Value{});
    }
  }
  return out;
}

}  // namespace plinth::model::onnx
