// Parquet conformance against independent oracles: the Apache parquet-testing files read by
// hyparquet (JavaScript) and their _expect.csv files; Plinth-written files read by hyparquet;
// hyparquet-writer files read by Plinth.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "scratch_dir.h"
#include "table/csv.h"
#include "table/parquet.h"
#include "table/timestamp.h"

namespace plinth::table {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kTestingDir = PLINTH_PARQUET_TESTING_DIR;
const fs::path kScripts = PLINTH_TABLE_TEST_DIR;

const char* const kBadFiles[] = {"nation.dict-malformed.parquet",
                                 "datapage_v1-corrupt-checksum.parquet"};

std::string run(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) throw std::runtime_error(command + " failed (" + std::to_string(rc) + ")");
  return out;
}

json node(const std::string& script, const std::string& args) {
  return json::parse(run("node " + (kScripts / script).string() + " " + args));
}

std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

// Whether Plinth's value at `row` is the oracle's normalised value `v` (see
// hyparquet_dump.mjs for the forms).
bool matches(const Column& c, size_t row, const json& v) {
  if (v.is_null()) return c.is_null(row);
  if (c.is_null(row)) {
    // Timestamps beyond int64 nanoseconds read as null by design.
    return c.type == ColumnType::kTimestamp && v.is_number_float();
  }
  switch (c.type) {
    case ColumnType::kBool:
      return v.is_boolean() && v.get<bool>() == static_cast<bool>(c.b[row]);
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      if (v.is_number_unsigned())
        return c.i64[row] >= 0 && v.get<uint64_t>() == static_cast<uint64_t>(c.i64[row]);
      return v.is_number_integer() && v.get<int64_t>() == c.i64[row];
    case ColumnType::kFloat64: {
      double d = c.f64[row];
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        return (s == "NaN" && std::isnan(d)) || (s == "Infinity" && d == INFINITY) ||
               (s == "-Infinity" && d == -INFINITY);
      }
      return v.is_number() && v.get<double>() == d;
    }
    case ColumnType::kString:
      if (v.is_object()) return v.value("hex", "") == hex(c.string_at(row));
      return v.is_string() && v.get<std::string>() == c.string_at(row);
  }
  return false;
}

std::string show(const Column& c, size_t row) {
  if (c.is_null(row)) return "null";
  switch (c.type) {
    case ColumnType::kFloat64:
      return std::to_string(c.f64[row]);
    case ColumnType::kString:
      return "\"" + std::string(c.string_at(row)) + "\"";
    case ColumnType::kBool:
      return c.b[row] ? "true" : "false";
    default:
      return std::to_string(c.i64[row]);
  }
}

// Every column and value the oracle has, Plinth has; reports the first few differences.
void expect_same(const Table& t, const json& oracle, const std::string& what) {
  std::vector<std::string> names = oracle["columns"];
  ASSERT_EQ(t.num_columns(), names.size()) << what;
  const json& rows = oracle["rows"];
  if (names.empty()) return;  // only nested columns: nothing for Plinth to read
  ASSERT_EQ(t.num_rows(), rows.size()) << what;
  int reported = 0;
  for (size_t k = 0; k < names.size(); ++k) {
    const Column& c = t.column(k);
    ASSERT_EQ(c.name, names[k]) << what;
    for (size_t r = 0; r < rows.size() && reported < 5; ++r) {
      if (!matches(c, r, rows[r][k])) {
        ADD_FAILURE() << what << ": column " << c.name << " row " << r << ": plinth " << show(c, r)
                      << ", oracle " << rows[r][k].dump();
        ++reported;
      }
    }
  }
}

std::vector<std::string> good_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kTestingDir)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() != ".parquet") continue;
    if (std::find(std::begin(kBadFiles), std::end(kBadFiles), name) != std::end(kBadFiles))
      continue;
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ParquetTestingFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ParquetTestingFile, ReadsAsHyparquetDoes) {
  fs::path file = kTestingDir / GetParam();
  Table t = read_parquet(file);
  expect_same(t, node("hyparquet_dump.mjs", file.string()), GetParam());
}

TEST_P(ParquetTestingFile, ReadsEachColumnAlone) {
  fs::path file = kTestingDir / GetParam();
  Table all = read_parquet(file);
  for (const auto& c : all.columns()) {
    ParquetReadOptions o;
    o.columns = {c.name};
    Table one = read_parquet(file, o);
    ASSERT_EQ(one.num_columns(), 1u);
    EXPECT_EQ(one.num_rows(), all.num_rows());
  }
}

INSTANTIATE_TEST_SUITE_P(ParquetTesting, ParquetTestingFile, ::testing::ValuesIn(good_files()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 8);
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

// The values the _expect.csv files list, compared as text by column position (the Parquet
// column names carry decorations the CSV does not).
TEST(ParquetTestingExpectCsv, ValuesMatch) {
  int files = 0;
  for (const auto& e : fs::directory_iterator(kTestingDir)) {
    std::string name = e.path().filename().string();
    if (name.size() < 11 || name.substr(name.size() - 11) != "_expect.csv") continue;
    ++files;
    fs::path parquet = kTestingDir / (name.substr(0, name.size() - 11) + ".parquet");
    Table got = read_parquet(parquet);
    CsvReadOptions strings;
    strings.sample_rows = 0;  // no sample: every column is read as text
    Table want = read_csv(e.path(), strings);
    ASSERT_EQ(got.num_columns(), want.num_columns()) << name;
    ASSERT_EQ(got.num_rows(), want.num_rows()) << name;
    for (size_t k = 0; k < got.num_columns(); ++k) {
      const Column& g = got.column(k);
      const Column& w = want.column(k);
      for (size_t r = 0; r < got.num_rows(); ++r) {
        std::string text = g.is_null(r) ? "" : show(g, r);
        if (g.type == ColumnType::kString && !g.is_null(r)) text = g.string_at(r);
        std::string expected = w.is_null(r) ? "" : std::string(w.string_at(r));
        ASSERT_EQ(g.is_null(r), w.is_null(r)) << name << " column " << k << " row " << r;
        ASSERT_EQ(text, expected) << name << " column " << g.name << " row " << r;
      }
    }
  }
  EXPECT_EQ(files, 3);
}

TEST(ParquetTestingBadFiles, MalformedDictionaryIsAnErrorNamingTheFile) {
  fs::path file = kTestingDir / "nation.dict-malformed.parquet";
  try {
    read_parquet(file);
    FAIL() << "read a malformed file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupted);
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
  }
}

TEST(ParquetTestingBadFiles, CorruptChecksumIsReported) {
  fs::path file = kTestingDir / "datapage_v1-corrupt-checksum.parquet";
  try {
    read_parquet(file);
    FAIL() << "read a file whose page CRC does not match";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupted);
    std::string msg = e.what();
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("CRC"), std::string::npos) << msg;
  }
}

// A table with every column type, nulls, extreme values and a categorical column.
Table sample_table(size_t n) {
  std::vector<Column> cols = {{"f", ColumnType::kFloat64},   {"i", ColumnType::kInt64},
                              {"b", ColumnType::kBool},      {"s", ColumnType::kString},
                              {"t", ColumnType::kTimestamp}, {"cat", ColumnType::kString}};
  const char* cats[] = {"red", "green", "blue"};
  for (const char* c : cats) cols[5].dict.push_back(c);
  const double specials[] = {0.0, -0.0, 1e308, -5e-324, 0.1, NAN, INFINITY, -INFINITY};
  uint64_t x = 88172645463325252ULL;
  for (size_t r = 0; r < n; ++r) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (r % 7 == 3) {
      for (size_t k = 0; k < 5; ++k) cols[k].push_null();
    } else {
      cols[0].f64.push_back(r < 8 ? specials[r] : static_cast<double>(x) / 3.0e17 - 30);
      cols[1].i64.push_back(r == 0 ? INT64_MIN : r == 1 ? INT64_MAX : static_cast<int64_t>(x));
      cols[2].b.push_back(x & 1);
      cols[3].str.push_back(
          r % 5 == 0 ? "" : "v" + std::to_string(x % 1000) + (r % 11 ? "" : " ünï,\"q\"\n"));
      cols[4].i64.push_back(static_cast<int64_t>(x % 4'000'000'000'000'000'000ULL) -
                            2'000'000'000'000'000'000);
      for (size_t k = 0; k < 5; ++k)
        if (!cols[k].valid.empty()) cols[k].valid.push_back(1);
    }
    cols[5].codes.push_back(static_cast<int32_t>(x % 3));
  }
  return Table(std::move(cols));
}

TEST_F(ScratchDir, HyparquetReadsWhatPlinthWrites) {
  Table t = sample_table(3000);
  for (auto codec : {ParquetCodec::kSnappy, ParquetCodec::kZstd, ParquetCodec::kGzip,
                     ParquetCodec::kLz4Raw, ParquetCodec::kBrotli, ParquetCodec::kUncompressed}) {
    for (bool dictionary : {true, false}) {
      ParquetWriteOptions o;
      o.codec = codec;
      o.dictionary = dictionary;
      o.row_group_rows = 1000;
      fs::path file = dir_ / ("out" + std::to_string(static_cast<int>(codec)) + ".parquet");
      write_parquet(t, file, o);
      std::string what = file.filename().string() + (dictionary ? " with dictionaries" : "");
      expect_same(t, node("hyparquet_dump.mjs", file.string()), what);
      expect_same(read_parquet(file), node("hyparquet_dump.mjs", file.string()),
                  what + " (plinth)");
    }
  }
}

TEST_F(ScratchDir, PlinthReadsWhatHyparquetWriterWrites) {
  for (std::string codec : {"SNAPPY", "UNCOMPRESSED"}) {
    fs::path file = dir_ / ("hw_" + codec + ".parquet");
    json written = node("hyparquet_write.mjs", file.string() + " " + codec);
    expect_same(read_parquet(file), written, "hyparquet-writer " + codec);
  }
  fs::path file = dir_ / "hw_logical.parquet";
  json written = node("hyparquet_write.mjs", file.string() + " SNAPPY logical");
  expect_same(read_parquet(file), written, "hyparquet-writer logical types");
}

}  // namespace
}  // namespace plinth::table
