#include "features/historical.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "features/repo_loader.h"
#include "table/csv.h"
#include "table/timestamp.h"

namespace plinth::features {
namespace {

namespace fs = std::filesystem;

// A feature repository in a temporary folder: one entity `driver`, one view `stats` over
// data/stats.csv (driver_id, avg_daily_trips, event_timestamp, created) with the given ttl.
class Repo {
 public:
  Repo(const std::string& stats_csv, const std::string& ttl) {
    dir_ = fs::temp_directory_path() /
           ("plinth-features-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_ / "data");
    write("feature_store.yaml", "project: test\nregistry: data/registry.db\n");
    write("data/stats.csv", stats_csv);
    write("features.yaml",
          "kind: Entity\nname: driver\njoin_keys: [driver_id]\n---\n"
          "kind: FileSource\nname: stats_source\npath: data/stats.csv\n"
          "timestamp_field: event_timestamp\ncreated_timestamp_column: created\n---\n"
          "kind: FeatureView\nname: stats\nentities: [driver]\nttl: " +
              ttl + "\nsource: stats_source\nschema:\n  - {name: avg_daily_trips, dtype: Int64}\n");
    config_ = load_config(dir_);
    registry_ = load_definitions(config_);
  }
  ~Repo() { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }

  // avg_daily_trips per entity row, "null" where there is none.
  std::vector<std::string> join(const std::string& entities_csv, bool full_names = false) {
    table::Table entities = table::parse_csv(entities_csv);
    HistoricalOptions options;
    options.full_feature_names = full_names;
    table::Table out =
        get_historical_features(registry_, config_, entities, "entities.csv",
                                registry_.resolve({"stats:avg_daily_trips"}), options);
    const table::Column& c = out.column(out.num_columns() - 1);
    std::vector<std::string> values;
    for (size_t i = 0; i < out.num_rows(); ++i)
      values.push_back(c.is_null(i) ? "null" : std::to_string(c.i64[i]));
    return values;
  }

  table::Table join_table(const std::string& entities_csv, bool full_names) {
    HistoricalOptions options;
    options.full_feature_names = full_names;
    return get_historical_features(registry_, config_, table::parse_csv(entities_csv),
                                   "entities.csv", registry_.resolve({"stats:avg_daily_trips"}),
                                   options);
  }

 private:
  static inline int counter_ = 0;
  fs::path dir_;
  FeatureStoreConfig config_;
  Registry registry_;
};

using Values = std::vector<std::string>;

// Spec 2.9 V2 (Feast's test_historical_features_containing_backfills): the same event time is
// broken by the later created timestamp; a later event time wins over a later created one.
TEST(Historical, SpecVectorV2Backfills) {
  Repo repo(
      "driver_id,avg_daily_trips,event_timestamp,created\n"
      "1001,10,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "1001,20,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z\n"
      "1002,30,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z\n"
      "1002,40,2026-01-02T00:00:00Z,2026-01-01T00:00:00Z\n",
      "0");
  EXPECT_EQ(repo.join("driver_id,event_timestamp\n1001,2026-01-03T00:00:00Z\n"
                      "1002,2026-01-03T00:00:00Z\n"),
            (Values{"20", "40"}));
}

// Spec 2.9 V3 (default, no created-timestamp filter): a backfill created after the entity
// time still wins.
TEST(Historical, SpecVectorV3BackfillCreatedLaterStillWins) {
  Repo repo(
      "driver_id,avg_daily_trips,event_timestamp,created\n"
      "1001,10,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "1002,30,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "1001,20,2026-01-01T00:00:00Z,2026-01-03T00:00:00Z\n"
      "1002,40,2026-01-01T00:00:00Z,2026-01-03T00:00:00Z\n",
      "0");
  EXPECT_EQ(repo.join("driver_id,event_timestamp\n1001,2026-01-02T00:00:00Z\n"
                      "1002,2026-01-02T00:00:00Z\n"),
            (Values{"20", "40"}));
}

// ttl bounds are inclusive at both ends; rows after t never match; unknown keys, rows before
// any data and null times get null; entity rows keep their order and duplicates.
TEST(Historical, TtlBothEndsInclusiveOrderAndDuplicatesKept) {
  Repo repo(
      "driver_id,avg_daily_trips,event_timestamp,created\n"
      "1,100,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "1,200,2026-01-01T12:00:00Z,\n"
      "2,300,2026-01-01T00:00:00Z,\n",
      "1h");
  EXPECT_EQ(repo.join("driver_id,event_timestamp\n"
                      "1,2026-01-01T13:00:00Z\n"            // exactly ttl after 12:00: kept
                      "1,2026-01-01T13:00:00.000000001Z\n"  // 1 ns too late: null
                      "2,2026-01-01T00:00:00Z\n"            // at the event time: kept
                      "2,2025-12-31T23:59:59Z\n"            // before: null
                      "1,2026-01-01T12:30:00Z\n"
                      "1,2026-01-01T12:30:00Z\n"  // duplicate row: same value again
                      "3,2026-01-01T12:30:00Z\n"  // unknown key
                      "1,\n"),                    // null time
            (Values{"200", "null", "300", "null", "200", "200", "null", "null"}));
}

// Exact (event, created) ties: the later row in the file wins; a null created sorts first.
TEST(Historical, ExactTiesTakeTheLastRowAndNullCreatedSortsFirst) {
  Repo repo(
      "driver_id,avg_daily_trips,event_timestamp,created\n"
      "1,1,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "1,2,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "2,3,2026-01-01T00:00:00Z,2026-01-01T00:00:00Z\n"
      "2,4,2026-01-01T00:00:00Z,\n",
      "0");
  EXPECT_EQ(
      repo.join("driver_id,event_timestamp\n1,2026-01-02T00:00:00Z\n2,2026-01-02T00:00:00Z\n"),
      (Values{"2", "3"}));
}

TEST(Historical, ColumnNamesAndBadInput) {
  Repo repo(
      "driver_id,avg_daily_trips,event_timestamp,created\n1,1,2026-01-01T00:00:00Z,2026-01-01T00:"
      "00:00Z\n",
      "0");
  table::Table t =
      repo.join_table("driver_id,event_timestamp,label\n1,2026-01-02T00:00:00Z,7\n", true);
  EXPECT_EQ(t.column(3).name, "stats__avg_daily_trips");
  EXPECT_EQ(
      repo.join_table("driver_id,event_timestamp\n1,2026-01-02T00:00:00Z\n", false).column(2).name,
      "avg_daily_trips");
  auto message = [&](const std::string& csv) {
    try {
      repo.join(csv);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(
      message("user,event_timestamp\n1,2026-01-02T00:00:00Z\n").find("join key column 'driver_id'"),
      std::string::npos);
  EXPECT_NE(message("driver_id,event_timestamp\n1,2026-01-02T00:00:00Z\n1,yesterday\n")
                .find("row 2: 'yesterday'"),
            std::string::npos);
  EXPECT_NE(message("driver_id,when\n1,2026-01-02\n1,soon\n").find("no 'event_timestamp' column"),
            std::string::npos);
  EXPECT_NE(message("driver_id,avg_daily_trips,event_timestamp\n1,2,2026-01-02T00:00:00Z\n")
                .find("collides"),
            std::string::npos);
}

}  // namespace
}  // namespace plinth::features
