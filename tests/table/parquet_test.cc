#include "table/parquet.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/file_io.h"
#include "scratch_dir.h"
#include "table/internal/encodings.h"
#include "table/internal/parquet_format.h"
#include "table/table.h"

namespace plinth::table {
namespace {
namespace fs = std::filesystem;

using ParquetTest = ScratchDir;

Table numbers(size_t n) {
  Column id("id", ColumnType::kInt64), x("x", ColumnType::kFloat64), s("s", ColumnType::kString);
  for (size_t i = 0; i < n; ++i) {
    id.i64.push_back(static_cast<int64_t>(i));
    if (i % 10 == 9) {
      x.push_null();
    } else {
      x.f64.push_back(i * 0.5 - 100);
      if (!x.valid.empty()) x.valid.push_back(1);
    }
    s.str.push_back(i % 4 ? "k" + std::to_string(i % 4) : "zero");
  }
  return Table({id, x, s});
}

void expect_equal(const Table& a, const Table& b) {
  ASSERT_EQ(a.schema(), b.schema());
  ASSERT_EQ(a.num_rows(), b.num_rows());
  for (size_t k = 0; k < a.num_columns(); ++k)
    for (size_t r = 0; r < a.num_rows(); ++r) {
      const Column &x = a.column(k), &y = b.column(k);
      ASSERT_EQ(x.is_null(r), y.is_null(r)) << x.name << " row " << r;
      if (x.is_null(r)) continue;
      switch (x.type) {
        case ColumnType::kFloat64:
          ASSERT_EQ(x.f64[r], y.f64[r]);
          break;
        case ColumnType::kString:
          ASSERT_EQ(x.string_at(r), y.string_at(r));
          break;
        case ColumnType::kBool:
          ASSERT_EQ(x.b[r], y.b[r]);
          break;
        default:
          ASSERT_EQ(x.i64[r], y.i64[r]);
      }
    }
}

TEST_F(ParquetTest, RowGroupsStreamWithTheRequestedColumns) {
  Table t = numbers(10000);
  ParquetWriteOptions o;
  o.row_group_rows = 3000;
  o.codec = ParquetCodec::kZstd;
  write_parquet(t, dir_ / "n.parquet", o);
  ParquetReader reader(dir_ / "n.parquet", {{"s", "id"}, 1});
  EXPECT_EQ(reader.num_row_groups(), 4u);
  EXPECT_EQ(reader.num_rows(), 10000u);
  size_t rows = 0;
  while (auto batch = reader.next()) {
    EXPECT_LE(batch->num_rows(), 3000u);
    expect_equal(*batch, t.select({"s", "id"}).slice(rows, batch->num_rows()));
    rows += batch->num_rows();
  }
  EXPECT_EQ(rows, 10000u);
}

TEST_F(ParquetTest, WriterBatchesDoNotChangeTheFile) {
  Table t = numbers(5000);
  write_parquet(t, dir_ / "a.parquet");
  ParquetWriter w(dir_ / "b.parquet", t.schema());
  for (size_t i = 0; i < 5000; i += 777) w.write(t.slice(i, 777));
  w.close();
  EXPECT_EQ(core::read_file(dir_ / "a.parquet"), core::read_file(dir_ / "b.parquet"));
}

TEST_F(ParquetTest, StringColumnsWithFewValuesAreDictionaryEncoded) {
  Table t = numbers(5000);
  write_parquet(t, dir_ / "d.parquet");
  std::string bytes = core::read_file(dir_ / "d.parquet");
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  auto meta = parquet::parse_file_metadata(bytes.substr(bytes.size() - 8 - len, len), "d");
  const auto& chunks = meta.row_groups.at(0).columns;
  EXPECT_TRUE(chunks[2].meta->dictionary_page_offset.has_value());      // s: 4 values
  EXPECT_TRUE(chunks[0].meta->dictionary_page_offset == std::nullopt);  // id: all distinct
  // Reading keeps the dictionary.
  Table back = read_parquet(dir_ / "d.parquet");
  EXPECT_TRUE(back.column("s").has_dictionary());
  EXPECT_EQ(back.column("s").dict.size(), 4u);
}

TEST_F(ParquetTest, DictionariesOfRowGroupsMergeWhenRead) {
  Column s("s", ColumnType::kString);
  for (int i = 0; i < 3000; ++i) s.str.push_back(std::string(1, (i < 1500 ? "ab" : "cb")[i % 2]));
  Table t({s});
  ParquetWriteOptions o;
  o.row_group_rows = 1500;  // dictionaries {a, b} and {c, b}
  write_parquet(t, dir_ / "m.parquet", o);
  Table back = read_parquet(dir_ / "m.parquet");
  ASSERT_TRUE(back.column(0).has_dictionary());
  EXPECT_EQ(back.column(0).dict.size(), 3u);
  expect_equal(back, t);
}

TEST_F(ParquetTest, StatisticsHoldMinMaxAndNulls) {
  write_parquet(numbers(1000), dir_ / "s.parquet");
  std::string bytes = core::read_file(dir_ / "s.parquet");
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  auto meta = parquet::parse_file_metadata(bytes.substr(bytes.size() - 8 - len, len), "s");
  const auto& x = *meta.row_groups[0].columns[1].meta->statistics;
  EXPECT_EQ(*x.null_count, 100);
  double lo, hi;
  std::memcpy(&lo, x.min_value->data(), 8);
  std::memcpy(&hi, x.max_value->data(), 8);
  EXPECT_EQ(lo, -100.0);
  EXPECT_EQ(hi, 998 * 0.5 - 100);  // row 999 is null
  const auto& s = *meta.row_groups[0].columns[2].meta->statistics;
  EXPECT_EQ(*s.min_value, "k1");
  EXPECT_EQ(*s.max_value, "zero");
}

TEST_F(ParquetTest, ZeroBoundsAreSignedAsTheSpecAsks) {
  // A zero min is written as -0.0 and a zero max as +0.0, whichever zeros the column holds.
  Column z("z", ColumnType::kFloat64);
  z.f64 = {0.0, -0.0, NAN, 0.0};
  write_parquet(Table({z}), dir_ / "z.parquet");
  std::string bytes = core::read_file(dir_ / "z.parquet");
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  auto meta = parquet::parse_file_metadata(bytes.substr(bytes.size() - 8 - len, len), "z");
  const auto& st = *meta.row_groups[0].columns[0].meta->statistics;
  double lo, hi;
  std::memcpy(&lo, st.min_value->data(), 8);
  std::memcpy(&hi, st.max_value->data(), 8);
  EXPECT_TRUE(lo == 0 && std::signbit(lo));
  EXPECT_TRUE(hi == 0 && !std::signbit(hi));
}

TEST_F(ParquetTest, UnknownColumnIsNotFoundNamingFileAndColumns) {
  write_parquet(numbers(10), dir_ / "u.parquet");
  try {
    read_parquet(dir_ / "u.parquet", {{"nope"}, 1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("u.parquet: no column 'nope'; the columns are: id, x, s"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ParquetTest, UnsupportedCodecIsInvalidInputNamingIt) {
  // Not a damaged file: one Plinth cannot read (exit code 2, not 4). LZO is what no writer we
  // test against offers, so the footer of a file of ours is rewritten to claim it.
  ParquetWriteOptions o;
  o.codec = ParquetCodec::kUncompressed;
  write_parquet(numbers(10), dir_ / "l.parquet", o);
  std::string bytes = core::read_file(dir_ / "l.parquet");
  uint32_t len;
  std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
  auto meta = parquet::parse_file_metadata(bytes.substr(bytes.size() - 8 - len, len), "l");
  // One column only: columns decode in parallel, and the first error to arrive is reported.
  meta.row_groups.at(0).columns.at(1).meta->codec = parquet::kLzo;
  std::string footer = parquet::serialize(meta);
  uint32_t footer_len = static_cast<uint32_t>(footer.size());
  std::string lzo = bytes.substr(0, bytes.size() - 8 - len) + footer;
  lzo.append(reinterpret_cast<const char*>(&footer_len), 4).append("PAR1");
  try {
    parse_parquet(lzo);
    FAIL() << "read an LZO file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(": column 'x', row group 0: compression codec LZO is "
                                         "not supported; rewrite the file with SNAPPY, ZSTD, "
                                         "GZIP, LZ4_RAW or BROTLI"),
              std::string::npos)
        << e.what();
  }
}

// Every truncation and many single-byte corruptions of a valid file either read or fail with
// an Error naming the file; none crashes (the sanitizer build and the fuzzers go further).
TEST_F(ParquetTest, DamagedFilesFailCleanly) {
  Table t = numbers(300);
  ParquetWriteOptions o;
  o.row_group_rows = 100;
  write_parquet(t, dir_ / "good.parquet", o);
  std::string good = core::read_file(dir_ / "good.parquet");
  size_t errors = 0;
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    try {
      parse_parquet(good.substr(0, cut));
    } catch (const Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("<memory>"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(errors, (good.size() + 6) / 7);
  for (size_t pos = 0; pos < good.size(); pos += 3) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    try {
      parse_parquet(bad);
    } catch (const Error&) {
    }
  }
}

TEST(ParquetEncodings, RleRoundTripsRunsAndLiterals) {
  std::vector<uint32_t> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i < 300 ? 5 : (i * 7919) % 13);
  std::string enc;
  parquet::encode_rle(v.data(), v.size(), 4, enc);
  std::vector<uint32_t> back(v.size());
  parquet::RleDecoder(enc, 4).decode(back.data(), back.size());
  EXPECT_EQ(back, v);
  std::vector<uint32_t> more(v.size() + 9);
  EXPECT_THROW(parquet::RleDecoder(enc, 4).decode(more.data(), more.size()), parquet::DecodeError);
}

}  // namespace
}  // namespace plinth::table
