// A local folder of Parquet files read as one table: whole (each row group decoded straight
// into the final columns) and batch by batch (footers read ahead), in file order, with hive
// partition columns. The expected table is the one the files were cut from.
#include "table/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "scratch_dir.h"
#include "table/parquet.h"
#include "table/table_io.h"

namespace plinth::table {
namespace {
namespace fs = std::filesystem;

using DatasetTest = ScratchDir;

// Numbers, plain strings, a dictionary-encoded string column and doubles with nulls.
Table rows(size_t n) {
  Column id("id", ColumnType::kInt64), name("name", ColumnType::kString),
      kind("kind", ColumnType::kString), x("x", ColumnType::kFloat64);
  for (size_t i = 0; i < n; ++i) {
    id.i64.push_back(static_cast<int64_t>(i * 7919 % 100003));
    name.str.push_back("row-" + std::to_string(i));
    kind.str.push_back(i % 3 ? "odd" : "even");
    if (i % 11 == 5) {
      x.push_null();
    } else {
      x.f64.push_back(static_cast<double>(i) / 8);
      if (!x.valid.empty()) x.valid.push_back(1);
    }
  }
  return Table({id, name, kind, x});
}

// Every value of `got` equals `want`'s, row by row.
void expect_same(const Table& got, const Table& want) {
  ASSERT_EQ(got.schema(), want.schema());
  ASSERT_EQ(got.num_rows(), want.num_rows());
  for (size_t k = 0; k < want.num_columns(); ++k) {
    const Column &g = got.column(k), &w = want.column(k);
    for (size_t r = 0; r < want.num_rows(); ++r) {
      ASSERT_EQ(g.is_null(r), w.is_null(r)) << w.name << " row " << r;
      if (w.is_null(r)) continue;
      if (w.type == ColumnType::kString)
        ASSERT_EQ(g.string_at(r), w.string_at(r)) << w.name << " row " << r;
      else if (w.type == ColumnType::kFloat64)
        ASSERT_EQ(g.f64[r], w.f64[r]) << w.name << " row " << r;
      else
        ASSERT_EQ(g.i64[r], w.i64[r]) << w.name << " row " << r;
    }
  }
}

class Lake : public DatasetTest {
 protected:
  struct Part {
    std::string path;  // under dir_
    size_t begin, rows, row_group_rows;
    std::string dt;
    int64_t h;
  };
  // Files of 3, 1, 0 and 11 row groups, in name order, under dt=.../h=... folders.
  std::vector<Part> parts_ = {
      {"dt=2026-03-30/h=1/part-0.parquet", 0, 2500, 1000, "2026-03-30", 1},
      {"dt=2026-03-30/h=1/part-1.parquet", 2500, 100, 5000, "2026-03-30", 1},
      {"dt=2026-03-30/h=2/part-0.parquet", 2600, 0, 100, "2026-03-30", 2},
      {"dt=2026-03-31/h=1/part-0.parquet", 2600, 7400, 700, "2026-03-31", 1}};
  Table all_ = rows(10000);

  void SetUp() override {
    DatasetTest::SetUp();
    for (const auto& p : parts_) {
      fs::create_directories((dir_ / p.path).parent_path());
      ParquetWriteOptions o;
      o.row_group_rows = p.row_group_rows;
      write_parquet(all_.slice(p.begin, p.rows), dir_ / p.path, o);
    }
    std::ofstream(dir_ / "_SUCCESS").put('\n');  // Spark's marker, left out
  }

  // The table the folder holds: the rows, then dt and h for each row's file.
  Table expected(size_t from = 0) const {
    Column dt("dt", ColumnType::kString), h("h", ColumnType::kInt64);
    for (const auto& p : parts_)
      for (size_t r = 0; r < p.rows; ++r) dt.str.push_back(p.dt), h.i64.push_back(p.h);
    std::vector<Column> cols = all_.columns();
    cols.push_back(dt);
    cols.push_back(h);
    return Table(std::move(cols)).slice(from, all_.num_rows());
  }
};

TEST_F(Lake, WholeFolderReadsAsOneTableInFileOrder) {
  Table t = read_table(dir_);
  expect_same(t, expected());
  // The partition value is one dictionary code per row, not a string per row.
  EXPECT_TRUE(t.column("dt").has_dictionary());
  EXPECT_EQ(t.column("dt").dict.size(), 2u);
}

TEST_F(Lake, BatchesAreTheRowGroupsInFileOrder) {
  auto reader = open_table(dir_);
  std::vector<Table> batches;
  while (auto b = reader->next()) batches.push_back(std::move(*b));
  EXPECT_EQ(batches.size(), 3u + 1 + 11);
  expect_same(concat(std::move(batches)), expected());
}

TEST_F(Lake, RestAfterSomeBatchesIsTheRemainingRows) {
  auto reader = open_dataset(dir_.string());
  ASSERT_EQ(reader->next()->num_rows(), 1000u);
  ASSERT_EQ(reader->next()->num_rows(), 1000u);
  expect_same(reader->read_remaining(), expected(2000));
  EXPECT_FALSE(reader->next());
}

TEST_F(Lake, SelectedColumnsAndPartitionKeysInTheOrderAsked) {
  ReadOptions o;
  o.columns = {"h", "x", "dt", "id"};
  expect_same(read_table(dir_, o), expected().select(o.columns));
}

TEST_F(Lake, FileWithOtherColumnsIsNamed) {
  write_parquet(all_.select({"id", "name"}).slice(0, 10),
                dir_ / "dt=2026-03-31/h=1/part-1.parquet");
  try {
    read_table(dir_);
    FAIL() << "a file with other columns was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("dt=2026-03-31/h=1/part-1.parquet has other columns or "
                                         "types than"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("it has no column 'kind'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace plinth::table
