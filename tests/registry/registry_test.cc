// The registry's rules, on SQLite and (under with_postgres.sh) PostgreSQL.
#include "registry/registry.h"

#include <gtest/gtest.h>

#include "../tracking/test_database.h"
#include "registry/uri.h"

namespace plinth::registry {
namespace {

using tracking::error_code_of;

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = tracking::TestDatabase::open(GetParam());
    if (!test_db_) GTEST_SKIP() << "PLINTH_TEST_POSTGRES_URI unset: run under with_postgres.sh";
    store_ = tracking::make_store(*test_db_->db, "mlflow-artifacts:");
    registry_ = make_registry(*test_db_->db, *store_);
    run_id_ = store_->create_run({}).info.run_id;
    registry_->create_model("m", {{"team", "fraud"}}, "desc");
    for (int i = 0; i < 3; ++i)
      registry_->create_version({"m",
                                 "runs:/" + run_id_ + "/model" + std::to_string(i + 1),
                                 run_id_,
                                 "",
                                 "",
                                 "",
                                 "alice",
                                 {}});
  }

  std::unique_ptr<tracking::TestDatabase> test_db_;
  std::unique_ptr<tracking::Store> store_;
  std::unique_ptr<Registry> registry_;
  std::string run_id_;
};

TEST_P(RegistryTest, VersionsCountUpAndAreReadyAtOnce) {
  ModelVersion v = registry_->get_version("m", "3");
  EXPECT_EQ(v.current_stage, "None");
  EXPECT_EQ(v.status, "READY");
  EXPECT_EQ(v.run_id, run_id_);
  EXPECT_EQ(error_code_of([&] { registry_->create_model("m", {}, ""); }), ErrorCode::kConflict);
  EXPECT_EQ(error_code_of([&] { registry_->get_version("m", "9"); }), ErrorCode::kNotFound);
  EXPECT_EQ(error_code_of([&] { registry_->get_model("nope"); }), ErrorCode::kNotFound);
}

TEST_P(RegistryTest, ArchiveExistingMovesOnlyTheTargetStage) {
  registry_->transition_stage("m", "1", "Production", false);
  registry_->transition_stage("m", "2", "staging", false);
  ModelVersion v3 = registry_->transition_stage("m", "3", "PRODUCTION", true);
  EXPECT_EQ(v3.current_stage, "Production");
  EXPECT_EQ(registry_->get_version("m", "1").current_stage, "Archived");
  EXPECT_EQ(registry_->get_version("m", "2").current_stage, "Staging");
  EXPECT_EQ(error_code_of([&] { registry_->transition_stage("m", "1", "None", true); }),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(error_code_of([&] { registry_->transition_stage("m", "1", "Gold", false); }),
            ErrorCode::kInvalidInput);
  auto latest = registry_->latest_versions("m", {});
  // As MLflow's server: stages in the order of their oldest version (None is empty).
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_EQ(latest[0].current_stage + " " + latest[1].current_stage + " " + latest[2].current_stage,
            "Archived Staging Production");
}

TEST_P(RegistryTest, AliasesMoveAndGoWithTheirVersion) {
  registry_->set_alias("m", "champion", "1");
  registry_->set_alias("m", "champion", "2");
  EXPECT_EQ(registry_->version_by_alias("m", "champion").version, 2);
  EXPECT_EQ(registry_->version_by_alias("m", "latest").version, 3);
  EXPECT_EQ(error_code_of([&] { registry_->set_alias("m", "v2", "1"); }), ErrorCode::kInvalidInput);
  EXPECT_EQ(error_code_of([&] { registry_->set_alias("m", "bad alias", "1"); }),
            ErrorCode::kInvalidInput);
  registry_->delete_version("m", "2");
  EXPECT_EQ(error_code_of([&] { registry_->version_by_alias("m", "champion"); }),
            ErrorCode::kInvalidInput);
  EXPECT_EQ(registry_->create_version({"m", "runs:/x/y", "", "", "", "", "", {}}).version, 4);
}

TEST_P(RegistryTest, RenameCarriesVersionsTagsAndAliases) {
  registry_->set_alias("m", "champion", "1");
  registry_->set_version_tag("m", "1", {"validated", "yes"});
  RegisteredModel renamed = registry_->rename_model("m", "fraud-detector");
  EXPECT_EQ(renamed.tags.at(0).value, "fraud");
  EXPECT_EQ(registry_->version_by_alias("fraud-detector", "champion").tags.at(0).key, "validated");
  EXPECT_EQ(error_code_of([&] { registry_->get_model("m"); }), ErrorCode::kNotFound);
}

TEST_P(RegistryTest, SearchKeepsModelsWithoutThePromptTag) {
  registry_->create_model("stub-a", {}, "");
  registry_->create_model("stub-b", {{"mlflow.prompt.is_prompt", "true"}}, "");
  SearchSpec spec;
  spec.filter = "name LIKE 'stub%' AND tag.`mlflow.prompt.is_prompt` != 'true'";
  auto found = registry_->search_models(spec).items;
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].name, "stub-a");
  spec = {};
  spec.filter = "name = 'm' AND version_number >= 2";
  spec.max_results = 1;
  auto page = registry_->search_versions(spec);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].version, 3);
  spec.page_token = page.next_page_token;
  EXPECT_EQ(registry_->search_versions(spec).items.at(0).version, 2);
}

TEST_P(RegistryTest, ModelUrisResolveToTheSourceArtifacts) {
  registry_->transition_stage("m", "2", "Production", false);
  registry_->set_alias("m", "champion", "1");
  std::string base = "mlflow-artifacts:/0/" + run_id_ + "/artifacts/";
  EXPECT_EQ(resolve_artifact_uri("models:/m/Production", *registry_, *store_), base + "model2");
  EXPECT_EQ(resolve_artifact_uri("models:/m/production", *registry_, *store_), base + "model2");
  EXPECT_EQ(resolve_artifact_uri("models:/m@champion", *registry_, *store_), base + "model1");
  EXPECT_EQ(resolve_artifact_uri("models:/m/3", *registry_, *store_), base + "model3");
  EXPECT_EQ(resolve_artifact_uri("models:/m/latest", *registry_, *store_), base + "model3");
  EXPECT_EQ(local_artifact_path(base + "model1", "/srv/art"),
            "/srv/art/0/" + run_id_ + "/artifacts/model1");
  EXPECT_EQ(error_code_of([&] { resolve_artifact_uri("models:/m/Staging", *registry_, *store_); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(error_code_of([&] { resolve_artifact_uri("models:/m@nobody", *registry_, *store_); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(error_code_of(
                [&] { resolve_artifact_uri("runs:/" + run_id_ + "/../x", *registry_, *store_); }),
            ErrorCode::kInvalidInput);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RegistryTest, ::testing::Values("sqlite"));
INSTANTIATE_TEST_SUITE_P(Postgres, RegistryTest, ::testing::Values("postgresql"));

}  // namespace
}  // namespace plinth::registry
