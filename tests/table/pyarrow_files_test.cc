// Files pyarrow writes that once tripped Plinth's Parquet reader. The files are in fixtures/,
// written by fixtures/make_fixtures.py (which says how each is made); the end-to-end oracle
// tests/e2e/tables_arrow_test.sh covers pyarrow's writer options at large.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "table/parquet.h"

namespace plinth::table {
namespace {
namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(PLINTH_TABLE_TEST_DIR) / "fixtures";

TEST(PyarrowFiles, EmptyCompressedV2ValuesReadAsNulls) {
  // Every value null, the page flagged compressed, zero bytes of values: one column per codec.
  Table t = read_parquet(kFixtures / "v2_empty_values.parquet");
  ASSERT_EQ(t.num_rows(), 40u);
  for (const char* name : {"n_snappy", "n_zstd", "n_gzip", "n_lz4", "n_brotli"}) {
    const Column& c = t.column(name);
    EXPECT_EQ(c.null_count(), 40u) << name;
  }
  const Column& s = t.column("s");
  for (size_t i = 0; i < 40; ++i) {
    if (i % 3 == 0) {
      EXPECT_TRUE(s.is_null(i)) << i;
    } else {
      EXPECT_EQ(s.string_at(i), "v" + std::to_string(i));
    }
  }
}

TEST(PyarrowFiles, EmptyRowGroupReadsAsNoRows) {
  // pyarrow writes a table without rows as one row group whose chunks have data_page_offset 0.
  ParquetReader reader(kFixtures / "empty_row_group.parquet");
  ASSERT_EQ(reader.schema().size(), 2u);
  EXPECT_EQ(reader.schema()[1].type, ColumnType::kString);
  auto batch = reader.next();
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->num_rows(), 0u);
  EXPECT_EQ(batch->num_columns(), 2u);
  EXPECT_FALSE(reader.next());
}

TEST(PyarrowFiles, DecimalsReadAsTheNearestDouble) {
  // Next to each DECIMAL column, Python's float(Decimal) of the same values.
  for (const char* file : {"decimals_fixed.parquet", "decimals_int.parquet"}) {
    Table t = read_parquet(kFixtures / file);
    size_t checked = 0;
    for (const Column& c : t.columns()) {
      if (c.name.ends_with("_float")) continue;
      const Column& want = t.column(c.name + "_float");
      ASSERT_EQ(c.type, ColumnType::kFloat64) << file << " " << c.name;
      for (size_t i = 0; i < t.num_rows(); ++i) {
        ASSERT_EQ(c.is_null(i), want.is_null(i)) << file << " " << c.name << " row " << i;
        if (c.is_null(i)) continue;
        EXPECT_EQ(c.f64[i], want.f64[i]) << file << " " << c.name << " row " << i;
      }
      ++checked;
    }
    EXPECT_EQ(checked, std::string(file) == "decimals_int.parquet" ? 2u : 4u) << file;
  }
}

TEST(PyarrowFiles, Uint64BeyondInt64IsAnErrorNamingTheValue) {
  Table fits = read_parquet(kFixtures / "uint64.parquet", {{"fits"}});
  EXPECT_EQ(fits.column(0).i64[1], INT64_MAX);
  EXPECT_TRUE(fits.column(0).is_null(2));
  try {
    read_parquet(kFixtures / "uint64.parquet", {{"big"}});
    FAIL() << "a UINT64 value above INT64_MAX read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("column 'big'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("18446744073709551615"), std::string::npos) << e.what();
  }
}

TEST(PyarrowFiles, BrotliPagesReadAsTheirUncompressedTwins) {
  Table t = read_parquet(kFixtures / "brotli.parquet");
  ASSERT_EQ(t.num_rows(), 1000u);
  for (const char* name : {"x", "s"}) {
    const Column& got = t.column(name);
    const Column& want = t.column(std::string(name) + "_plain");
    ASSERT_EQ(got.type, want.type) << name;
    EXPECT_GT(got.null_count(), 0u) << name;
    for (size_t i = 0; i < t.num_rows(); ++i) {
      ASSERT_EQ(got.is_null(i), want.is_null(i)) << name << " row " << i;
      if (got.is_null(i)) continue;
      if (got.type == ColumnType::kString) {
        ASSERT_EQ(got.string_at(i), want.string_at(i)) << name << " row " << i;
      } else {
        ASSERT_EQ(got.i64[i], want.i64[i]) << name << " row " << i;
      }
    }
  }
}

}  // namespace
}  // namespace plinth::table
