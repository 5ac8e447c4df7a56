#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/audit.h"
#include "tracking/database.h"
#include "tracking/entities.h"
#include "tracking/rest_client.h"
#include "tracking/store.h"

namespace plinth::registry {

using tracking::Page;
using tracking::Tag;

struct ModelVersion {
  std::string name;
  int64_t version = 0;
  int64_t creation_time = 0;
  int64_t last_updated_time = 0;
  std::string user_id;
  std::string current_stage;  // None, Staging, Production, Archived
  std::string description;
  std::string source;
  std::string run_id;
  std::string status = "READY";  // registration is immediate
  std::string run_link;
  std::string storage_location;  // what get-download-uri answers
  std::string model_id;
  std::vector<Tag> tags;
  std::vector<std::string> aliases;
};

struct RegisteredModel {
  std::string name;
  int64_t creation_time = 0;
  int64_t last_updated_time = 0;
  std::string description;
  std::vector<ModelVersion> latest_versions;  // the newest version in each stage
  std::vector<Tag> tags;
  std::vector<std::pair<std::string, int64_t>> aliases;  // alias -> version
};

struct NewModelVersion {
  std::string name;
  std::string source;
  std::string run_id;
  std::string run_link;
  std::string description;
  std::string model_id;
  std::string user_id;
  std::vector<Tag> tags;
};

struct SearchSpec {
  std::string filter;
  int64_t max_results = 100;
  std::vector<std::string> order_by;
  std::string page_token;
};

// The stages a version can be in, in MLflow's spelling.
inline const char* const kStages[] = {"None", "Staging", "Production", "Archived"};

// Registered models and their versions (spec mlflow-rest.md §5): in the tracking database
// (make_registry) or behind a plinth/MLflow server (connect_registry). Thread-safe; errors are
// plinth::Error with MLflow's messages: kNotFound for an unknown model or version, kConflict
// for a taken name, kInvalidInput otherwise.
class Registry {
 public:
  virtual ~Registry() = default;

  virtual RegisteredModel create_model(const std::string& name, const std::vector<Tag>& tags,
                                       const std::string& description) = 0;
  virtual RegisteredModel get_model(const std::string& name) = 0;
  virtual RegisteredModel rename_model(const std::string& name, const std::string& new_name) = 0;
  virtual RegisteredModel update_model(const std::string& name, const std::string& description) = 0;
  virtual void delete_model(const std::string& name) = 0;  // with its versions, tags, aliases
  virtual Page<RegisteredModel> search_models(const SearchSpec& search) = 0;
  virtual void set_model_tag(const std::string& name, const Tag& tag) = 0;
  virtual void delete_model_tag(const std::string& name, const std::string& key) = 0;
  // The newest version in each of `stages` (all four when empty; case-insensitive).
  virtual std::vector<ModelVersion> latest_versions(const std::string& name,
                                                    const std::vector<std::string>& stages) = 0;
  virtual void set_alias(const std::string& name, const std::string& alias,
                         const std::string& version) = 0;
  virtual void delete_alias(const std::string& name, const std::string& alias) = 0;
  virtual ModelVersion version_by_alias(const std::string& name, const std::string& alias) = 0;

  virtual ModelVersion create_version(const NewModelVersion& spec) = 0;
  virtual ModelVersion get_version(const std::string& name, const std::string& version) = 0;
  virtual ModelVersion update_version(const std::string& name, const std::string& version,
                                      const std::string& description) = 0;
  // Soft delete: the number is never reused; aliases pointing at it go.
  virtual void delete_version(const std::string& name, const std::string& version) = 0;
  virtual Page<ModelVersion> search_versions(const SearchSpec& search) = 0;
  virtual ModelVersion transition_stage(const std::string& name, const std::string& version,
                                        const std::string& stage,
                                        bool archive_existing_versions) = 0;
  virtual std::string download_uri(const std::string& name, const std::string& version) = 0;
  virtual void set_version_tag(const std::string& name, const std::string& version,
                               const Tag& tag) = 0;
  virtual void delete_version_tag(const std::string& name, const std::string& version,
                                  const std::string& key) = 0;

  // The audit log of the database the registry lives in: every change to models, versions,
  // aliases, tags, users and permissions (auth/audit.h), oldest first.
  virtual auth::AuditPage audit_log(const auth::AuditQuery& query) = 0;
};

// The registry in `db`; `store` resolves `models:/<model_id>` sources to the logged model's
// artifacts. Both must outlive it.
std::unique_ptr<Registry> make_registry(tracking::Database& db, tracking::Store& store);

// The registry of the server `client` talks to, over its REST API.
std::unique_ptr<Registry> connect_registry(std::shared_ptr<tracking::RestClient> client);

// The stage `stage` names, case-insensitively, in canonical spelling. Throws kInvalidInput.
std::string canonical_stage(const std::string& stage);

}  // namespace plinth::registry
