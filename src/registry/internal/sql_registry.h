#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/audit.h"
#include "registry/registry.h"
#include "tracking/database.h"
#include "tracking/store.h"

// The registry in a tracking database (SQLite or PostgreSQL): registered models, aliases and
// tags in registry.cc, versions and stages in model_versions.cc.
namespace plinth::registry::internal {

[[noreturn]] void invalid(const std::string& message);  // Error(kInvalidInput)
// A version number given as text; MLflow's message for anything else.
int64_t parse_version(const std::string& name, const std::string& version);
// MLflow's message for a required parameter that is empty.
void require(const std::string& value, const std::string& field);
// The newest version in each stage, stages in the order their oldest version has (MLflow keeps
// them in a dict filled while walking the versions in order). `versions` is by version.
std::vector<ModelVersion> latest_per_stage(std::vector<ModelVersion> versions);

class SqlRegistry : public Registry {
 public:
  SqlRegistry(tracking::Database& db, tracking::Store& store) : db_(db), store_(store) {}

  RegisteredModel create_model(const std::string& name, const std::vector<Tag>& tags,
                               const std::string& description) override;
  RegisteredModel get_model(const std::string& name) override;
  RegisteredModel rename_model(const std::string& name, const std::string& new_name) override;
  RegisteredModel update_model(const std::string& name, const std::string& description) override;
  void delete_model(const std::string& name) override;
  Page<RegisteredModel> search_models(const SearchSpec& search) override;
  void set_model_tag(const std::string& name, const Tag& tag) override;
  void delete_model_tag(const std::string& name, const std::string& key) override;
  std::vector<ModelVersion> latest_versions(const std::string& name,
                                            const std::vector<std::string>& stages) override;
  void set_alias(const std::string& name, const std::string& alias,
                 const std::string& version) override;
  void delete_alias(const std::string& name, const std::string& alias) override;
  ModelVersion version_by_alias(const std::string& name, const std::string& alias) override;
  ModelVersion create_version(const NewModelVersion& spec) override;
  ModelVersion get_version(const std::string& name, const std::string& version) override;
  ModelVersion update_version(const std::string& name, const std::string& version,
                              const std::string& description) override;
  void delete_version(const std::string& name, const std::string& version) override;
  Page<ModelVersion> search_versions(const SearchSpec& search) override;
  ModelVersion transition_stage(const std::string& name, const std::string& version,
                                const std::string& stage, bool archive_existing) override;
  std::string download_uri(const std::string& name, const std::string& version) override;
  void set_version_tag(const std::string& name, const std::string& version,
                       const Tag& tag) override;
  void delete_version_tag(const std::string& name, const std::string& version,
                          const std::string& key) override;
  auth::AuditPage audit_log(const auth::AuditQuery& query) override {
    return auth::read_audit(db_, query);
  }

 private:
  RegisteredModel load_model(const std::string& name);
  ModelVersion load_version(const std::string& name, int64_t version);
  std::vector<ModelVersion> load_versions(const std::string& name);
  void touch_model(const std::string& name);
  ModelVersion insert_version(const NewModelVersion& spec, const std::string& storage,
                              const std::string& run_id);

  tracking::Database& db_;
  tracking::Store& store_;
};

}  // namespace plinth::registry::internal
