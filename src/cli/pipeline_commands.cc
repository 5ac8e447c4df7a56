// Pipeline commands: stage add, dag, repro (and, with data_commands' status, changed stages).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tracked_training.h"
#include "core/error.h"
#include "core/file_io.h"
#include "experiments/system_metrics.h"
#include "pipeline/compare.h"
#include "pipeline/dag.h"
#include "pipeline/plots.h"
#include "pipeline/repro.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void add_stage_add(CLI::App& app, Invocation& inv) {
  auto* stage = app.add_subcommand("stage", "Define pipeline stages in dvc.yaml");
  stage->require_subcommand(1);
  auto* cmd = stage->add_subcommand("add", "Add a stage to dvc.yaml (it runs on 'plinth repro')");
  auto s = std::make_shared<pipeline::NewStage>();
  auto command = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-n,--name", s->name, "Stage name (letters, digits, '_', '-')")->required();
  cmd->add_option("-d,--deps", s->deps, "A file or directory the stage reads")
      ->allow_extra_args(false);
  cmd->add_option("-o,--outs", s->outs, "An output, stored in the cache")->allow_extra_args(false);
  cmd->add_option("-O,--outs-no-cache", s->outs_no_cache, "An output git tracks instead")
      ->allow_extra_args(false);
  cmd->add_option("-p,--params", s->params, "Param keys: 'a,b' in params.yaml, or 'file.yaml:a,b'")
      ->allow_extra_args(false);
  cmd->add_option("-m,--metrics", s->metrics, "A metrics file (cached)")->allow_extra_args(false);
  cmd->add_option("-M,--metrics-no-cache", s->metrics_no_cache, "A metrics file git tracks")
      ->allow_extra_args(false);
  cmd->add_option("--plots", s->plots, "A plots file")->allow_extra_args(false);
  cmd->add_option("-w,--wdir", s->wdir, "Directory the command runs in");
  cmd->add_flag("-f,--force", s->force, "Replace a stage of the same name");
  cmd->add_option("CMD", *command, "The command (quote it, or put it after --)")->required();
  cmd->callback([&inv, s, command] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      for (const auto& part : *command) s->cmd += (s->cmd.empty() ? "" : " ") + part;
      pipeline::add_stage(ws.root(), *s);
      // Like `dvc stage add`, git-ignore the cached outputs now, in DVC's order (metrics,
      // plots, outs), relative to the stage's wdir.
      for (const auto* paths : {&s->metrics, &s->plots, &s->outs})
        for (const auto& path : *paths)
          ws.ignore_output(
              (std::filesystem::path(s->wdir) / path).lexically_normal().generic_string());
      std::cout << "Added stage '" << s->name << "' in 'dvc.yaml'\n";
      if (ws.scm_enabled())
        std::cout << "\nTo track the changes with git, run:\n\n\tgit add dvc.yaml\n";
      return 0;
    };
  });
}

void add_dag(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("dag", "Show the pipeline's stages and what feeds what");
  auto target = std::make_shared<std::string>();
  auto mermaid = std::make_shared<bool>(false);
  auto dot = std::make_shared<bool>(false);
  cmd->add_option("TARGET", *target, "Only this stage and its upstream");
  cmd->add_flag("--mermaid", *mermaid, "Mermaid flowchart");
  cmd->add_flag("--dot", *dot, "Graphviz dot");
  cmd->callback([&inv, target, mermaid, dot] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      pipeline::Pipeline pipeline = pipeline::Pipeline::load(ws.root());
      pipeline::Dag dag(pipeline);
      std::vector<std::string> targets;
      if (!target->empty()) targets.push_back(*target);
      auto subset = dag.plan(targets, false, false);
      std::cout << (*mermaid ? dag.mermaid(subset) : *dot ? dag.dot(subset) : dag.ascii(subset));
      return 0;
    };
  });
}

// What a tracked repro records: every param and numeric metric the pipeline declares (named
// "key" for params.yaml/metrics of the root, else "file:key"), the git commit, and each stage
// dependency with its md5 from dvc.lock.
PipelineRecord pipeline_record(repo::Workspace& ws, const pipeline::ReproResult& r) {
  PipelineRecord rec;
  pipeline::Revision here{"workspace", true};
  auto flat_name = [](const std::string& file, const std::string& key, const char* usual) {
    return file == usual ? key : file + ":" + key;
  };
  for (const auto& [file, values] : pipeline::collect_params(ws.root(), here))
    for (const auto& [key, v] : values)
      rec.params[flat_name(file, key, "params.yaml")] = pipeline::python_str(v);
  for (const auto& [file, values] : pipeline::collect_metrics(ws.root(), here))
    for (const auto& [key, v] : values)
      if (v.is_number()) rec.metrics[flat_name(file, key, "metrics.json")] = v.get<double>();
  std::string ran;
  for (const auto& n : r.ran) ran += (ran.empty() ? "" : ",") + n;
  rec.tags["plinth.stages_ran"] = ran;
  rec.tags["mlflow.source.type"] = "LOCAL";
  if (FILE* git = ::popen(
          ("git -C '" + ws.root().string() + "' rev-parse HEAD 2>/dev/null").c_str(), "r")) {
    char sha[64] = {0};
    if (std::fgets(sha, sizeof sha, git)) {
      std::string commit(sha);
      while (!commit.empty() && std::isspace(static_cast<unsigned char>(commit.back())))
        commit.pop_back();
      if (commit.size() == 40) rec.tags["mlflow.source.git.commit"] = commit;
    }
    ::pclose(git);
  }
  fs::path lock_path = ws.root() / "dvc.lock";
  if (fs::exists(lock_path)) {
    pipeline::LockFile lock = pipeline::LockFile::load(lock_path);
    for (const auto& [stage, sl] : lock.stages())
      for (const auto& d : sl.deps)
        if (!d.md5.empty()) rec.deps[d.path] = d.md5;
  }
  return rec;
}

// An experiment runs `plinth repro` in its workspace copy and sets PLINTH_FAILED_STAGE_FILE to
// learn which stage failed with which exit code (repro itself exits 1): the first failed
// stage whose command exited non-zero, as {"stage": ADDRESS, "exit_code": N}.
void report_failed_stage(const pipeline::ReproResult& r) {
  const char* file = std::getenv("PLINTH_FAILED_STAGE_FILE");
  if (!file || !*file) return;
  for (const auto& stage : r.failed)
    if (auto it = r.exit_codes.find(stage); it != r.exit_codes.end()) {
      core::write_file_atomic(file, json{{"stage", stage}, {"exit_code", it->second}}.dump());
      return;
    }
}

void add_repro(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "repro", "Run the stages whose command, deps, params or outs changed since dvc.lock");
  auto options = std::make_shared<pipeline::ReproOptions>();
  cmd->add_option("TARGET", options->targets, "Stages to bring up to date (default: all)");
  cmd->add_flag("-f,--force", options->force, "Run even stages that did not change");
  cmd->add_flag("-s,--single-item", options->single, "Only the targets, not their upstream");
  cmd->add_flag("--downstream", options->downstream, "The targets and every stage after them");
  cmd->add_flag("--dry", options->dry, "Print what would run without running it");
  cmd->add_option("-j,--jobs", options->jobs, "Independent stages to run at once (default 1)")
      ->check(CLI::PositiveNumber);
  auto experiment = std::make_shared<std::string>();
  cmd->add_option("-e,--experiment", *experiment,
                  "Record this execution as a tracked run of EXPERIMENT: params, metrics, the git "
                  "commit, every dependency's md5 and system metrics (also on when "
                  "PLINTH_TRACKING_URI is set)");
  auto interval = std::make_shared<double>(experiments::kDefaultSystemMetricsInterval);
  cmd->add_option("--system-metrics-interval", *interval,
                  "Seconds between system-metrics samples (CPU, memory, disk, network, GPU) of a "
                  "tracked repro; 0 turns them off (default 10)");
  cmd->callback([&inv, options, experiment, interval] {
    inv.run = [=] {
      experiments::check_system_metrics_interval(*interval);
      repo::Workspace ws = open_workspace();
      options->print = [](const std::string& line) { std::cout << line << std::endl; };
      if (options->downstream && options->targets.empty())
        throw Error(ErrorCode::kInvalidInput, "--downstream needs a TARGET stage");
      const char* env_uri = std::getenv("PLINTH_TRACKING_URI");
      std::string exp = *experiment;
      if (exp.empty() && env_uri && *env_uri) exp = ws.root().filename().string();
      // The run starts with the first stage that changed: a repro that changes nothing
      // records no run, and the system metrics cover the stages' work.
      std::unique_ptr<LiveRun> run;
      std::unique_ptr<KilledOnSignal> killed_on_signal;  // Ctrl-C: KILLED, not left RUNNING
      if (!exp.empty())
        options->before_first_change = [&run, &killed_on_signal, exp, interval] {
          run = std::make_unique<LiveRun>(LiveRun::Spec{exp, "repro", {}, ""});
          // The stages log into this run: MLflow's client in a stage resumes MLFLOW_RUN_ID.
          for (const auto& var : run->child_environment()) {
            size_t eq = var.find('=');
            ::setenv(var.substr(0, eq).c_str(), var.substr(eq + 1).c_str(), 1);
          }
          killed_on_signal = std::make_unique<KilledOnSignal>(*run);
          run->sample_system_metrics(::getpid(), *interval);
        };
      pipeline::ReproResult r = pipeline::repro(ws, *options);
      if (!r.failed.empty()) {
        report_failed_stage(r);
        for (const auto& e : r.errors) std::cerr << "error: " << e << "\n";
        if (!r.not_run.empty()) {
          std::string names;
          for (const auto& n : r.not_run) names += (names.empty() ? "" : ", ") + n;
          std::cerr << "error: not run because a stage before them failed: " << names << "\n";
        }
        if (run) {
          const char* status = KilledOnSignal::signalled() ? "KILLED" : "FAILED";
          run->end(status);
          std::cerr << "Tracked as run " << run->id() << " (" << status << ")\n";
        }
        return 1;
      }
      if (run) {
        finish_pipeline_run(*run, pipeline_record(ws, r));
        std::cout << "Tracked as run " << run->id() << "\n";
      }
      if (r.ran.empty() && r.restored.empty())
        std::cout << "Data and pipelines are up to date.\n";
      else if (r.lock_changed && ws.scm_enabled())
        std::cout << "\nTo track the changes with git, run:\n\n\tgit add dvc.lock\n";
      return 0;
    };
  });
}

// A_REV [B_REV] as DVC takes them: A defaults to HEAD, B to the workspace.
std::pair<pipeline::Revision, pipeline::Revision> revisions(const std::vector<std::string>& revs) {
  pipeline::Revision a{revs.empty() ? "HEAD" : revs[0], false};
  pipeline::Revision b{"workspace", true};
  if (revs.size() == 2) b = {revs[1], false};
  return {a, b};
}

// `params diff` and `metrics diff`: the same command over different values and columns.
void add_values_diff(CLI::App* parent, Invocation& inv, const std::string& noun,
                     pipeline::FlatValues (*collect)(const fs::path&, const pipeline::Revision&),
                     bool with_change) {
  auto* cmd = parent->add_subcommand(
      "diff", "Show " + noun +
                  "s that differ between two git revisions (default: HEAD and "
                  "workspace)");
  auto revs = std::make_shared<std::vector<std::string>>();
  auto all = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto precision = std::make_shared<int>(5);
  cmd->add_option("REV", *revs, "A_REV [B_REV]")->expected(0, 2);
  cmd->add_flag("--all", *all, "Also show " + noun + "s that did not change");
  cmd->add_flag("--json", *as_json,
                "Print {file: {" + noun + ": {old, new" + (with_change ? ", diff" : "") + "}}}");
  if (with_change)
    cmd->add_option("--precision", *precision, "Decimals to round floats to (default 5)");
  cmd->callback([&inv, revs, all, as_json, precision, noun, collect, with_change] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      auto [a, b] = revisions(*revs);
      auto old_values = collect(ws.root(), a);
      auto new_values = collect(ws.root(), b);
      if (*as_json) {
        auto diff = pipeline::diff_json(old_values, new_values, with_change, *all);
        print_json(json::parse(diff.dump()));
        return 0;
      }
      std::string title = noun;
      title[0] = static_cast<char>(std::toupper(title[0]));
      std::cout << pipeline::diff_table(old_values, new_values, a.name, b.name, title, with_change,
                                        *all, *precision);
      return 0;
    };
  });
}

void add_params(CLI::App& app, Invocation& inv) {
  auto* params = app.add_subcommand("params", "Compare pipeline parameters across revisions");
  params->require_subcommand(1);
  add_values_diff(params, inv, "param", &pipeline::collect_params, false);
}

void add_metrics(CLI::App& app, Invocation& inv) {
  auto* metrics = app.add_subcommand("metrics", "Show and compare the pipeline's metrics");
  metrics->require_subcommand(1);
  auto precision = std::make_shared<int>(5);
  auto* show = metrics->add_subcommand("show", "Print the metrics files of the workspace");
  auto show_json = std::make_shared<bool>(false);
  show->add_flag("--json", *show_json, "Print DVC's JSON shape");
  show->add_option("--precision", *precision, "Decimals to round floats to (default 5)");
  show->callback([&inv, show_json, precision] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      auto values = pipeline::collect_metrics(ws.root(), {"workspace", true});
      if (*show_json) {
        json data = json::object();
        for (const auto& [file, keys] : values) {
          json nested = json::object();
          for (const auto& [k, v] : keys)
            nested[json::json_pointer("/" + k)] = json::parse(v.dump());
          data[file] = {{"data", nested}};
        }
        print_json({{"workspace", {{"data", data}}}});
        return 0;
      }
      if (values.empty()) {
        std::cout << "No metrics files found; mark outputs as 'metrics' in dvc.yaml.\n";
        return 0;
      }
      std::cout << pipeline::metrics_show_table(values, *precision);
      return 0;
    };
  });
  add_values_diff(metrics, inv, "metric", &pipeline::collect_metrics, true);
}

void add_plots(CLI::App& app, Invocation& inv) {
  auto* plots = app.add_subcommand("plots", "Render the pipeline's plots as one HTML page");
  plots->require_subcommand(1);
  auto out_dir = std::make_shared<std::string>("dvc_plots");
  auto render = [out_dir](const std::vector<std::string>& targets,
                          const std::vector<pipeline::Revision>& revisions) {
    repo::Workspace ws = open_workspace();
    auto file = pipeline::render_plots(ws.root(), {targets, revisions, fs::absolute(*out_dir)});
    if (!file) {
      std::cout << "No plots were loaded, visualization file will not be created.\n";
      return 0;
    }
    std::cout << "file://" << file->string() << "\n";
    return 0;
  };
  auto* show = plots->add_subcommand("show", "Plot the workspace's plot files");
  auto files = std::make_shared<std::vector<std::string>>();
  show->add_option("FILE", *files, "Plot files or plot ids (default: every plot)");
  show->add_option("-o,--out", *out_dir, "Directory for index.html (default: dvc_plots)");
  show->callback([&inv, files, render] {
    inv.run = [=] { return render(*files, {{"workspace", true}}); };
  });
  auto* diff = plots->add_subcommand(
      "diff", "Overlay plots of git revisions and the workspace (default: HEAD and workspace)");
  auto revs = std::make_shared<std::vector<std::string>>();
  auto targets = std::make_shared<std::vector<std::string>>();
  diff->add_option("REV", *revs, "Git revisions to compare with the workspace");
  diff->add_option("--targets", *targets, "Plot files or ids (default: every plot)");
  diff->add_option("-o,--out", *out_dir, "Directory for index.html (default: dvc_plots)");
  diff->callback([&inv, revs, targets, render] {
    inv.run = [=] {
      std::vector<pipeline::Revision> revisions;
      for (const auto& r : *revs) revisions.push_back({r, false});
      if (revs->empty()) revisions.push_back({"HEAD", false});
      if (revs->size() < 2) revisions.push_back({"workspace", true});
      return render(*targets, revisions);
    };
  });
}

}  // namespace

void register_pipeline_commands(CLI::App& app, Invocation& inv) {
  add_stage_add(app, inv);
  add_dag(app, inv);
  add_repro(app, inv);
  add_params(app, inv);
  add_metrics(app, inv);
  add_plots(app, inv);
}

}  // namespace plinth::cli
