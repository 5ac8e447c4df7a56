#include "tracking/search.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::tracking {
namespace {

TEST(ParseFilter, EntitiesKeysOperatorsAndValues) {
  auto c = parse_filter(
      "metrics.loss >= 0.5 AND params.`my param` = 'a' and tags.\"mlflow.user\" != \"bob\" "
      "AND attributes.run_id IN ('x', 'y') AND run_name ILIKE '%Z_' AND dataset.context NOT IN "
      "('eval')");
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].entity, "metric");
  EXPECT_TRUE(c[0].numeric);
  EXPECT_EQ(c[0].number, 0.5);
  EXPECT_EQ(c[1].entity, "param");
  EXPECT_EQ(c[1].key, "my param");
  EXPECT_EQ(c[2].key, "mlflow.user");
  EXPECT_EQ(c[2].text, "bob");
  EXPECT_EQ(c[3].op, "IN");
  EXPECT_EQ(c[3].list, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(c[4].entity, "attribute");
  EXPECT_EQ(c[4].op, "ILIKE");
  EXPECT_EQ(c[5].op, "NOT IN");
  EXPECT_TRUE(parse_filter("  ").empty());
}

TEST(ParseFilter, PromptExclusionClauseTheClientAppends) {
  auto c = parse_filter("name LIKE 'stub%' AND tag.`mlflow.prompt.is_prompt` != 'true'");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].entity, "tag");
  EXPECT_EQ(c[1].key, "mlflow.prompt.is_prompt");
}

TEST(ParseFilter, RejectsBadSyntax) {
  EXPECT_THROW(parse_filter("metrics.loss >> 1"), Error);
  EXPECT_THROW(parse_filter("metrics.loss < 1 OR params.a = 'b'"), Error);
  EXPECT_THROW(parse_filter("params.a = 'unterminated"), Error);
  EXPECT_THROW(parse_filter("params.a IN 'x'"), Error);
}

TEST(OrderBy, DirectionDefaultsToAscending) {
  auto k = parse_order_by("metrics.`val loss` DESC");
  EXPECT_EQ(k.entity, "metric");
  EXPECT_EQ(k.key, "val loss");
  EXPECT_FALSE(k.ascending);
  EXPECT_TRUE(parse_order_by("start_time").ascending);
  EXPECT_THROW(parse_order_by("name SIDEWAYS"), Error);
}

TEST(Like, WildcardsAndCase) {
  EXPECT_TRUE(like("stub-model", "stub%", false));
  EXPECT_TRUE(like("abc", "a_c", false));
  EXPECT_FALSE(like("ABC", "abc", false));
  EXPECT_TRUE(like("ABC", "abc", true));
  EXPECT_TRUE(like("a%b", "%", false));
  EXPECT_FALSE(like("abc", "%d%", false));
}

TEST(PageToken, RoundTripsAndRejectsForeignTokens) {
  EXPECT_EQ(encode_page_token(10), "eyJvZmZzZXQiOiAxMH0=");  // MLflow's own token for offset 10
  EXPECT_EQ(decode_page_token(encode_page_token(12345)), 12345);
  EXPECT_EQ(decode_page_token(""), 0);
  EXPECT_THROW(decode_page_token("garbage!"), Error);
}

}  // namespace
}  // namespace plinth::tracking
