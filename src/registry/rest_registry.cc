// The Registry over a tracking server's REST API (spec mlflow-rest.md §5).
#include "registry/json_format.h"
#include "registry/registry.h"
#include "tracking/json_format.h"

namespace plinth::registry {
namespace {

using nlohmann::json;

class RestRegistry : public Registry {
 public:
  explicit RestRegistry(std::shared_ptr<tracking::RestClient> client) : c_(std::move(client)) {}

  RegisteredModel create_model(const std::string& name, const std::vector<Tag>& tags,
                               const std::string& description) override {
    return model(c_->call(
        "POST", "registered-models/create",
        {{"name", name}, {"tags", tracking::tags_json(tags)}, {"description", description}}));
  }
  RegisteredModel get_model(const std::string& name) override {
    return model(c_->call("GET", "registered-models/get", {{"name", name}}));
  }
  RegisteredModel rename_model(const std::string& name, const std::string& new_name) override {
    return model(
        c_->call("POST", "registered-models/rename", {{"name", name}, {"new_name", new_name}}));
  }
  RegisteredModel update_model(const std::string& name, const std::string& description) override {
    return model(c_->call("PATCH", "registered-models/update",
                          {{"name", name}, {"description", description}}));
  }
  void delete_model(const std::string& name) override {
    c_->call("DELETE", "registered-models/delete", {{"name", name}});
  }
  Page<RegisteredModel> search_models(const SearchSpec& s) override {
    json answer = c_->call("GET", "registered-models/search", search_message(s));
    Page<RegisteredModel> page;
    if (answer.contains("registered_models"))
      for (const auto& m : answer["registered_models"])
        page.items.push_back(registered_model_from_json(m));
    page.next_page_token = answer.value("next_page_token", "");
    return page;
  }
  void set_model_tag(const std::string& name, const Tag& tag) override {
    c_->call("POST", "registered-models/set-tag",
             {{"name", name}, {"key", tag.key}, {"value", tag.value}});
  }
  void delete_model_tag(const std::string& name, const std::string& key) override {
    c_->call("DELETE", "registered-models/delete-tag", {{"name", name}, {"key", key}});
  }
  std::vector<ModelVersion> latest_versions(const std::string& name,
                                            const std::vector<std::string>& stages) override {
    return versions(c_->call("POST", "registered-models/get-latest-versions",
                             {{"name", name}, {"stages", stages}})
                        .value("model_versions", json::array()));
  }
  void set_alias(const std::string& name, const std::string& alias,
                 const std::string& version) override {
    c_->call("POST", "registered-models/alias",
             {{"name", name}, {"alias", alias}, {"version", version}});
  }
  void delete_alias(const std::string& name, const std::string& alias) override {
    c_->call("DELETE", "registered-models/alias", {{"name", name}, {"alias", alias}});
  }
  ModelVersion version_by_alias(const std::string& name, const std::string& alias) override {
    return version(c_->call("GET", "registered-models/alias", {{"name", name}, {"alias", alias}}));
  }
  ModelVersion create_version(const NewModelVersion& v) override {
    return version(c_->call("POST", "model-versions/create",
                            {{"name", v.name},
                             {"source", v.source},
                             {"run_id", v.run_id},
                             {"run_link", v.run_link},
                             {"description", v.description},
                             {"model_id", v.model_id},
                             {"tags", tracking::tags_json(v.tags)}}));
  }
  ModelVersion get_version(const std::string& name, const std::string& v) override {
    return version(c_->call("GET", "model-versions/get", {{"name", name}, {"version", v}}));
  }
  ModelVersion update_version(const std::string& name, const std::string& v,
                              const std::string& description) override {
    return version(c_->call("PATCH", "model-versions/update",
                            {{"name", name}, {"version", v}, {"description", description}}));
  }
  void delete_version(const std::string& name, const std::string& v) override {
    c_->call("DELETE", "model-versions/delete", {{"name", name}, {"version", v}});
  }
  Page<ModelVersion> search_versions(const SearchSpec& s) override {
    json answer = c_->call("GET", "model-versions/search", search_message(s));
    Page<ModelVersion> page;
    page.items = versions(answer.value("model_versions", json::array()));
    page.next_page_token = answer.value("next_page_token", "");
    return page;
  }
  ModelVersion transition_stage(const std::string& name, const std::string& v,
                                const std::string& stage, bool archive_existing) override {
    return version(c_->call("POST", "model-versions/transition-stage",
                            {{"name", name},
                             {"version", v},
                             {"stage", stage},
                             {"archive_existing_versions", archive_existing}}));
  }
  std::string download_uri(const std::string& name, const std::string& v) override {
    return c_->call("GET", "model-versions/get-download-uri", {{"name", name}, {"version", v}})
        .at("artifact_uri");
  }
  void set_version_tag(const std::string& name, const std::string& v, const Tag& tag) override {
    c_->call("POST", "model-versions/set-tag",
             {{"name", name}, {"version", v}, {"key", tag.key}, {"value", tag.value}});
  }
  void delete_version_tag(const std::string& name, const std::string& v,
                          const std::string& key) override {
    c_->call("DELETE", "model-versions/delete-tag", {{"name", name}, {"version", v}, {"key", key}});
  }
  auth::AuditPage audit_log(const auth::AuditQuery& q) override {
    json message = {{"max_results", q.max_results}};
    if (!q.model.empty()) message["model"] = q.model;
    if (!q.user.empty()) message["user"] = q.user;
    if (q.since > 0) message["since"] = q.since;
    if (!q.page_token.empty()) message["page_token"] = q.page_token;
    json answer = c_->call("GET", "audit", message, "plinth");
    auth::AuditPage page;
    for (const auto& e : answer.value("entries", json::array()))
      page.entries.push_back(auth::audit_from_json(e));
    page.next_page_token = answer.value("next_page_token", "");
    return page;
  }

 private:
  static RegisteredModel model(const json& answer) {
    return registered_model_from_json(answer.at("registered_model"));
  }
  static ModelVersion version(const json& answer) {
    return model_version_from_json(answer.at("model_version"));
  }
  static std::vector<ModelVersion> versions(const json& list) {
    std::vector<ModelVersion> out;
    for (const auto& v : list) out.push_back(model_version_from_json(v));
    return out;
  }
  static json search_message(const SearchSpec& s) {
    json msg = {{"max_results", s.max_results}};
    if (!s.filter.empty()) msg["filter"] = s.filter;
    if (!s.order_by.empty()) msg["order_by"] = s.order_by;
    if (!s.page_token.empty()) msg["page_token"] = s.page_token;
    return msg;
  }

  std::shared_ptr<tracking::RestClient> c_;
};

}  // namespace

std::unique_ptr<Registry> connect_registry(std::shared_ptr<tracking::RestClient> client) {
  return std::make_unique<RestRegistry>(std::move(client));
}

}  // namespace plinth::registry
