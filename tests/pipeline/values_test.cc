#include "pipeline/values.h"

#include <gtest/gtest.h>

namespace plinth::pipeline {
namespace {

TEST(Values, YamlScalarsTypedAsYaml12) {
  Value v = parse_structured(
      "a: 1\nb: 0.5\nc: true\nd: yes\ne: '1'\nf: null\ng: 1e3\nh: [1, x]\ni: 0x10\n", "p.yaml");
  EXPECT_TRUE(v["a"].is_number_integer());
  EXPECT_TRUE(v["b"].is_number_float());
  EXPECT_EQ(v["c"], true);
  EXPECT_EQ(v["d"], "yes");  // YAML 1.2: not a bool
  EXPECT_EQ(v["e"], "1");
  EXPECT_TRUE(v["f"].is_null());
  EXPECT_EQ(v["g"], 1000.0);
  EXPECT_EQ(v["h"], Value::parse(R"([1, "x"])"));
  EXPECT_EQ(v["i"], 16);
  EXPECT_EQ(v.begin().key(), "a");  // file order kept
}

TEST(Values, PythonFloatRepr) {
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(100.0), "100.0");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(python_float_repr(-2.5e-07), "-2.5e-07");
  EXPECT_EQ(python_float_repr(0.30000000000000004), "0.30000000000000004");
}

TEST(Values, PythonJsonSortedMatchesJsonDumps) {
  Value v = Value::parse(R"({"b": [1, 2.5, "é"], "a": {"y": null, "x": true}})");
  EXPECT_EQ(python_json_sorted(v), R"({"a": {"x": true, "y": null}, "b": [1, 2.5, "\u00e9"]})");
}

TEST(Values, LookupDotted) {
  Value v = Value::parse(R"({"train": {"lr": 0.1, "layers": [8, 16]}})");
  EXPECT_EQ(*lookup_dotted(v, "train.lr"), 0.1);
  EXPECT_EQ(*lookup_dotted(v, "train.layers.1"), 16);
  EXPECT_FALSE(lookup_dotted(v, "train.nope"));
}

}  // namespace
}  // namespace plinth::pipeline
