#include "table/csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.h"
#include "table/timestamp.h"

namespace plinth::table {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Csv, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  Table t = parse_csv("name,note\r\n\"a,b\",\"say \"\"hi\"\"\"\r\nc,\"two\nlines\"\r\n");
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.column("name").string_at(0), "a,b");
  EXPECT_EQ(t.column("note").string_at(0), "say \"hi\"");
  EXPECT_EQ(t.column("name").string_at(1), "c");
  EXPECT_EQ(t.column("note").string_at(1), "two\nlines");
}

TEST(Csv, UnquotedEmptyNaAndNullAreNullsQuotedOnesAreValues) {
  Table t = parse_csv("s,n\n,1\nNA,NA\nnull,\n\"\",2\n\"NA\",3\n");
  const Column& s = t.column("s");
  const Column& n = t.column("n");
  EXPECT_EQ(n.type, ColumnType::kInt64);
  EXPECT_TRUE(s.is_null(0) && s.is_null(1) && s.is_null(2));
  EXPECT_TRUE(n.is_null(1) && n.is_null(2));
  EXPECT_FALSE(s.is_null(3));
  EXPECT_EQ(s.string_at(3), "");
  EXPECT_EQ(s.string_at(4), "NA");
  EXPECT_EQ(n.null_count(), 2u);
}

TEST(Csv, QuotedNullMarkersAreNullsOutsideStringColumns) {
  // As pyarrow.csv and pandas read them: quotes keep "", "NA" and "null" as text in a string
  // column only. A column of nothing else is a string column of that text.
  Table t = parse_csv(
      "i,f,b,t,s,q\n"
      "1,1.5,true,2024-01-01,x,\"\"\n"
      "\"\",\"\",\"\",\"\",\"\",\"NA\"\n"
      "\"NA\",\"null\",\"NA\",\"null\",\"NA\",\"\"\n"
      "3,2.5,false,2024-01-02,\"null\",\"\"\n");
  ASSERT_EQ(t.column("i").type, ColumnType::kInt64);
  ASSERT_EQ(t.column("f").type, ColumnType::kFloat64);
  ASSERT_EQ(t.column("b").type, ColumnType::kBool);
  ASSERT_EQ(t.column("t").type, ColumnType::kTimestamp);
  for (const char* name : {"i", "f", "b", "t"}) {
    const Column& c = t.column(name);
    EXPECT_EQ(c.null_count(), 2u) << name;
    EXPECT_TRUE(c.is_null(1) && c.is_null(2)) << name;
  }
  EXPECT_EQ(t.column("i").i64[3], 3);
  EXPECT_EQ(t.column("f").f64[3], 2.5);
  const Column& s = t.column("s");
  ASSERT_EQ(s.type, ColumnType::kString);
  EXPECT_EQ(s.null_count(), 0u);
  EXPECT_EQ(s.string_at(1), "");
  EXPECT_EQ(s.string_at(2), "NA");
  EXPECT_EQ(s.string_at(3), "null");
  const Column& q = t.column("q");
  ASSERT_EQ(q.type, ColumnType::kString);
  EXPECT_EQ(q.null_count(), 0u);
  EXPECT_EQ(q.string_at(1), "NA");
  // A type given with --type reads them as nulls too, and a string type keeps them.
  CsvReadOptions o;
  o.types["q"] = ColumnType::kInt64;
  o.types["i"] = ColumnType::kString;
  Table typed = parse_csv("i,q\n\"\",\"\"\n\"NA\",7\n", o);
  ASSERT_EQ(typed.column("q").type, ColumnType::kInt64);
  EXPECT_EQ(typed.column("q").null_count(), 1u);
  EXPECT_EQ(typed.column("q").i64[1], 7);
  EXPECT_EQ(typed.column("i").string_at(0), "");
  EXPECT_EQ(typed.column("i").string_at(1), "NA");
}

TEST(Csv, InfersTypesFromTheSample) {
  Table t =
      parse_csv("b,i,f,t,s,empty\ntrue,1,1.5,2024-01-02T03:04:05Z,x,\nFALSE,-2,3,2024-01-03,y,\n");
  EXPECT_EQ(t.column("b").type, ColumnType::kBool);
  EXPECT_EQ(t.column("i").type, ColumnType::kInt64);
  EXPECT_EQ(t.column("f").type, ColumnType::kFloat64);
  EXPECT_EQ(t.column("t").type, ColumnType::kTimestamp);
  EXPECT_EQ(t.column("s").type, ColumnType::kString);
  EXPECT_EQ(t.column("empty").type, ColumnType::kString);
  EXPECT_EQ(t.column("t").i64[0], *parse_timestamp("2024-01-02T03:04:05Z"));
  EXPECT_EQ(t.column("t").i64[1], *parse_timestamp("2024-01-03T00:00:00Z"));
  EXPECT_EQ(t.column("b").b[1], 0);
}

TEST(Csv, TypeOverridesWin) {
  CsvReadOptions o;
  o.types["i"] = ColumnType::kString;
  o.types["f"] = ColumnType::kFloat64;
  Table t = parse_csv("i,f\n007,1\n", o);
  EXPECT_EQ(t.column("i").string_at(0), "007");
  EXPECT_EQ(t.column("f").f64[0], 1.0);
}

TEST(Csv, SelectsColumnsInTheGivenOrder) {
  CsvReadOptions o;
  o.columns = {"c", "a"};
  Table t = parse_csv("a,b,c\n1,2,3\n", o);
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.column(0).name, "c");
  EXPECT_EQ(t.column(1).i64[0], 1);
}

TEST(Csv, DelimiterAndNoHeader) {
  CsvReadOptions o;
  o.delimiter = '\t';
  o.header = false;
  Table t = parse_csv("1\tx y\n2\tz\n", o);
  EXPECT_EQ(t.column("column_1").i64[1], 2);
  EXPECT_EQ(t.column("column_2").string_at(0), "x y");
}

TEST(Csv, ErrorsNameFileLineColumnAndValue) {
  std::string msg = error_of([] { parse_csv("a,b\n1,2\n3,x\n", {}, "data.csv"); });
  // b was inferred as int64 from the sample, which includes line 3: it is a string column.
  EXPECT_EQ(msg, "(no error)");
  CsvReadOptions small;
  small.sample_rows = 1;
  msg = error_of([&] { parse_csv("a,b\n1,2\n3,x\n", small, "data.csv"); });
  EXPECT_NE(msg.find("data.csv:3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column 'b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--type b=string"), std::string::npos) << msg;

  msg = error_of([] { parse_csv("a,b\n1,2\n3\n", {}, "short.csv"); });
  EXPECT_NE(msg.find("short.csv:3: a record has 1 fields, the header has 2"), std::string::npos)
      << msg;
  msg = error_of([] { parse_csv("a\n\"open\n", {}, "q.csv"); });
  EXPECT_NE(msg.find("q.csv:2: a quoted field is never closed"), std::string::npos) << msg;
  msg = error_of([] { parse_csv("a\nx\"y\n", {}, "q.csv"); });
  EXPECT_NE(msg.find("q.csv:2: a quote inside an unquoted field"), std::string::npos) << msg;
  msg = error_of([] { parse_csv("a,a\n1,2\n", {}, "dup.csv"); });
  EXPECT_NE(msg.find("column 'a' twice"), std::string::npos) << msg;
  CsvReadOptions unknown;
  unknown.columns = {"nope"};
  msg = error_of([&] { parse_csv("a\n1\n", unknown, "u.csv"); });
  EXPECT_NE(msg.find("u.csv: no column 'nope'; the columns are: a"), std::string::npos) << msg;
  msg = error_of([] { parse_csv("", {}, "empty.csv"); });
  EXPECT_NE(msg.find("empty.csv: the file is empty"), std::string::npos) << msg;
}

TEST(Csv, FloatsRoundTripExactly) {
  std::mt19937_64 rng(7);
  Column f("f", ColumnType::kFloat64);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, 8);
    f.f64.push_back(d);
  }
  for (double d : {0.1, 1e-320, -0.0, 1.7976931348623157e308, double(NAN), double(INFINITY),
                   -double(INFINITY)})
    f.f64.push_back(d);
  Table t({f});
  Table back = parse_csv(format_csv(t));
  ASSERT_EQ(back.column(0).type, ColumnType::kFloat64);
  for (size_t i = 0; i < f.f64.size(); ++i) {
    double a = f.f64[i], b = back.column(0).f64[i];
    if (std::isnan(a))
      EXPECT_TRUE(std::isnan(b));
    else
      EXPECT_EQ(std::memcmp(&a, &b, 8), 0) << a << " came back as " << b;
  }
}

TEST(Csv, NanIsWrittenAsNaNWhateverItsSign) {
  // polars infers a float column from "NaN" but not from "nan" or "-nan".
  Column f("f", ColumnType::kFloat64);
  f.f64 = {NAN, -NAN, INFINITY, -INFINITY, 1.5};
  EXPECT_EQ(format_csv(Table({f})), "f\nNaN\nNaN\ninf\n-inf\n1.5\n");
}

TEST(Csv, WholeFloatsKeepTheirPointSoTheColumnStaysFloat64) {
  Column f("f", ColumnType::kFloat64);
  f.f64 = {3.0, -0.0, 1e300, -42.0, 1e15};
  std::string csv = format_csv(Table({f}));
  EXPECT_EQ(csv, "f\n3.0\n-0.0\n1e+300\n-42.0\n1e+15\n");
  Table back = parse_csv(csv);
  ASSERT_EQ(back.column(0).type, ColumnType::kFloat64);
  EXPECT_EQ(back.column(0).f64, f.f64);
}

TEST(Csv, WriterQuotesWhatNeedsIt) {
  Column s("text, quoted", ColumnType::kString);
  for (const char* v : {"", "NA", "null", "a,b", "x\"y", "two\nlines", "cr\r", "plain"})
    s.str.push_back(v);
  s.push_null();
  Table t({s});
  std::string csv = format_csv(t);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "\"text, quoted\"");
  Table back = parse_csv(csv);
  ASSERT_EQ(back.num_rows(), t.num_rows());
  for (size_t i = 0; i + 1 < t.num_rows(); ++i)
    EXPECT_EQ(back.column(0).string_at(i), s.string_at(i));
  EXPECT_TRUE(back.column(0).is_null(t.num_rows() - 1));
}

// Large inputs are split into batches and each batch into parts parsed in parallel; the
// result must not depend on where the splits fall, even inside quoted newlines.
TEST(Csv, ChunkedParallelParsingMatchesOneThread) {
  std::string text = "id,name,score\n";
  for (int i = 0; i < 60000; ++i)
    text += std::to_string(i) + "," +
            (i % 3 ? "n" + std::to_string(i) : "\"q,\n\"\"" + std::to_string(i) + "\"") + "," +
            std::to_string(i * 0.25) + (i % 2 ? "\r\n" : "\n");
  CsvReadOptions one;
  one.jobs = 1;
  one.batch_bytes = 1 << 30;
  CsvReadOptions many;
  many.jobs = 4;
  many.batch_bytes = 100000;  // many batches, records cut at batch ends
  Table a = parse_csv(text, one), b = parse_csv(text, many);
  ASSERT_EQ(a.num_rows(), 60000u);
  ASSERT_EQ(b.num_rows(), 60000u);
  for (int i = 0; i < 60000; ++i) {
    ASSERT_EQ(a.column("id").i64[i], i);
    ASSERT_EQ(b.column("id").i64[i], i);
    std::string name = i % 3 ? "n" + std::to_string(i) : "q,\n\"" + std::to_string(i);
    ASSERT_EQ(b.column("name").string_at(i), name);
    ASSERT_EQ(b.column("score").f64[i], i * 0.25);
  }
}

TEST(Timestamps, ParseAndFormat) {
  EXPECT_EQ(*parse_timestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*parse_timestamp("1970-01-01 00:00:01.5"), 1'500'000'000);
  EXPECT_EQ(*parse_timestamp("1970-01-01T01:00:00+01:00"), 0);
  // ISO 8601's basic offsets; polars writes "+0000".
  EXPECT_EQ(*parse_timestamp("1970-01-01T00:00:00.000000001+0000"), 1);
  EXPECT_EQ(*parse_timestamp("1970-01-01T01:30:00+0130"), 0);
  EXPECT_EQ(*parse_timestamp("1969-12-31T22:00:00-02"), 0);
  EXPECT_FALSE(parse_timestamp("1970-01-01T00:00:00+01:"));
  EXPECT_FALSE(parse_timestamp("1970-01-01T00:00:00+013"));
  EXPECT_FALSE(parse_timestamp("1970-01-01T00:00:00+2400"));
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("2262-04-11T23:47:16.854775807Z")),
            "2262-04-11T23:47:16.854775807Z");
  EXPECT_FALSE(parse_timestamp("2024-02-30"));
  EXPECT_FALSE(parse_timestamp("3000-01-01"));
  EXPECT_FALSE(parse_timestamp("2024-01-01T25:00"));
  EXPECT_FALSE(parse_timestamp("20240101"));
}

}  // namespace
}  // namespace plinth::table
