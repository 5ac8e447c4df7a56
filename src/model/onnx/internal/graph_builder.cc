#include "model/onnx/internal/graph_builder.h"

namespace plinth::model::onnx {
namespace {
using ::onnx::AttributeProto;
using ::onnx::TensorProto;

AttributeProto& add(::onnx::NodeProto& n, const std::string& name,
                    AttributeProto::AttributeType t) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(t);
  return *a;
}

void set_type(::onnx::ValueInfoProto* v, int elem_type, const std::vector<int64_t>& dims) {
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  for (int64_t d : dims) {
    auto* dim = t->mutable_shape()->add_dim();
    if (d == kBatch)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

}  // namespace

void attr(::onnx::NodeProto& n, const std::string& name, int64_t v) {
  add(n, name, AttributeProto::INT).set_i(v);
}
void attr(::onnx::NodeProto& n, const std::string& name, float v) {
  add(n, name, AttributeProto::FLOAT).set_f(v);
}
void attr(::onnx::NodeProto& n, const std::string& name, const std::string& v) {
  add(n, name, AttributeProto::STRING).set_s(v);
}
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto& a = add(n, name, AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto& a = add(n, name, AttributeProto::FLOATS);
  for (float x : v) a.add_floats(x);
}
void attr(::onnx::NodeProto& n, const std::string& name, const std::vector<std::string>& v) {
  auto& a = add(n, name, AttributeProto::STRINGS);
  for (const auto& x : v) a.add_strings(x);
}

std::string Graph::fresh(const std::string& base) {
  std::string name = base;
  for (int i = 2; !used_.insert(name).second; ++i) name = base + "_" + std::to_string(i);
  return name;
}

::onnx::NodeProto& Graph::node(const std::string& op, const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const char* domain) {
  auto* n = g_->add_node();
  n->set_op_type(op);
  n->set_domain(domain);
  n->set_name(op + "_" + std::to_string(g_->node_size()));
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

::onnx::NodeProto& Graph::op(const std::string& op, const std::vector<std::string>& inputs,
                             const std::string& out, const char* domain) {
  return node(op, inputs, {fresh(out)}, domain);
}

TensorProto& Graph::constant(const std::string& base, int type, const std::vector<int64_t>& dims) {
  auto* t = g_->add_initializer();
  t->set_name(fresh(base));
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  return *t;
}

std::string Graph::scalar(const std::string& base, double v) {
  auto& t = constant(base, TensorProto::DOUBLE, {});
  t.add_double_data(v);
  return t.name();
}

std::string Graph::ints(const std::string& base, const std::vector<int64_t>& v, bool as_scalar) {
  auto& t = constant(base, TensorProto::INT64,
                     as_scalar ? std::vector<int64_t>{} : std::vector<int64_t>{int64_t(v.size())});
  for (int64_t x : v) t.add_int64_data(x);
  return t.name();
}

void Graph::input(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  used_.insert(name);
  auto* v = g_->add_input();
  v->set_name(name);
  set_type(v, elem_type, dims);
}

void Graph::output(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  auto* v = g_->add_output();
  v->set_name(name);
  set_type(v, elem_type, dims);
}

void Graph::declare(const std::string& name, int elem_type, const std::vector<int64_t>& dims) {
  auto* v = g_->add_value_info();
  v->set_name(name);
  set_type(v, elem_type, dims);
}

}  // namespace plinth::model::onnx
