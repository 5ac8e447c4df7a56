// Experiment tracking and the model registry: `server`, `runs`, `log`, `artifacts`, `models`.
// Without a server these use the store directly (embedded mode).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>

#include "auth/auth_config.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/server_security.h"
#include "cli/tracked_training.h"
#include "cli/tracking_session.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "registry/json_format.h"
#include "registry/uri.h"
#include "server/tracking_server.h"
#include "tracking/json_format.h"
#include "tracking/rest_client.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path active_run_file() { return project_root() / ".plinth" / "active_run"; }

// The run commands log to: --run, $PLINTH_RUN_ID, else the one `plinth runs start` began.
std::string current_run(const TrackingFlags& flags) {
  if (!flags.run_id.empty()) return flags.run_id;
  std::string id = env("PLINTH_RUN_ID");
  if (!id.empty()) return id;
  std::ifstream in(active_run_file());
  if (in >> id) return id;
  throw Error(ErrorCode::kInvalidInput,
              "no active run: start one with 'plinth runs start', export PLINTH_RUN_ID, or pass "
              "--run RUN_ID");
}

std::string metric_text(double v) {
  std::ostringstream out;
  out << std::setprecision(6) << v;
  return out.str();
}

void add_server_command(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("server", "Serve the MLflow-compatible tracking and registry API");
  auto opts = std::make_shared<server::ServeOptions>();
  cmd->add_option("--backend-store-uri", opts->backend_store_uri,
                  "sqlite:///mlruns.db (default) or postgresql://USER@HOST:PORT/DB");
  cmd->add_option("--artifacts-destination", opts->artifacts_destination,
                  "Folder or s3://bucket/prefix for proxied artifacts (default ./mlartifacts)");
  cmd->add_option("--host", opts->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", opts->port, "Port (default 5000; 0 picks a free one)");
  cmd->add_flag("--auth", opts->auth,
                "Require logins (HTTP Basic or bearer token) and MLflow's permissions; the admin "
                "comes from PLINTH_ADMIN_USERNAME and PLINTH_ADMIN_PASSWORD (or MLflow's "
                "MLFLOW_AUTH_ADMIN_USERNAME/PASSWORD, or --auth-config) on first start (always "
                "on when --host is not loopback)");
  auto auth_config = std::make_shared<std::string>();
  cmd->add_option("--auth-config", *auth_config,
                  "MLflow's basic_auth.ini: admin_username, admin_password, default_permission "
                  "are used (implies --auth; refused when others may read a password in it)")
      ->envname("MLFLOW_AUTH_CONFIG_PATH");
  cmd->add_flag("--insecure-no-auth", opts->insecure_no_auth,
                "Serve beyond loopback without logins: anyone who reaches the port can read and "
                "change everything");
  cmd->add_option("--default-permission", opts->default_permission,
                  "With logins: what users may do on experiments and models nobody granted them "
                  "anything on (READ default, USE, EDIT, MANAGE, NO_PERMISSIONS)");
  add_tls_flags(cmd, opts->tls_cert, opts->tls_key);
  cmd->callback([&inv, cmd, opts, auth_config] {
    bool permission_flag = cmd->count("--default-permission") > 0;
    inv.run = [opts, auth_config, permission_flag] {
      if (!auth_config->empty()) {
        auth::AuthConfig config = auth::read_auth_config(*auth_config);
        for (const auto& key : config.ignored)
          std::cerr << "plinth server: " << *auth_config << ": ignoring " << key << "\n";
        opts->auth = true;
        opts->admin_username = config.admin_username;
        opts->admin_password = config.admin_password;
        if (!permission_flag && !config.default_permission.empty())
          opts->default_permission = config.default_permission;
      }
      // The environment wins over the file, as in MLflow.
      for (const char* prefix : {"MLFLOW_AUTH_ADMIN_", "PLINTH_ADMIN_"}) {
        std::string name = env((std::string(prefix) + "USERNAME").c_str());
        std::string password = env((std::string(prefix) + "PASSWORD").c_str());
        if (!name.empty()) opts->admin_username = name;
        if (!password.empty()) opts->admin_password = password;
      }
      server::run_server(*opts);
      return 0;
    };
  });
}

void add_runs_group(CLI::App& app, Invocation& inv) {
  auto* group = app.add_subcommand(
      "runs", "Start, end, list, show and compare tracked runs; exec runs a command as one");
  group->require_subcommand(1);
  auto flags = std::make_shared<TrackingFlags>();
  auto experiment = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();

  auto* start = group->add_subcommand("start", "Start a run; later log commands go to it");
  add_tracking_flags(start, *flags);
  start->add_option("-e,--experiment", *experiment, "Experiment name (created if missing)");
  start->add_option("-n,--name", *name, "Run name (default: generated)");
  start->callback([&inv, flags, experiment, name] {
    inv.run = [=] {
      Session s(*flags);
      std::string run_id = create_local_run(*s.store, *experiment, *name);
      fs::create_directories(active_run_file().parent_path());
      core::write_file_atomic(active_run_file(), run_id + "\n");
      std::cout << run_id << "\n";
      return 0;
    };
  });

  auto* end = group->add_subcommand("end", "End the active run");
  auto status = std::make_shared<std::string>("FINISHED");
  add_tracking_flags(end, *flags);
  end->add_option("--status", *status, "FINISHED (default), FAILED or KILLED");
  end->add_option("--run", flags->run_id, "Run id (default: the active run)");
  end->callback([&inv, flags, status] {
    inv.run = [=] {
      Session s(*flags);
      std::string run = current_run(*flags);
      s.store->update_run(run, *status, tracking::now_ms(), std::nullopt);
      std::error_code ec;
      fs::remove(active_run_file(), ec);
      return 0;
    };
  });

  auto* list = group->add_subcommand("list", "List runs, newest first");
  add_tracking_flags(list, *flags);
  auto filter = std::make_shared<std::string>();
  list->add_option("-e,--experiment", *experiment, "Experiment name (default: Default)");
  list->add_option("--filter", *filter, "MLflow search filter, e.g. \"metrics.loss < 0.3\"");
  list->add_flag("--json", flags->json, "Print the runs as MLflow JSON");
  list->callback([&inv, flags, experiment, filter] {
    inv.run = [=] {
      Session s(*flags);
      tracking::RunSearch search;
      search.experiment_ids = {
          experiment->empty() ? "0" : s.store->get_experiment_by_name(*experiment).experiment_id};
      search.filter = *filter;
      search.max_results = 50000;
      auto runs = s.store->search_runs(search).items;
      if (flags->json) {
        json out = json::array();
        for (const auto& r : runs) out.push_back(tracking::to_json(r));
        print_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> rows{
          {"RUN ID", "NAME", "STATUS", "STARTED", "METRICS"}};
      for (const auto& r : runs) {
        std::string metrics;
        for (const auto& m : r.metrics)
          metrics += (metrics.empty() ? "" : " ") + m.key + "=" + metric_text(m.value);
        rows.push_back({r.info.run_id, r.info.run_name, r.info.status,
                        format_time(r.info.start_time), metrics});
      }
      print_table(rows);
      return 0;
    };
  });

  auto* show = group->add_subcommand("show", "Show a run: params, metrics, tags, inputs");
  add_tracking_flags(show, *flags);
  auto run_ids = std::make_shared<std::vector<std::string>>();
  show->add_option("RUN", flags->run_id, "Run id (default: the active run)");
  show->add_flag("--json", flags->json, "Print the run as MLflow JSON");
  show->callback([&inv, flags] {
    inv.run = [=] {
      Session s(*flags);
      auto run = s.store->get_run(current_run(*flags));
      if (flags->json) {
        print_json(tracking::to_json(run));
        return 0;
      }
      std::cout << "run " << run.info.run_id << " (" << run.info.run_name << ")\n"
                << "  status: " << run.info.status << ", experiment " << run.info.experiment_id
                << ", started " << format_time(run.info.start_time) << "\n"
                << "  artifacts: " << run.info.artifact_uri << "\n";
      for (const auto& p : run.params)
        std::cout << "  param  " << p.key << " = " << p.value << "\n";
      for (const auto& m : run.metrics)
        std::cout << "  metric " << m.key << " = " << metric_text(m.value) << " (step " << m.step
                  << ")\n";
      for (const auto& t : run.tags) std::cout << "  tag    " << t.key << " = " << t.value << "\n";
      for (const auto& in : run.dataset_inputs)
        std::cout << "  input  " << in.dataset.name << " " << in.dataset.digest << "\n";
      return 0;
    };
  });

  auto* compare = group->add_subcommand("compare", "Params and metrics of runs side by side");
  add_tracking_flags(compare, *flags);
  compare->add_option("RUNS", *run_ids, "Run ids")->required()->expected(2, -1);
  compare->add_flag("--json", flags->json, "Print {run_id: {params, metrics}}");
  compare->callback([&inv, flags, run_ids] {
    inv.run = [=] {
      Session s(*flags);
      std::vector<tracking::Run> runs;
      for (const auto& id : *run_ids) runs.push_back(s.store->get_run(id));
      std::set<std::string> params, metrics;
      for (const auto& r : runs) {
        for (const auto& p : r.params) params.insert(p.key);
        for (const auto& m : r.metrics) metrics.insert(m.key);
      }
      if (flags->json) {
        json out = json::object();
        for (const auto& r : runs) {
          json& entry = out[r.info.run_id];
          entry["params"] = json::object();
          entry["metrics"] = json::object();
          for (const auto& p : r.params) entry["params"][p.key] = p.value;
          for (const auto& m : r.metrics) entry["metrics"][m.key] = tracking::double_json(m.value);
        }
        print_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> rows{{""}};
      for (const auto& r : runs) rows[0].push_back(r.info.run_name);
      auto add_rows = [&](const std::set<std::string>& keys, bool is_param) {
        for (const auto& key : keys) {
          rows.push_back({(is_param ? "param " : "metric ") + key});
          for (const auto& r : runs) {
            std::string cell = "-";
            if (is_param) {
              for (const auto& p : r.params)
                if (p.key == key) cell = p.value;
            } else {
              for (const auto& m : r.metrics)
                if (m.key == key) cell = metric_text(m.value);
            }
            rows.back().push_back(cell);
          }
        }
      };
      add_rows(params, true);
      add_rows(metrics, false);
      print_table(rows);
      return 0;
    };
  });
}

// `log dataset FILE`: the file's md5 (DVC's content hash) as a dataset input of the run.
void add_log_dataset(CLI::App* group, Invocation& inv) {
  auto* cmd = group->add_subcommand("dataset", "Record a data file the run read, with its md5");
  auto flags = std::make_shared<TrackingFlags>();
  auto file = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  auto context = std::make_shared<std::string>("training");
  add_tracking_flags(cmd, *flags);
  cmd->add_option("--run", flags->run_id, "Run id (default: $PLINTH_RUN_ID or the active run)");
  cmd->add_option("FILE", *file, "The data file")->required();
  cmd->add_option("--name", *name, "Dataset name (default: the file's path)");
  cmd->add_option("--context", *context, "training (default), validation, test, ...");
  cmd->callback([&inv, flags, file, name, context] {
    inv.run = [=] {
      if (!fs::is_regular_file(*file))
        throw Error(ErrorCode::kInvalidInput, "log dataset: '" + *file + "' is not a file");
      Session s(*flags);
      std::string source = fs::relative(fs::absolute(*file), project_root()).generic_string();
      tracking::DatasetInput input{
          {{"mlflow.data.context", *context}},
          {name->empty() ? source : *name, core::md5_file(*file), "local", source, "", ""}};
      s.store->log_inputs(current_run(*flags), {input}, {});
      std::cout << input.dataset.name << " " << input.dataset.digest << "\n";
      return 0;
    };
  });
}

void add_log_group(CLI::App& app, Invocation& inv) {
  auto* group = app.add_subcommand("log", "Log a param, metric, tag or dataset to the active run");
  group->require_subcommand(1);
  for (const char* kind : {"param", "metric", "tag"}) {
    auto* cmd = group->add_subcommand(kind, std::string("Log a ") + kind);
    auto flags = std::make_shared<TrackingFlags>();
    auto key = std::make_shared<std::string>();
    auto value = std::make_shared<std::string>();
    auto step = std::make_shared<int64_t>(0);
    add_tracking_flags(cmd, *flags);
    cmd->add_option("--run", flags->run_id, "Run id (default: $PLINTH_RUN_ID or the active run)");
    cmd->add_option("KEY", *key, "Name")->required();
    cmd->add_option("VALUE", *value, "Value")->required();
    if (std::string(kind) == "metric") cmd->add_option("--step", *step, "Step (default 0)");
    std::string k = kind;
    cmd->callback([&inv, flags, key, value, step, k] {
      inv.run = [=] {
        Session s(*flags);
        std::string run = current_run(*flags);
        if (k == "param") {
          s.store->log_batch(run, {}, {{*key, *value}}, {});
        } else if (k == "tag") {
          s.store->log_batch(run, {}, {}, {{*key, *value}});
        } else {
          char* end = nullptr;
          double v = std::strtod(value->c_str(), &end);
          if (value->empty() || *end != '\0')
            throw Error(ErrorCode::kInvalidInput,
                        "metric " + *key + ": '" + *value + "' is not a number");
          s.store->log_batch(run, {{*key, v, tracking::now_ms(), *step, "", "", ""}}, {}, {});
        }
        return 0;
      };
    });
  }
  add_log_dataset(group, inv);
}

void add_artifacts_group(CLI::App& app, Invocation& inv) {
  auto* group = app.add_subcommand("artifacts", "Log, list and get a run's artifacts");
  group->require_subcommand(1);
  auto flags = std::make_shared<TrackingFlags>();
  auto path = std::make_shared<std::string>();
  auto files = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>(".");

  auto* log = group->add_subcommand("log", "Copy files into the run's artifacts");
  add_tracking_flags(log, *flags);
  log->add_option("--run", flags->run_id, "Run id (default: $PLINTH_RUN_ID or the active run)");
  log->add_option("FILES", *files, "Files or folders")->required();
  log->add_option("-p,--artifact-path", *path, "Folder inside the run's artifacts");
  log->callback([&inv, flags, files, path] {
    inv.run = [=] {
      Session s(*flags);
      auto run = s.store->get_run(current_run(*flags));
      std::string base = tracking::proxied_path(run.info.artifact_uri);
      std::string dir = tracking::checked_artifact_path(*path);
      if (!dir.empty()) base += "/" + dir;
      for (const auto& f : *files) {
        fs::path src(f);
        if (fs::is_directory(src)) {
          for (const auto& e : fs::recursive_directory_iterator(src))
            if (e.is_regular_file())
              s.artifacts->put(base + "/" + src.filename().string() + "/" +
                                   fs::relative(e.path(), src).generic_string(),
                               core::read_file(e.path()));
        } else {
          s.artifacts->put(base + "/" + src.filename().string(), core::read_file(src));
        }
      }
      return 0;
    };
  });

  auto* list = group->add_subcommand("list", "List a folder of the run's artifacts");
  add_tracking_flags(list, *flags);
  list->add_option("--run", flags->run_id, "Run id (default: $PLINTH_RUN_ID or the active run)");
  list->add_option("PATH", *path, "Folder (default: the top)");
  list->add_flag("--json", flags->json, "Print [{path, is_dir, file_size}]");
  list->callback([&inv, flags, path] {
    inv.run = [=] {
      Session s(*flags);
      auto run = s.store->get_run(current_run(*flags));
      std::string rel = tracking::checked_artifact_path(*path);
      std::string base = tracking::proxied_path(run.info.artifact_uri);
      json out = json::array();
      for (const auto& f : s.artifacts->list(rel.empty() ? base : base + "/" + rel)) {
        std::string p = rel.empty() ? f.path : rel + "/" + f.path;
        if (flags->json) {
          json item = {{"path", p}, {"is_dir", f.is_dir}};
          if (!f.is_dir) item["file_size"] = f.file_size;
          out.push_back(item);
        } else {
          std::cout << p << (f.is_dir ? "/" : "") << "\n";
        }
      }
      if (flags->json) print_json(out);
      return 0;
    };
  });

  auto* get = group->add_subcommand("get", "Download one artifact file");
  add_tracking_flags(get, *flags);
  get->add_option("--run", flags->run_id, "Run id (default: $PLINTH_RUN_ID or the active run)");
  get->add_option("PATH", *path, "File inside the run's artifacts")->required();
  get->add_option("-o,--out", *output, "Where to write it (default: current folder)");
  get->callback([&inv, flags, path, output] {
    inv.run = [=] {
      Session s(*flags);
      auto run = s.store->get_run(current_run(*flags));
      std::string rel = tracking::checked_artifact_path(*path);
      auto bytes = s.artifacts->get(tracking::proxied_path(run.info.artifact_uri) + "/" + rel);
      if (!bytes)
        throw Error(ErrorCode::kNotFound, "run " + run.info.run_id + " has no artifact " + rel);
      fs::path dest(*output);
      if (fs::is_directory(dest)) dest /= fs::path(rel).filename();
      core::write_file_atomic(dest, *bytes);
      std::cout << dest.string() << "\n";
      return 0;
    };
  });
}

void add_models_group(CLI::App& app, Invocation& inv) {
  auto* group = app.add_subcommand("models", "Register, promote, alias and resolve models");
  group->require_subcommand(1);
  auto flags = std::make_shared<TrackingFlags>();
  auto name = std::make_shared<std::string>();
  auto source = std::make_shared<std::string>();
  auto version = std::make_shared<std::string>();
  auto stage = std::make_shared<std::string>();
  auto alias = std::make_shared<std::string>();
  auto archive = std::make_shared<bool>(false);

  auto print_version = [](const registry::ModelVersion& v, bool as_json) {
    if (as_json)
      print_json(registry::to_json(v));
    else
      std::cout << v.name << " version " << v.version << " (" << v.current_stage << ") " << v.source
                << "\n";
  };

  auto* reg = group->add_subcommand("register", "Register SOURCE as a new version of NAME");
  add_tracking_flags(reg, *flags);
  reg->add_option("NAME", *name, "Registered model name (created if missing)")->required();
  reg->add_option("SOURCE", *source, "runs:/RUN_ID/PATH, models:/MODEL_ID or a folder")->required();
  reg->add_flag("--json", flags->json, "Print the version as MLflow JSON");
  reg->callback([&inv, flags, name, source, print_version] {
    inv.run = [=] {
      Session s(*flags);
      try {
        s.registry->create_model(*name, {}, "");
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kConflict) throw;
      }
      registry::NewModelVersion spec;
      spec.name = *name;
      spec.source = *source;
      if (source->rfind("runs:/", 0) == 0)
        spec.run_id = source->substr(6, source->find('/', 6) - 6);
      spec.user_id = env("USER");
      print_version(s.registry->create_version(spec), flags->json);
      return 0;
    };
  });

  auto* list = group->add_subcommand("list", "List registered models");
  add_tracking_flags(list, *flags);
  list->add_flag("--json", flags->json, "Print MLflow JSON");
  list->callback([&inv, flags] {
    inv.run = [=] {
      Session s(*flags);
      registry::SearchSpec spec;
      spec.max_results = 1000;
      auto models = s.registry->search_models(spec).items;
      if (flags->json) {
        json out = json::array();
        for (const auto& m : models) out.push_back(registry::to_json(m));
        print_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> rows{{"NAME", "LATEST", "STAGES", "ALIASES"}};
      for (const auto& m : models) {
        int64_t latest = 0;
        std::string stages, aliases;
        for (const auto& v : m.latest_versions) {
          latest = std::max(latest, v.version);
          stages += (stages.empty() ? "" : " ") + v.current_stage + "=" + std::to_string(v.version);
        }
        for (const auto& [a, v] : m.aliases)
          aliases += (aliases.empty() ? "" : " ") + a + "=" + std::to_string(v);
        rows.push_back({m.name, std::to_string(latest), stages, aliases});
      }
      print_table(rows);
      return 0;
    };
  });

  auto* show = group->add_subcommand("show", "Show a registered model and its versions");
  add_tracking_flags(show, *flags);
  show->add_option("NAME", *name, "Registered model name")->required();
  show->add_flag("--json", flags->json, "Print MLflow JSON with every version");
  show->callback([&inv, flags, name] {
    inv.run = [=] {
      Session s(*flags);
      auto model = s.registry->get_model(*name);
      registry::SearchSpec spec;
      spec.filter = "name = '" + *name + "'";
      spec.max_results = 100000;
      auto versions = s.registry->search_versions(spec).items;
      if (flags->json) {
        json out = registry::to_json(model);
        out["versions"] = json::array();
        for (const auto& v : versions) out["versions"].push_back(registry::to_json(v));
        print_json(out);
        return 0;
      }
      std::cout << model.name << (model.description.empty() ? "" : ": " + model.description)
                << "\n";
      std::vector<std::vector<std::string>> rows{{"VERSION", "STAGE", "ALIASES", "SOURCE", "RUN"}};
      for (const auto& v : versions) {
        std::string aliases;
        for (const auto& a : v.aliases) aliases += (aliases.empty() ? "" : " ") + a;
        rows.push_back({std::to_string(v.version), v.current_stage, aliases, v.source, v.run_id});
      }
      print_table(rows);
      return 0;
    };
  });

  auto* transition = group->add_subcommand("transition", "Move a version to another stage");
  add_tracking_flags(transition, *flags);
  transition->add_option("NAME", *name, "Registered model name")->required();
  transition->add_option("VERSION", *version, "Version number")->required();
  transition->add_option("STAGE", *stage, "None, Staging, Production or Archived")->required();
  transition->add_flag("--archive-existing", *archive,
                       "Archive the versions currently in the target stage");
  transition->add_flag("--json", flags->json, "Print the version as MLflow JSON");
  transition->callback([&inv, flags, name, version, stage, archive, print_version] {
    inv.run = [=] {
      Session s(*flags);
      print_version(s.registry->transition_stage(*name, *version, *stage, *archive), flags->json);
      return 0;
    };
  });

  auto* alias_cmd = group->add_subcommand("alias", "Point ALIAS at VERSION (or --delete it)");
  auto remove = std::make_shared<bool>(false);
  add_tracking_flags(alias_cmd, *flags);
  alias_cmd->add_option("NAME", *name, "Registered model name")->required();
  alias_cmd->add_option("ALIAS", *alias, "Alias, e.g. champion")->required();
  alias_cmd->add_option("VERSION", *version, "Version number");
  alias_cmd->add_flag("--delete", *remove, "Remove the alias");
  alias_cmd->callback([&inv, flags, name, alias, version, remove] {
    inv.run = [=] {
      Session s(*flags);
      if (*remove)
        s.registry->delete_alias(*name, *alias);
      else if (version->empty())
        throw Error(ErrorCode::kInvalidInput, "models alias: give a VERSION, or --delete");
      else
        s.registry->set_alias(*name, *alias, *version);
      return 0;
    };
  });

  auto* del = group->add_subcommand("delete", "Delete a registered model, or one version");
  add_tracking_flags(del, *flags);
  del->add_option("NAME", *name, "Registered model name")->required();
  del->add_option("--version", *version, "Delete only this version");
  del->callback([&inv, flags, name, version] {
    inv.run = [=] {
      Session s(*flags);
      if (version->empty())
        s.registry->delete_model(*name);
      else
        s.registry->delete_version(*name, *version);
      return 0;
    };
  });

  auto* resolve = group->add_subcommand(
      "resolve",
      "Print the local folder of models:/NAME/STAGE|VERSION|latest, models:/NAME@ALIAS "
      "or runs:/RUN_ID/PATH");
  add_tracking_flags(resolve, *flags);
  resolve->add_option("URI", *source, "Model URI")->required();
  resolve->callback([&inv, flags, source] {
    inv.run = [=] {
      Session s(*flags);
      std::string uri = registry::resolve_artifact_uri(*source, *s.registry, *s.store);
      std::cout << s.local_copy(uri).string() << "\n";
      return 0;
    };
  });
}

}  // namespace

void register_tracking_commands(CLI::App& app, Invocation& invocation) {
  add_server_command(app, invocation);
  add_runs_group(app, invocation);
  add_log_group(app, invocation);
  add_artifacts_group(app, invocation);
  add_models_group(app, invocation);
  register_audit_commands(app, invocation);
}

}  // namespace plinth::cli
