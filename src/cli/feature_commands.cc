// Feature store commands: apply, plan, list, describe, historical.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "features/definitions.h"
#include "features/historical.h"
#include "features/repo_loader.h"
#include "table/table_io.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct RepoFlag {
  std::string repo = ".";
  void add_to(CLI::App* cmd) {
    cmd->add_option("-c,--chdir,--repo", repo,
                    "The feature repository (the folder with feature_store.yaml; default: .)");
  }
};

// The applied registry, or an empty one for a first apply.
features::Registry applied_or_empty(const features::FeatureStoreConfig& config) {
  if (!fs::exists(config.registry_path)) {
    features::Registry empty;
    empty.project = config.project;
    return empty;
  }
  return features::load_registry(config);
}

const char* action_word(features::RegistryChange::Action a) {
  switch (a) {
    case features::RegistryChange::Action::kCreate:
      return "Created";
    case features::RegistryChange::Action::kUpdate:
      return "Updated";
    case features::RegistryChange::Action::kDelete:
      return "Deleted";
  }
  return "";
}

json changes_json(const std::vector<features::RegistryChange>& changes) {
  json out = json::array();
  for (const auto& c : changes) {
    std::string action = c.action == features::RegistryChange::Action::kCreate   ? "create"
                         : c.action == features::RegistryChange::Action::kUpdate ? "update"
                                                                                 : "delete";
    out.push_back({{"action", action}, {"kind", c.kind}, {"name", c.name}, {"changes", c.details}});
  }
  return out;
}

int run_apply(const RepoFlag& flags, bool dry_run, bool as_json) {
  features::FeatureStoreConfig config = features::load_config(flags.repo);
  features::Registry next = features::load_definitions(config);
  features::Registry current = applied_or_empty(config);
  auto changes = features::diff_registries(current, next);
  // Rewritten also when only where things are defined moved (file:line), so describe stays
  // right; reported changes are the ones that matter.
  bool stale = !fs::exists(config.registry_path) || current.to_json() != next.to_json();
  if (!dry_run && stale) features::save_registry(next, config);
  if (as_json) {
    print_json({{"project", config.project},
                {"registry", config.registry_path.string()},
                {"applied", !dry_run},
                {"changes", changes_json(changes)}});
    return 0;
  }
  if (changes.empty()) {
    std::cout << "No changes to registry"
              << (dry_run ? "" : " (" + config.registry_path.string() + ")") << "\n";
    return 0;
  }
  for (const auto& c : changes) {
    std::string word = action_word(c.action);
    if (dry_run)
      word = c.action == features::RegistryChange::Action::kCreate   ? "Would create"
             : c.action == features::RegistryChange::Action::kUpdate ? "Would update"
                                                                     : "Would delete";
    std::cout << word << " " << c.kind << " " << c.name << "\n";
    for (const auto& d : c.details) std::cout << "    " << d << "\n";
  }
  if (!dry_run) std::cout << "\nRegistry written to " << config.registry_path.string() << "\n";
  return 0;
}

std::string tags_text(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

int run_list(const RepoFlag& flags, const std::string& what, bool as_json) {
  features::FeatureStoreConfig config = features::load_config(flags.repo);
  features::Registry r = features::load_registry(config);
  json doc = r.to_json();
  static const std::map<std::string, std::string> kKinds = {
      {"entities", "entities"},         {"sources", "sources"},
      {"views", "feature_views"},       {"feature-views", "feature_views"},
      {"services", "feature_services"}, {"feature-services", "feature_services"}};
  std::vector<std::string> keys;
  if (what.empty()) {
    keys = {"entities", "sources", "feature_views", "feature_services"};
  } else if (auto it = kKinds.find(what); it != kKinds.end()) {
    keys = {it->second};
  } else {
    throw Error(ErrorCode::kInvalidInput,
                "unknown kind '" + what + "'; list entities, sources, views or services");
  }
  if (as_json) {
    json out = json::object();
    for (const auto& k : keys) out[k] = doc[k];
    print_json(out);
    return 0;
  }
  for (const auto& k : keys) {
    if (k == "entities") {
      std::cout << "ENTITY                    JOIN KEY              TYPE\n";
      for (const auto& e : r.entities)
        std::printf("%-25s %-21s %s\n", e.name.c_str(), e.join_key.c_str(),
                    std::string(features::value_type_name(e.value_type)).c_str());
    } else if (k == "sources") {
      std::cout << "SOURCE                    KIND   PATH / BATCH SOURCE\n";
      for (const auto& s : r.sources)
        std::printf("%-25s %-6s %s\n", s.name.c_str(),
                    s.kind == features::Source::Kind::kPush ? "push" : "file",
                    (s.kind == features::Source::Kind::kPush ? s.batch_source : s.path).c_str());
    } else if (k == "feature_views") {
      std::cout << "FEATURE VIEW              ENTITIES              TTL    FEATURES\n";
      for (const auto& v : r.feature_views) {
        std::string ents;
        for (const auto& e : v.entities) ents += (ents.empty() ? "" : ",") + e;
        std::printf("%-25s %-21s %-6s %zu\n", v.name.c_str(), ents.c_str(),
                    features::format_duration(v.ttl).c_str(),
                    v.features.size() + v.aggregations.size());
      }
    } else {
      std::cout << "FEATURE SERVICE           FEATURES\n";
      for (const auto& s : r.feature_services)
        std::printf("%-25s %zu\n", s.name.c_str(), s.features.size());
    }
    if (k != keys.back()) std::cout << "\n";
  }
  return 0;
}

int run_describe(const RepoFlag& flags, const std::string& name, bool as_json) {
  features::FeatureStoreConfig config = features::load_config(flags.repo);
  features::Registry r = features::load_registry(config);
  json doc = r.to_json();
  json found = json::array();
  for (const char* kind : {"feature_views", "feature_services", "entities", "sources"})
    for (const auto& o : doc[kind])
      if (o["name"] == name) found.push_back({{"kind", kind}, {"object", o}});
  if (found.empty())
    throw Error(
        ErrorCode::kNotFound,
        "nothing named '" + name + "' in the registry; 'plinth features list' shows what there is");
  if (as_json) {
    print_json(found.size() == 1 ? found[0]["object"] : found);
    return 0;
  }
  for (const auto& f : found) {
    std::string kind = f["kind"];
    std::cout << kind.substr(0, kind.size() - 1) << " " << name << "\n";
    if (kind == "feature_views") {
      const features::FeatureView& v = r.feature_view(name);
      std::string ents;
      for (const auto& e : v.entities) ents += (ents.empty() ? "" : ", ") + e;
      std::cout << "  entities:    " << (ents.empty() ? "(none)" : ents) << "\n"
                << "  source:      " << v.source << "\n"
                << "  ttl:         " << (v.ttl ? features::format_duration(v.ttl) : "0 (unlimited)")
                << "\n"
                << "  online:      " << (v.online ? "true" : "false") << "\n";
      if (!v.tags.empty()) std::cout << "  tags:        " << tags_text(v.tags) << "\n";
      std::cout << "  features:\n";
      for (const auto& k : v.entity_columns)
        std::cout << "    " << k.name << " (" << features::value_type_name(k.type)
                  << ", join key)\n";
      for (const auto& ft : v.features)
        std::cout << "    " << ft.name << " (" << features::value_type_name(ft.type) << ")\n";
      for (const auto& a : v.aggregations)
        std::cout << "    " << a.name << " (" << features::value_type_name(a.type)
                  << ") = " << features::aggregation_function_name(a.function) << "("
                  << (a.column.empty() ? "*" : a.column) << ") over "
                  << features::format_duration(a.window) << "\n";
      std::cout << "  defined in:  " << v.defined_in << "\n";
    } else {
      for (const auto& [key, value] : f["object"].items())
        if (key != "name") std::cout << "  " << key << ": " << value.dump() << "\n";
    }
  }
  return 0;
}

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    size_t pos = 0;
    while (pos <= item.size()) {
      size_t comma = item.find(',', pos);
      std::string part =
          item.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

struct HistoricalFlags {
  RepoFlag repo;
  std::string entities;
  std::vector<std::string> features;
  std::string service;
  std::string out;
  bool full_feature_names = false;
  size_t jobs = 0;
  bool as_json = false;
};

int run_historical(const HistoricalFlags& f) {
  auto start = std::chrono::steady_clock::now();
  features::FeatureStoreConfig config = features::load_config(f.repo.repo);
  features::Registry r = features::load_registry(config);
  if (f.features.empty() == f.service.empty())
    throw Error(ErrorCode::kInvalidInput,
                "give either --features view:feature,... or --service NAME");
  std::vector<features::FeatureRef> refs =
      f.service.empty() ? r.resolve(split_commas(f.features)) : r.service_features(f.service);
  if (!fs::exists(f.entities))
    throw Error(ErrorCode::kNotFound, "entity file '" + f.entities + "' does not exist");
  table::format_of(f.out);  // an unknown output extension fails before the work
  table::ReadOptions ro;
  ro.jobs = f.jobs;
  table::Table entities = table::read_table(f.entities, ro);
  features::HistoricalOptions options;
  options.full_feature_names = f.full_feature_names;
  options.jobs = f.jobs;
  table::Table result =
      features::get_historical_features(r, config, entities, f.entities, refs, options);
  table::write_table(result, f.out);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (f.as_json) {
    json cols = json::array();
    for (const auto& c : result.columns()) cols.push_back(c.name);
    print_json(
        {{"out", f.out}, {"rows", result.num_rows()}, {"columns", cols}, {"seconds", seconds}});
  } else {
    std::cout << "Wrote " << plural(result.num_rows(), "row") << " with "
              << plural(refs.size(), "feature") << " to " << f.out << "\n";
  }
  return 0;
}

}  // namespace

void register_feature_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* features = app.add_subcommand(
      "features", "Feature store (Feast-compatible): definitions, point-in-time training sets");
  features->require_subcommand(1);

  static RepoFlag apply_repo, plan_repo, list_repo, describe_repo;
  static bool apply_json = false, plan_json = false, list_json = false, describe_json = false;
  CLI::App* apply = features->add_subcommand(
      "apply", "Validate the YAML definitions and write them to the registry file");
  apply_repo.add_to(apply);
  apply->add_flag("--json", apply_json, "Print the changes as JSON");
  apply->callback(
      [&invocation] { invocation.run = [] { return run_apply(apply_repo, false, apply_json); }; });

  CLI::App* plan =
      features->add_subcommand("plan", "Show what apply would change, changing nothing");
  plan_repo.add_to(plan);
  plan->add_flag("--json", plan_json, "Print the changes as JSON");
  plan->callback(
      [&invocation] { invocation.run = [] { return run_apply(plan_repo, true, plan_json); }; });

  static std::string list_what;
  CLI::App* list =
      features->add_subcommand("list", "List the applied entities, sources, views and services");
  list_repo.add_to(list);
  list->add_option("KIND", list_what, "Only entities, sources, views or services");
  list->add_flag("--json", list_json, "Print JSON");
  list->callback(
      [&invocation] { invocation.run = [] { return run_list(list_repo, list_what, list_json); }; });

  static std::string describe_name;
  CLI::App* describe = features->add_subcommand("describe", "Show one applied object in full");
  describe_repo.add_to(describe);
  describe->add_option("NAME", describe_name, "A feature view, service, entity or source")
      ->required();
  describe->add_flag("--json", describe_json, "Print JSON");
  describe->callback([&invocation] {
    invocation.run = [] { return run_describe(describe_repo, describe_name, describe_json); };
  });

  static HistoricalFlags hist;
  CLI::App* historical = features->add_subcommand(
      "historical", "Build a point-in-time correct training set (Feast's get_historical_features)");
  hist.repo.add_to(historical);
  historical
      ->add_option(
          "--entities", hist.entities,
          "Entity rows (.csv/.parquet): join keys and event_timestamp, any other columns kept")
      ->required();
  historical->add_option("--features", hist.features,
                         "Feature references view:feature, comma-separated");
  historical->add_option("--service", hist.service, "A feature service instead of --features");
  historical->add_option("-o,--out", hist.out, "Output file (.csv or .parquet)")->required();
  historical->add_flag("--full-feature-names", hist.full_feature_names,
                       "Name feature columns view__feature (Feast's full_feature_names)");
  historical->add_option("-j,--jobs", hist.jobs, "Threads (default: one per core)");
  historical->add_flag("--json", hist.as_json, "Print a JSON summary");
  historical->callback([&invocation] { invocation.run = [] { return run_historical(hist); }; });
}

}  // namespace plinth::cli
