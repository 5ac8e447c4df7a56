// Model registry RPCs (spec mlflow-rest.md §5).
#include "registry/json_format.h"
#include "server/internal/routes.h"

namespace plinth::server::internal {
namespace {

registry::SearchSpec search_spec(const Args& a, int64_t default_max) {
  registry::SearchSpec s;
  s.filter = a.str("filter");
  s.max_results = a.integer("max_results").value_or(default_max);
  s.order_by = a.strings("order_by");
  s.page_token = a.str("page_token");
  return s;
}

json versions_json(const std::vector<registry::ModelVersion>& versions) {
  json out = json::array();
  for (const auto& v : versions) out.push_back(registry::to_json(v));
  return out;
}

void model_routes(http::Router& r, registry::Registry& reg) {
  add_rpc(r, "POST", "registered-models/create", [&reg](const Args& a, const auto&) {
    return json{
        {"registered_model",
         to_json(reg.create_model(a.required_str("name"), a.tags("tags"), a.str("description")))}};
  });
  add_rpc(r, "GET", "registered-models/get", [&reg](const Args& a, const auto&) {
    return json{{"registered_model", to_json(reg.get_model(a.required_str("name")))}};
  });
  add_rpc(r, "POST", "registered-models/rename", [&reg](const Args& a, const auto&) {
    return json{{"registered_model",
                 to_json(reg.rename_model(a.required_str("name"), a.required_str("new_name")))}};
  });
  add_rpc(r, "PATCH", "registered-models/update", [&reg](const Args& a, const auto&) {
    return json{{"registered_model",
                 to_json(reg.update_model(a.required_str("name"), a.str("description")))}};
  });
  add_rpc(r, "DELETE", "registered-models/delete", [&reg](const Args& a, const auto&) {
    reg.delete_model(a.required_str("name"));
    return json::object();
  });
  add_rpc(r, "GET", "registered-models/search", [&reg](const Args& a, const auto&) {
    auto page = reg.search_models(search_spec(a, 100));
    json out = json::object();
    for (const auto& m : page.items) out["registered_models"].push_back(registry::to_json(m));
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  });
  add_rpc(r, "POST", "registered-models/set-tag", [&reg](const Args& a, const auto&) {
    reg.set_model_tag(a.required_str("name"), {a.required_str("key"), a.str("value")});
    return json::object();
  });
  add_rpc(r, "DELETE", "registered-models/delete-tag", [&reg](const Args& a, const auto&) {
    reg.delete_model_tag(a.required_str("name"), a.required_str("key"));
    return json::object();
  });
  auto latest = [&reg](const Args& a, const auto&) {
    auto versions = reg.latest_versions(a.required_str("name"), a.strings("stages"));
    json out = json::object();
    if (!versions.empty()) out["model_versions"] = versions_json(versions);
    return out;
  };
  add_rpc(r, "POST", "registered-models/get-latest-versions", latest);
  add_rpc(r, "GET", "registered-models/get-latest-versions", latest);
  add_rpc(r, "POST", "registered-models/alias", [&reg](const Args& a, const auto&) {
    reg.set_alias(a.required_str("name"), a.required_str("alias"), a.required_str("version"));
    return json::object();
  });
  add_rpc(r, "DELETE", "registered-models/alias", [&reg](const Args& a, const auto&) {
    reg.delete_alias(a.required_str("name"), a.required_str("alias"));
    return json::object();
  });
  add_rpc(r, "GET", "registered-models/alias", [&reg](const Args& a, const auto&) {
    return json{{"model_version",
                 to_json(reg.version_by_alias(a.required_str("name"), a.required_str("alias")))}};
  });
}

void version_routes(http::Router& r, registry::Registry& reg) {
  add_rpc(r, "POST", "model-versions/create", [&reg](const Args& a, const auto&) {
    registry::NewModelVersion spec;
    spec.name = a.required_str("name");
    spec.source = a.required_str("source");
    spec.run_id = a.str("run_id");
    spec.run_link = a.str("run_link");
    spec.description = a.str("description");
    spec.model_id = a.str("model_id");
    spec.tags = a.tags("tags");
    return json{{"model_version", to_json(reg.create_version(spec))}};
  });
  add_rpc(r, "GET", "model-versions/get", [&reg](const Args& a, const auto&) {
    return json{{"model_version",
                 to_json(reg.get_version(a.required_str("name"), a.required_str("version")))}};
  });
  add_rpc(r, "PATCH", "model-versions/update", [&reg](const Args& a, const auto&) {
    return json{{"model_version",
                 to_json(reg.update_version(a.required_str("name"), a.required_str("version"),
                                            a.str("description")))}};
  });
  add_rpc(r, "DELETE", "model-versions/delete", [&reg](const Args& a, const auto&) {
    reg.delete_version(a.required_str("name"), a.required_str("version"));
    return json::object();
  });
  add_rpc(r, "GET", "model-versions/search", [&reg](const Args& a, const auto&) {
    auto page = reg.search_versions(search_spec(a, 10000));
    json out = json::object();
    if (!page.items.empty()) out["model_versions"] = versions_json(page.items);
    if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
    return out;
  });
  add_rpc(r, "POST", "model-versions/transition-stage", [&reg](const Args& a, const auto&) {
    return json{{"model_version",
                 to_json(reg.transition_stage(a.required_str("name"), a.required_str("version"),
                                              a.required_str("stage"),
                                              a.boolean("archive_existing_versions")))}};
  });
  add_rpc(r, "GET", "model-versions/get-download-uri", [&reg](const Args& a, const auto&) {
    return json{
        {"artifact_uri", reg.download_uri(a.required_str("name"), a.required_str("version"))}};
  });
  add_rpc(r, "POST", "model-versions/set-tag", [&reg](const Args& a, const auto&) {
    reg.set_version_tag(a.required_str("name"), a.required_str("version"),
                        {a.required_str("key"), a.str("value")});
    return json::object();
  });
  add_rpc(r, "DELETE", "model-versions/delete-tag", [&reg](const Args& a, const auto&) {
    reg.delete_version_tag(a.required_str("name"), a.required_str("version"),
                           a.required_str("key"));
    return json::object();
  });
}

// Plinth's audit log (auth/audit.h): GET /api/2.0/plinth/audit?model=&user=&since=&max_results=
// &page_token=, oldest first. With --auth: admins, or READ on `model` for its own history.
void audit_route(http::Router& r, registry::Registry& reg) {
  add_rpc(
      r, "GET", "audit",
      [&reg](const Args& a, const auto&) {
        auth::AuditQuery q;
        q.model = a.str("model");
        q.user = a.str("user");
        q.since = a.integer("since").value_or(0);
        q.max_results = a.integer("max_results").value_or(1000);
        q.page_token = a.str("page_token");
        auth::AuditPage page = reg.audit_log(q);
        json entries = json::array();
        for (const auto& e : page.entries) entries.push_back(auth::audit_json(e));
        json out = {{"entries", entries}};
        if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
        return out;
      },
      "plinth");
}

}  // namespace

void add_registry_routes(http::Router& router, registry::Registry& registry) {
  model_routes(router, registry);
  version_routes(router, registry);
  audit_route(router, registry);
}

}  // namespace plinth::server::internal
