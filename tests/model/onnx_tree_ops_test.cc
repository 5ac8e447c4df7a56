// The ONNX tree operators' load checks: each bad attribute is refused when the model loads, the
// error naming the node, the attribute and the entry; and a request narrower than the trees
// read is refused naming the feature. (Agreement with onnxruntime: e2e/onnx_trees_test.sh.)
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "model/onnx/kernel.h"

namespace plinth::model::onnx {
namespace {

void ints(::onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void floats(::onnx::NodeProto& n, const std::string& name, std::vector<float> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOATS);
  for (auto x : v) a->add_floats(x);
}
void strings(::onnx::NodeProto& n, const std::string& name, std::vector<std::string> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRINGS);
  for (auto& x : v) a->add_strings(x);
}
void set_ints(::onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) {
      a.clear_ints();
      for (auto x : v) a.add_ints(x);
    }
}

// One tree: x1 <= 0.5 ? leaf 1 : leaf 2, votes for class 0 and 1.
::onnx::NodeProto classifier() {
  ::onnx::NodeProto n;
  n.set_name("forest");
  n.set_op_type("TreeEnsembleClassifier");
  n.set_domain("ai.onnx.ml");
  n.add_input("X");
  n.add_output("label");
  n.add_output("scores");
  ints(n, "nodes_treeids", {0, 0, 0});
  ints(n, "nodes_nodeids", {0, 1, 2});
  ints(n, "nodes_featureids", {1, 0, 0});
  strings(n, "nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF"});
  floats(n, "nodes_values", {0.5f, 0, 0});
  ints(n, "nodes_truenodeids", {1, 0, 0});
  ints(n, "nodes_falsenodeids", {2, 0, 0});
  ints(n, "class_treeids", {0, 0});
  ints(n, "class_nodeids", {1, 2});
  ints(n, "class_ids", {0, 1});
  floats(n, "class_weights", {1, 1});
  ints(n, "classlabels_int64s", {7, 9});
  return n;
}

std::unique_ptr<Kernel> make(const ::onnx::NodeProto& n, int64_t opset = 3) {
  std::vector<OpSupport> ops;
  add_tree_ops(ops);
  std::map<std::string, Tensor> constants;
  NodeContext ctx{n, opset, constants};
  for (const auto& o : ops)
    if (o.op_type == n.op_type() && opset >= o.since && opset <= o.until) return o.make(ctx);
  throw std::runtime_error("no kernel");
}

std::string load_error(const ::onnx::NodeProto& n) {
  try {
    make(n);
  } catch (const Error& e) {
    return e.what();
  }
  return "loaded";
}

TEST(OnnxTreeOps, RunsAndRefusesBadAttributesAtLoad) {
  auto kernel = make(classifier());
  Tensor x;
  x.shape = {2, 2};
  x.f = {0, 0.25f, 0, 0.75f};
  Value in = x;
  const Value* inputs[] = {&in};
  std::vector<Value> out(2);
  kernel->run(inputs, out);
  // onnxruntime's rules for two classes that each get votes in some rows: a row voting only
  // class 0 gets scores [-s, s] and the label is the index 1 when s > 0 (not a class label).
  EXPECT_EQ(std::get<Tensor>(out[0]).i, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(std::get<Tensor>(out[1]).f, (std::vector<float>{-1, 1, 0, 1}));

  const std::string where = "node 'forest' (TreeEnsembleClassifier, domain ai.onnx.ml, opset 3): ";
  auto n = classifier();
  set_ints(n, "nodes_truenodeids", {5, 0, 0});
  EXPECT_EQ(load_error(n), where +
                               "node 0 (tree id 0, node id 0): nodes_truenodeids 5 is not "
                               "a node of tree id 0");
  n = classifier();
  set_ints(n, "nodes_falsenodeids", {2, 0});
  EXPECT_EQ(load_error(n),
            where + "attribute 'nodes_falsenodeids' has 2 values but 'nodes_treeids' has 3");
  n = classifier();
  set_ints(n, "class_nodeids", {0, 2});
  EXPECT_EQ(load_error(n), where +
                               "vote 0 (class_treeids 0, class_nodeids 0) names a node that "
                               "is not a LEAF");
  n = classifier();
  set_ints(n, "class_ids", {0, 2});
  EXPECT_EQ(load_error(n),
            where + "vote 1 (class_treeids 0, class_nodeids 2): class_ids 2 is not below 2");
  n = classifier();
  set_ints(n, "nodes_nodeids", {0, 1, 1});
  EXPECT_EQ(load_error(n), where + "node 2 (tree id 0, node id 1) repeats an earlier node's ids");
  n = classifier();
  floats(n, "base_values", {1, 2, 3});
  EXPECT_EQ(load_error(n), where + "base_values has 3 values for 2 classes");
  n = classifier();
  strings(n, "classlabels_strings", {"a", "b"});
  EXPECT_EQ(load_error(n), where +
                               "exactly one of 'classlabels_int64s' and "
                               "'classlabels_strings' must be set");
  n = classifier();
  n.mutable_attribute(3)->set_strings(0, "BRANCH_SOMETIMES");
  EXPECT_EQ(load_error(n), where +
                               "node 0 (tree id 0, node id 0): nodes_modes "
                               "'BRANCH_SOMETIMES' is not LEAF or BRANCH_LEQ, _LT, _GTE, "
                               "_GT, _EQ, _NEQ");
  n = classifier();
  auto* post = n.add_attribute();
  post->set_name("post_transform");
  post->set_type(::onnx::AttributeProto::STRING);
  post->set_s("SIGMOID");
  EXPECT_EQ(load_error(n), where +
                               "post_transform 'SIGMOID' is not one of NONE, LOGISTIC, "
                               "SOFTMAX, SOFTMAX_ZERO, PROBIT");

  // A request narrower than the trees read: an error naming the feature, not a crash.
  x.shape = {2, 1};
  x.f = {0, 0};
  in = x;
  try {
    kernel->run(inputs, out);
    ADD_FAILURE() << "ran";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the tree ensemble reads feature 1 but its input has 1 columns");
  }
}

}  // namespace
}  // namespace plinth::model::onnx
