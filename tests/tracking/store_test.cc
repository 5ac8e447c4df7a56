// The Store contract, run against SQLite and (under with_postgres.sh) PostgreSQL.
#include "tracking/store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "core/error.h"
#include "test_database.h"

namespace plinth::tracking {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = TestDatabase::open(GetParam());
    if (!test_db_) GTEST_SKIP() << "PLINTH_TEST_POSTGRES_URI unset: run under with_postgres.sh";
    store_ = make_store(*test_db_->db, "mlflow-artifacts:");
  }

  std::string new_run(const std::string& experiment_id = "0") {
    NewRun spec;
    spec.experiment_id = experiment_id;
    spec.user_id = "alice";
    return store_->create_run(spec).info.run_id;
  }

  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, DefaultExperimentExists) {
  Experiment e = store_->get_experiment("0");
  EXPECT_EQ(e.name, "Default");
  EXPECT_EQ(e.artifact_location, "mlflow-artifacts:/0");
  EXPECT_EQ(store_->get_experiment_by_name("Default").experiment_id, "0");
}

TEST_P(StoreTest, ExperimentsGetIncreasingIdsAndUniqueNames) {
  EXPECT_EQ(store_->create_experiment("a", "", {{"team", "x"}}), "1");
  EXPECT_EQ(store_->create_experiment("b", "/data/b", {}), "2");
  EXPECT_EQ(store_->get_experiment("2").artifact_location, "/data/b");
  store_->create_experiment("c", "relative/dir", {});
  EXPECT_EQ(store_->get_experiment("3").artifact_location,
            (std::filesystem::current_path() / "relative/dir").string());
  EXPECT_EQ(store_->get_experiment("1").tags.at(0).value, "x");
  EXPECT_EQ(error_code_of([&] { store_->create_experiment("a", "", {}); }), ErrorCode::kConflict);
  EXPECT_EQ(error_code_of([&] { store_->get_experiment("99"); }), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_of([&] { store_->get_experiment_by_name("zz"); }), ErrorCode::kNotFound);
}

TEST_P(StoreTest, DeletedExperimentHidesItsRunsAndCannotBeRenamed) {
  std::string id = store_->create_experiment("gone", "", {});
  std::string run = new_run(id);
  store_->delete_experiment(id);
  EXPECT_EQ(store_->get_experiment(id).lifecycle_stage, "deleted");
  EXPECT_EQ(store_->get_run(run).info.lifecycle_stage, "deleted");
  EXPECT_EQ(error_code_of([&] { store_->rename_experiment(id, "x"); }), ErrorCode::kInvalidInput);
  EXPECT_EQ(error_code_of([&] { store_->create_experiment("gone", "", {}); }),
            ErrorCode::kConflict);
  ExperimentSearch all;
  EXPECT_EQ(store_->search_experiments(all).items.size(), 1u);
  all.view = ViewType::kAll;
  EXPECT_EQ(store_->search_experiments(all).items.size(), 2u);
  store_->restore_experiment(id);
  EXPECT_EQ(store_->get_run(run).info.lifecycle_stage, "active");
}

TEST_P(StoreTest, RunGetsNameArtifactUriAndRunNameTag) {
  std::string id = store_->create_experiment("e", "", {});
  NewRun spec;
  spec.experiment_id = id;
  spec.run_name = "r1";
  spec.start_time = 1000;
  tracking::Run run = store_->create_run(spec);
  EXPECT_EQ(run.info.run_id.size(), 32u);
  EXPECT_EQ(run.info.status, "RUNNING");
  EXPECT_EQ(run.info.start_time, 1000);
  EXPECT_EQ(run.info.artifact_uri, "mlflow-artifacts:/1/" + run.info.run_id + "/artifacts");
  ASSERT_EQ(run.tags.size(), 1u);
  EXPECT_EQ(run.tags[0].key, "mlflow.runName");
  EXPECT_EQ(run.tags[0].value, "r1");
  EXPECT_FALSE(store_->create_run(NewRun{}).info.run_name.empty());
  spec.tags = {{"mlflow.runName", "other"}};
  EXPECT_EQ(error_code_of([&] { store_->create_run(spec); }), ErrorCode::kInvalidInput);
}

TEST_P(StoreTest, UpdateChangesOnlyWhatIsGiven) {
  std::string run = new_run();
  RunInfo info = store_->update_run(run, "FINISHED", 5000, std::nullopt);
  EXPECT_EQ(info.status, "FINISHED");
  EXPECT_EQ(info.end_time, 5000);
  info = store_->update_run(run, std::nullopt, std::nullopt, "renamed");
  EXPECT_EQ(info.status, "FINISHED");
  EXPECT_EQ(store_->get_run(run).tags.at(0).value, "renamed");
  EXPECT_EQ(error_code_of([&] { store_->update_run(run, "DONE", {}, {}); }),
            ErrorCode::kInvalidInput);
}

TEST_P(StoreTest, ParamsAreImmutable) {
  std::string run = new_run();
  store_->log_batch(run, {}, {{"alpha", "0.5"}}, {});
  store_->log_batch(run, {}, {{"alpha", "0.5"}}, {});
  try {
    store_->log_batch(run, {}, {{"alpha", "0.7"}}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find("Changing param values is not allowed"),
              std::string::npos);
  }
  EXPECT_EQ(store_->get_run(run).params.size(), 1u);
}

TEST_P(StoreTest, LatestMetricIsGreatestStepThenTimestampAndHistoryKeepsAll) {
  std::string run = new_run();
  store_->log_batch(run, {{"loss", 0.5, 100, 2, "", "", ""}, {"loss", 0.9, 50, 1, "", "", ""}}, {},
                    {});
  store_->log_batch(run, {{"loss", 0.1, 10, 2, "", "", ""}}, {}, {});
  store_->log_batch(run, {{"loss", 0.3, 200, 2, "", "", ""}}, {}, {});
  tracking::Run r = store_->get_run(run);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].value, 0.3);
  auto history = store_->metric_history(run, "loss", 0, "").items;
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].timestamp, 10);
  EXPECT_EQ(history[3].timestamp, 200);
  auto page = store_->metric_history(run, "loss", 3, "");
  EXPECT_EQ(page.items.size(), 3u);
  EXPECT_EQ(store_->metric_history(run, "loss", 3, page.next_page_token).items.size(), 1u);
}

TEST_P(StoreTest, NonFiniteMetricsRoundTrip) {
  std::string run = new_run();
  store_->log_batch(run,
                    {{"a", std::nan(""), 1, 0, "", "", ""},
                     {"b", INFINITY, 1, 0, "", "", ""},
                     {"c", -INFINITY, 1, 0, "", "", ""}},
                    {}, {});
  tracking::Run r = store_->get_run(run);
  ASSERT_EQ(r.metrics.size(), 3u);
  EXPECT_TRUE(std::isnan(r.metrics[0].value));
  EXPECT_EQ(r.metrics[1].value, INFINITY);
  EXPECT_EQ(r.metrics[2].value, -INFINITY);
}

TEST_P(StoreTest, BatchLimitsAndBadKeysChangeNothing) {
  std::string run = new_run();
  std::vector<Tag> params(101, Tag{"k", "v"});
  for (size_t i = 0; i < params.size(); ++i) params[i].key = "k" + std::to_string(i);
  EXPECT_EQ(error_code_of([&] { store_->log_batch(run, {}, params, {}); }),
            ErrorCode::kInvalidInput);
  std::vector<Metric> metrics(1001, Metric{"m", 1, 1, 0, "", "", ""});
  EXPECT_EQ(error_code_of([&] { store_->log_batch(run, metrics, {}, {}); }),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(error_code_of([&] {
              store_->log_batch(run, {}, {{"ok", "1"}}, {{"bad name!", "x"}});
            }),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(error_code_of([&] {
              store_->log_batch(run, {}, {{"../up", "1"}}, {});
            }),
            ErrorCode::kInvalidInput);
  EXPECT_TRUE(store_->get_run(run).params.empty());
  EXPECT_EQ(error_code_of([&] {
              store_->log_batch("nope", {}, {{"a", "1"}}, {});
            }),
            ErrorCode::kNotFound);
}

TEST_P(StoreTest, DeletedRunRefusesWrites) {
  std::string run = new_run();
  store_->delete_run(run);
  EXPECT_EQ(store_->get_run(run).info.lifecycle_stage, "deleted");
  EXPECT_EQ(error_code_of([&] {
              store_->log_batch(run, {}, {{"a", "1"}}, {});
            }),
            ErrorCode::kInvalidInput);
  store_->restore_run(run);
  store_->log_batch(run, {}, {{"a", "1"}}, {});
}

TEST_P(StoreTest, TagsOverwriteAndDelete) {
  std::string run = new_run();
  store_->log_batch(run, {}, {}, {{"t", "1"}});
  store_->log_batch(run, {}, {}, {{"t", "2"}});
  EXPECT_EQ(store_->get_run(run).tags.size(), 2u);  // t and mlflow.runName
  store_->delete_tag(run, "t");
  EXPECT_EQ(error_code_of([&] { store_->delete_tag(run, "t"); }), ErrorCode::kNotFound);
}

TEST_P(StoreTest, DatasetInputsAreRecordedOnce) {
  std::string run = new_run();
  DatasetInput in{
      {{"mlflow.data.context", "training"}},
      {"train.csv", "d41d8cd98f00b204e9800998ecf8427e", "local", "data/train.csv", "", ""}};
  store_->log_inputs(run, {in}, {});
  store_->log_inputs(run, {in}, {});
  tracking::Run r = store_->get_run(run);
  ASSERT_EQ(r.dataset_inputs.size(), 1u);
  EXPECT_EQ(r.dataset_inputs[0].dataset.digest, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(r.dataset_inputs[0].tags.at(0).value, "training");
}

TEST_P(StoreTest, SearchFiltersOrdersAndPages) {
  std::string exp = store_->create_experiment("s", "", {});
  for (int i = 0; i < 5; ++i) {
    NewRun spec;
    spec.experiment_id = exp;
    spec.run_name = "run" + std::to_string(i);
    spec.start_time = 1000 + i;
    std::string id = store_->create_run(spec).info.run_id;
    store_->log_batch(id, {{"loss", 1.0 - i * 0.1, 1, 0, "", "", ""}},
                      {{"model", i % 2 ? "tree" : "linear"}}, {});
  }
  new_run(exp);  // no metrics, no params
  RunSearch s;
  s.experiment_ids = {exp};
  EXPECT_EQ(store_->search_runs(s).items.size(), 6u);
  EXPECT_EQ(store_->search_runs(s).items[0].info.run_name.substr(0, 3) == "run", false);
  s.filter = "metrics.loss < 0.75 and params.model = 'linear'";
  auto found = store_->search_runs(s).items;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].info.run_name, "run4");
  s.filter = "params.model != 'tree'";
  EXPECT_EQ(store_->search_runs(s).items.size(), 3u);  // lacking the param never matches
  s.filter = "attributes.run_name LIKE 'run%'";
  s.order_by = {"metrics.loss ASC"};
  s.max_results = 2;
  auto page = store_->search_runs(s);
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].info.run_name, "run4");
  s.page_token = page.next_page_token;
  page = store_->search_runs(s);
  EXPECT_EQ(page.items[0].info.run_name, "run2");
  s.page_token = store_->search_runs(s).next_page_token;
  page = store_->search_runs(s);
  EXPECT_EQ(page.items.size(), 1u);
  EXPECT_TRUE(page.next_page_token.empty());
  s = {};
  s.experiment_ids = {exp};
  s.order_by = {"metrics.loss DESC"};
  auto ordered = store_->search_runs(s).items;
  EXPECT_EQ(ordered.front().info.run_name, "run0");
  EXPECT_TRUE(ordered.back().metrics.empty());  // missing keys sort last
  s.filter = "metrics.loss >> 1";
  EXPECT_EQ(error_code_of([&] { store_->search_runs(s); }), ErrorCode::kInvalidInput);
  s.filter = "attributes.bogus = 'x'";
  EXPECT_EQ(error_code_of([&] { store_->search_runs(s); }), ErrorCode::kInvalidInput);
}

TEST_P(StoreTest, LoggedModelLifecycle) {
  std::string exp = store_->create_experiment("lm", "", {});
  std::string run = new_run(exp);
  NewLoggedModel spec;
  spec.experiment_id = exp;
  spec.name = "model";
  spec.source_run_id = run;
  LoggedModel m = store_->create_logged_model(spec);
  EXPECT_EQ(m.status, "LOGGED_MODEL_PENDING");
  EXPECT_EQ(m.artifact_uri, "mlflow-artifacts:/1/models/" + m.model_id + "/artifacts");
  EXPECT_EQ(store_->finalize_logged_model(m.model_id, "LOGGED_MODEL_READY").status,
            "LOGGED_MODEL_READY");
  store_->set_logged_model_tags(m.model_id, {{"mlflow.modelVersions", "[]"}});
  EXPECT_EQ(store_->get_logged_model(m.model_id).tags.size(), 1u);
  EXPECT_EQ(store_->search_logged_models({exp}, "name = 'model'", 100, "").items.size(), 1u);
  EXPECT_TRUE(store_->search_logged_models({exp}, "name = 'sub'", 100, "").items.empty());
  store_->delete_logged_model(m.model_id);
  EXPECT_EQ(error_code_of([&] { store_->get_logged_model(m.model_id); }), ErrorCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentBatchesLoseNothing) {
  std::string run = new_run();
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      for (int b = 0; b < 5; ++b) {
        std::vector<Metric> batch;
        for (int i = 0; i < 100; ++i)
          batch.push_back(
              {"m" + std::to_string(t), double(i), b * 100 + i, b * 100 + i, "", "", ""});
        store_->log_batch(run, batch, {}, {});
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 16; ++t)
    EXPECT_EQ(store_->metric_history(run, "m" + std::to_string(t), 0, "").items.size(), 500u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values("sqlite"));
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values("postgresql"));

}  // namespace
}  // namespace plinth::tracking
