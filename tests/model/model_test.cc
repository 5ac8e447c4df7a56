// Kernels of the model module: the rule parser, preprocessing, the compiled tree walker and the
// package round trip. Whole-model agreement with XGBoost and scikit-learn is checked by
// tests/e2e/models_test.sh against the Python oracles.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "model/package.h"
#include "model/preprocess.h"
#include "model/rules.h"
#include "model/tree_engine.h"
#include "table/csv.h"

namespace plinth::model {
namespace {

table::Table sample() {
  return table::parse_csv(
      "amount,hour,category\n"
      "6000,3,online\n"
      "6000,12,travel\n"
      "10,3,crypto\n"
      ",4,\n");
}

TEST(Rule, PrecedenceParenthesesAndNulls) {
  table::Table t = sample();
  auto eval = [&](const std::string& text) {
    auto v = Rule(text).evaluate(t, "t.csv");
    return std::vector<int>(v.begin(), v.end());
  };
  EXPECT_EQ(eval("amount > 5000 and hour >= 2 and hour <= 5"), (std::vector<int>{1, 0, 0, 0}));
  EXPECT_EQ(eval("amount > 5000 and hour > 5 or category == 'crypto'"),
            (std::vector<int>{0, 1, 1, 0}));
  EXPECT_EQ(eval("amount > 5000 and (hour > 5 or category == \"online\")"),
            (std::vector<int>{1, 1, 0, 0}));
  EXPECT_EQ(eval("not amount < 100"), (std::vector<int>{1, 1, 0, 1}));  // null: false, negated
  EXPECT_EQ(Rule("b > 1 and a < 2 or b != 3").columns(), (std::vector<std::string>{"b", "a"}));
}

TEST(Rule, ErrorsSayWhereAndWhat) {
  auto message = [](const std::string& text) {
    try {
      Rule r(text);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("amount >"),
            "rule 'amount >': at character 9 expected a number or a quoted string");
  EXPECT_EQ(message("amount > 1 and"),
            "rule 'amount > 1 and': at character 15 expected a column name");
  EXPECT_EQ(message("(amount > 1"), "rule '(amount > 1': at character 12 expected ')'");
  EXPECT_EQ(message("amount = 1"),
            "rule 'amount = 1': at character 8 expected a comparison (<, <=, >, >=, ==, !=)");
  table::Table t = sample();
  EXPECT_THROW(Rule("category > 1").evaluate(t, "t.csv"), Error);
  EXPECT_THROW(Rule("nothere > 1").evaluate(t, "t.csv"), Error);
}

TEST(Preprocess, FrozenVocabularyUnknownsAndDefaults) {
  table::Table t = sample();
  PreprocessOptions o;
  o.missing["amount"] = -1;
  auto specs = fit_preprocessing(t.slice(0, 2), {"amount", "category"}, o);
  EXPECT_EQ(feature_names(specs),
            (std::vector<std::string>{"amount", "category=online", "category=travel"}));
  FeatureMatrix m = transform(specs, t, "t.csv");
  ASSERT_EQ(m.cols, 3u);
  EXPECT_EQ(std::vector<float>(m.values.begin(), m.values.begin() + 6),
            (std::vector<float>{6000, 1, 0, 6000, 0, 1}));
  EXPECT_EQ(m.values[6], 10);  // crypto: unknown, all zeros
  EXPECT_EQ(m.values[7] + m.values[8], 0);
  EXPECT_EQ(m.values[9], -1);             // declared default for a null
  EXPECT_TRUE(std::isnan(m.values[10]));  // a null category is missing
  EXPECT_EQ(m.unknown.at("category"), 1u);
  try {
    transform(specs, t.select({"hour"}), "x.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "x.csv lacks the columns amount, category that the model's signature needs");
  }
}

// One tree: f0 < 0.5 (missing goes right) ? (f1 < 2 ? 1 : 2) : 3, base_score 0 margin.
const char* kTree = R"({"learner": {
  "learner_model_param": {"base_score": "0E0", "num_class": "0", "num_feature": "2"},
  "objective": {"name": "reg:squarederror"},
  "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{
    "left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1],
    "split_conditions": [0.5, 2, 3, 1, 2], "split_indices": [0, 1, 0, 0, 0],
    "default_left": [0, 1, 0, 0, 0], "split_type": [0, 0, 0, 0, 0]}]}}}})";

TEST(CompiledModel, WalksLikeXgboost) {
  CompiledModel m = CompiledModel::compile(kTree);
  EXPECT_EQ(m.num_features(), 2u);
  std::vector<float> x = {0, 1, 0, 2, 1, 0, NAN, 0, 0, NAN};
  std::vector<double> out(5);
  m.predict(x.data(), 5, out.data());
  EXPECT_EQ(out, (std::vector<double>{1, 2, 3, 3, 1}));
  // 20 rows: the vector walk (8 rows at a time) and the scalar rest agree.
  std::vector<float> many;
  for (int i = 0; i < 4; ++i) many.insert(many.end(), x.begin(), x.end());
  std::vector<double> many_out(20);
  m.predict(many.data(), 20, many_out.data());
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(many_out[i], out[i % 5]) << "row " << i;
  EXPECT_THROW(CompiledModel::compile("{}"), Error);
}

// Fewer than four rows walk eight trees at a time per row (a served request); the answers must
// be the block walk's, bit for bit, for any number of trees (here 19: two full groups and a
// rest) and with missing values.
TEST(CompiledModel, FewRowsWalkLikeABlock) {
  std::string one = R"({"left_children": [1, 3, -1, -1, -1], "right_children": [2, 4, -1, -1, -1],
    "split_conditions": [0.5, 2, 3.25, 1.5, 2.125], "split_indices": [0, 1, 0, 0, 0],
    "default_left": [0, 1, 0, 0, 0], "split_type": [0, 0, 0, 0, 0]})";
  std::string trees, info;
  for (int t = 0; t < 19; ++t) {
    trees += (t ? "," : "") + one;
    info += (t ? ",0" : "0");
  }
  CompiledModel m = CompiledModel::compile(
      R"({"learner": {"learner_model_param": {"base_score": "5E-1", "num_class": "0",
      "num_feature": "2"}, "objective": {"name": "binary:logistic"}, "gradient_booster":
      {"name": "gbtree", "model": {"tree_info": [)" +
      info + R"(], "trees": [)" + trees + "]}}}}");
  std::vector<float> x;
  for (int i = 0; i < 40; ++i) {
    x.push_back(i % 7 == 0 ? NAN : static_cast<float>(i % 3) * 0.4f);
    x.push_back(i % 5 == 0 ? NAN : static_cast<float>(i % 4));
  }
  std::vector<double> block(40);
  m.predict(x.data(), 40, block.data());
  for (size_t rows = 1; rows <= 3; ++rows)
    for (size_t start = 0; start + rows <= 40; start += rows) {
      std::vector<double> few(rows);
      m.predict(x.data() + 2 * start, rows, few.data());
      for (size_t r = 0; r < rows; ++r) EXPECT_EQ(few[r], block[start + r]) << start + r;
    }
}

// `in` lists are text in MLmodel; numbers match them by value, text by equality.
TEST(Constraint, InListAppliesToNumbersAndText) {
  Constraint c;
  c.in = {"1", "2.5"};
  EXPECT_TRUE(c.allows(1.0));
  EXPECT_TRUE(c.allows(2.5));
  EXPECT_FALSE(c.allows(5.0));
  EXPECT_TRUE(c.allows(std::string_view("2.5")));
  EXPECT_FALSE(c.allows(std::string_view("2.50")));
  c.ge = 2;
  EXPECT_FALSE(c.allows(1.0));  // in the list, but below the bound
  Constraint words;
  words.in = {"gas", "online"};
  EXPECT_FALSE(words.allows(0.0));
}

TEST(Package, RoundTripsThroughMLmodel) {
  ModelPackage p;
  p.flavor = "rules";
  p.task = Task::kBinary;
  p.algorithm = "rules";
  p.target = "is_fraud";
  p.classes = {"0", "1"};
  p.outputs = {"is_fraud", "fraud_probability", 0.5};
  p.rule = "amount > 5000 and category == 'online'";
  FeatureSpec f;
  f.column = "amount";
  f.missing = 0;
  p.preprocessing = {f};
  p.constraints["amount"].gt = 0;
  p.constraints["category"].in = {"online", "travel"};
  auto dir = std::filesystem::temp_directory_path() / ("plinth-pkg-" + std::to_string(getpid()));
  write_package(p, {{"profile.json", "{}\n"}}, dir, false);
  EXPECT_THROW(write_package(p, {}, dir, false), Error);
  ModelPackage q = read_package(dir);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(q.rule, p.rule);
  EXPECT_EQ(q.classes, p.classes);
  EXPECT_EQ(q.outputs.probability, "fraud_probability");
  ASSERT_EQ(q.preprocessing.size(), 1u);
  EXPECT_EQ(q.preprocessing[0].missing, 0.0);
  EXPECT_EQ(q.constraints["amount"].describe(), "gt 0");
  EXPECT_FALSE(q.constraints["category"].allows("crypto"));
}

}  // namespace
}  // namespace plinth::model
