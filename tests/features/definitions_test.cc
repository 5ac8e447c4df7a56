#include "features/definitions.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::features {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(Durations, ParseAndFormatRoundTrip) {
  EXPECT_EQ(parse_duration("1h", "t"), 3600 * kSecond);
  EXPECT_EQ(parse_duration("24h", "t"), 86400 * kSecond);
  EXPECT_EQ(parse_duration("7d", "t"), 7 * 86400 * kSecond);
  EXPECT_EQ(parse_duration("1h30m", "t"), 5400 * kSecond);
  EXPECT_EQ(parse_duration("86400", "t"), 86400 * kSecond);
  EXPECT_EQ(parse_duration("0", "t"), 0);
  EXPECT_EQ(parse_duration("500ms", "t"), kSecond / 2);
  for (const char* text : {"1h", "1d", "1w", "2w", "30d", "1h30m", "0s", "2d3h4m5s", "500ms"})
    EXPECT_EQ(format_duration(parse_duration(text, "t")), text);
  for (const char* bad : {"", "1 day", "h", "1y", "-1h", "1.5h"})
    EXPECT_THROW(parse_duration(bad, "t"), Error) << bad;
}

TEST(ValueTypes, FeastSpellings) {
  EXPECT_EQ(parse_value_type("Int64", "t"), ValueType::kInt64);
  EXPECT_EQ(parse_value_type("INT64", "t"), ValueType::kInt64);
  EXPECT_EQ(parse_value_type("unix_timestamp", "t"), ValueType::kUnixTimestamp);
  EXPECT_EQ(parse_value_type("FLOAT", "t"), ValueType::kFloat32);
  EXPECT_THROW(parse_value_type("Decimal", "t"), Error);
  EXPECT_EQ(column_type(ValueType::kInt32), table::ColumnType::kInt64);
}

}  // namespace
}  // namespace plinth::features
