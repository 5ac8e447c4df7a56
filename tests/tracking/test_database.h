#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "tracking/database.h"

namespace plinth::tracking {

// A fresh, empty tracking database for one test: SQLite in a temporary folder, or the
// PostgreSQL database in $PLINTH_TEST_POSTGRES_URI (set by with_postgres.sh) with every table
// emptied. Tests parameterised on "sqlite" / "postgresql" share it.
class TestDatabase {
 public:
  // Returns nullptr (and the caller should skip) when PostgreSQL is asked for but not set up.
  static std::unique_ptr<TestDatabase> open(const std::string& engine) {
    auto out = std::unique_ptr<TestDatabase>(new TestDatabase);
    if (engine == "sqlite") {
      out->dir_ = std::filesystem::temp_directory_path() /
                  ("plinth-db-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(out->dir_);
      std::filesystem::create_directories(out->dir_);
      out->db = open_database("sqlite:///" + (out->dir_ / "mlruns.db").string());
      return out;
    }
    const char* uri = std::getenv("PLINTH_TEST_POSTGRES_URI");
    if (!uri) return nullptr;
    out->db = open_database(uri);
    std::string sql;
    for (const char* table :
         {"experiments", "experiment_tags", "runs", "params", "tags", "metrics", "latest_metrics",
          "run_inputs", "run_outputs", "logged_models", "logged_model_tags", "logged_model_params",
          "registered_models", "registered_model_tags", "model_versions", "model_version_tags",
          "registered_model_aliases"})
      sql += std::string("DELETE FROM ") + table + ";";
    out->db->script(sql);
    return out;
  }

  ~TestDatabase() {
    db.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Database> db;

 private:
  TestDatabase() = default;
  std::filesystem::path dir_;
};

// The code of the plinth::Error `fn` throws; a test failure when it throws none.
inline ErrorCode error_code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::kInternal;
}

}  // namespace plinth::tracking
