// Models: `plinth train`, `evaluate`, `score`, `baseline`, `export`.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tracked_training.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "model/evaluate.h"
#include "model/onnx/export.h"
#include "model/score.h"
#include "model/train.h"
#include "registry/model_source.h"
#include "table/table_io.h"

namespace plinth::cli {
namespace {

const char* kModelHelp =
    "Model package directory, MLflow model folder, .onnx file, or registry URI "
    "(models:/NAME/STAGE, models:/NAME@ALIAS, runs:/RUN_ID/PATH)";

// A registry or run URI resolved to its local folder; a path as it is.
std::string model_folder(const std::string& model) {
  return registry::is_model_uri(model) ? registry::resolve_model(model).folder.string() : model;
}

struct TrainFlags {
  std::string data, target, algo, params, run_id, out = "model", experiment, register_name;
  double test_size = 0.2;
  uint64_t seed = 42;
  size_t threads = 0;
  bool force = false, json = false;
};

void add_train_flags(CLI::App* cmd, TrainFlags& f) {
  cmd->add_option("--data", f.data, "Training data: CSV or Parquet")->required();
  cmd->add_option("--target", f.target, "The column to predict")->required();
  cmd->add_option("--params", f.params,
                  "FILE:SECTION of a YAML file with training parameters (e.g. "
                  "params.yaml:train); see docs/models.md");
  cmd->add_option("--test-size", f.test_size, "Share of rows held out for evaluation (0.2)");
  cmd->add_option("--seed", f.seed, "Seed of the split and of training (42)");
  cmd->add_option("--threads", f.threads, "XGBoost threads (default: one per core)");
  cmd->add_flag("--json", f.json, "Print the result as JSON");
}

model::TrainOptions train_options(const TrainFlags& f) {
  model::TrainOptions o;
  o.data = f.data;
  o.target = f.target;
  if (!f.params.empty()) {
    auto colon = f.params.rfind(':');
    std::string file = colon == std::string::npos ? f.params : f.params.substr(0, colon);
    std::string section = colon == std::string::npos ? "" : f.params.substr(colon + 1);
    model::load_train_params(file, section, o);
  }
  if (!f.algo.empty()) o.algorithm = f.algo;
  o.test_size = f.test_size;
  o.seed = f.seed;
  o.threads = f.threads ? f.threads : core::default_jobs();
  o.run_id = f.run_id;
  return o;
}

void print_metrics(const nlohmann::json& metrics) {
  for (const auto& [name, value] : metrics.items()) {
    if (name == "rows") continue;
    char line[80];
    if (value.is_number())
      std::snprintf(line, sizeof line, "  %-10s %.4f\n", name.c_str(), value.get<double>());
    else
      std::snprintf(line, sizeof line, "  %-10s n/a\n", name.c_str());
    std::cout << line;
  }
}

void add_train(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "train", "Fit a model (stratified split, XGBoost or a rule) and write a model package");
  auto f = std::make_shared<TrainFlags>();
  add_train_flags(cmd, *f);
  cmd->add_option("--algo", f->algo, "gbt (default), rf, linear or rules")
      ->check(CLI::IsMember({"gbt", "rf", "linear", "rules"}));
  cmd->add_option("--out", f->out, "Package directory to write (default: model)");
  cmd->add_option("--run-id", f->run_id,
                  "The tracking run this model belongs to, recorded as run_id in MLmodel");
  cmd->add_flag("--force", f->force, "Replace an existing package at --out");
  cmd->add_option("-e,--experiment", f->experiment,
                  "Track the training as a run of this experiment (created if missing): params, "
                  "held-out metrics, the data's md5 and the package as artifact 'model'");
  cmd->add_option("--register", f->register_name,
                  "Also register the package as a new version of this model (tracks the run in "
                  "experiment 'Default' unless --experiment is given)");
  cmd->callback([&inv, f] {
    inv.run = [f] {
      bool tracked = !f->experiment.empty() || !f->register_name.empty();
      if (tracked && !f->run_id.empty())
        throw plinth::Error(ErrorCode::kInvalidInput,
                            "--run-id names an existing run; --experiment and --register start "
                            "their own: give one or the other");
      model::TrainOptions options = train_options(*f);
      if (tracked)
        options.run_id = start_training_run(f->experiment.empty() ? "Default" : f->experiment,
                                            std::filesystem::path(f->out).filename().string());
      model::TrainResult r;
      try {
        r = model::train(options);
        model::write_package(r.package, r.files, f->out, f->force);
      } catch (...) {
        if (tracked) fail_training_run(options.run_id);
        throw;
      }
      std::string version;
      if (tracked) {
        std::map<std::string, std::string> params = r.package.params;
        params["algorithm"] = r.package.algorithm;
        params["target"] = r.package.target;
        version = finish_training_run(
            {options.run_id, params, r.evaluation.metrics, f->data, f->out, f->register_name});
      }
      for (const auto& s : r.skipped_columns) spdlog::info("not a feature: {}", s);
      if (f->json) {
        print_json({{"package", f->out},
                    {"run_id", options.run_id},
                    {"registered_version", version},
                    {"task", model::task_name(r.package.task)},
                    {"algorithm", r.package.algorithm},
                    {"train_rows", r.train_rows},
                    {"test_rows", r.test_rows},
                    {"fit_seconds", r.fit_seconds},
                    {"metrics", r.evaluation.metrics}});
        return 0;
      }
      std::cout << "Trained " << r.package.algorithm << " (" << model::task_name(r.package.task)
                << ") on " << r.train_rows << " rows in " << r.fit_seconds
                << " s; package: " << f->out << "\n";
      if (tracked)
        std::cout << "Tracked as run " << options.run_id
                  << (version.empty()
                          ? ""
                          : "; registered as " + f->register_name + " version " + version)
                  << "\n";
      std::cout << "Held-out metrics (" << r.test_rows << " rows):\n";
      print_metrics(r.evaluation.metrics);
      return 0;
    };
  });
}

void add_evaluate(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "evaluate",
      "Score labelled data with a package: metrics.json, confusion_matrix.csv, roc.csv");
  struct Flags {
    std::string model, data, out = ".", target;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--model", f->model, kModelHelp)->required();
  cmd->add_option("--data", f->data, "Labelled data: CSV or Parquet")->required();
  cmd->add_option("--out", f->out, "Directory for the files (default: current)");
  cmd->add_option("--target", f->target,
                  "The column holding the true labels (default: the package's target)");
  cmd->add_flag("--json", f->json, "Print the metrics as JSON");
  cmd->callback([&inv, f] {
    inv.run = [f] {
      model::ModelPackage package = model::read_package(model_folder(f->model));
      if (!f->target.empty()) package.target = f->target;
      model::Predictor predictor(package, model::Engine::kCompiled, core::default_jobs());
      model::Evaluation e = model::evaluate(predictor, table::read_table(f->data), f->data);
      model::write_evaluation(e, f->out);
      if (f->json) {
        print_json(e.metrics);
      } else {
        std::cout << "Metrics on " << e.metrics["rows"].get<size_t>() << " rows of " << f->data
                  << ":\n";
        print_metrics(e.metrics);
      }
      return 0;
    };
  });
}

void add_score(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "score",
      "Batch-score CSV or Parquet files (local or s3://) with a package, streaming, on all cores");
  struct Flags {
    std::string model, input, output, shard, engine = "compiled", on_invalid = "error";
    size_t threads = 0;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--model", f->model, kModelHelp)->required();
  cmd->add_option(
         "--input", f->input,
         "Rows to score: a CSV or Parquet file or s3:// object, or a folder or s3:// prefix "
         "of them (one schema; hive key=value folders become columns)")
      ->required();
  cmd->add_option("--output", f->output,
                  "Scored rows: a CSV or Parquet file or s3:// object (by extension); a folder "
                  "or prefix ending in / gets part-IIIII-of-NNNNN.parquet")
      ->required();
  cmd->add_option("--threads", f->threads, "Threads (default: one per core)");
  cmd->add_option("--shard", f->shard,
                  "I/N: score only the I-th of N deterministic shares of the input (every N-th "
                  "Parquet row group or CSV chunk across its files), for N machines splitting "
                  "one job");
  cmd->add_option("--engine", f->engine, "compiled (default) or xgboost")
      ->check(CLI::IsMember({"compiled", "xgboost"}));
  cmd->add_option("--on-invalid", f->on_invalid,
                  "A row outside the model's constraints: error (default), skip it, or null "
                  "its predictions")
      ->check(CLI::IsMember({"error", "skip", "null"}));
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  cmd->callback([&inv, f] {
    inv.run = [f] {
      model::ScoreOptions o;
      using OnInvalid = model::ScoreOptions::OnInvalid;
      o.on_invalid = f->on_invalid == "skip"   ? OnInvalid::kSkip
                     : f->on_invalid == "null" ? OnInvalid::kNull
                                               : OnInvalid::kError;
      o.model = model_folder(f->model);
      o.input = f->input;
      o.output = f->output;
      o.threads = f->threads;
      o.show_progress = !f->json;
      if (!f->shard.empty()) std::tie(o.shard_index, o.shard_count) = model::parse_shard(f->shard);
      o.engine = f->engine == "xgboost" ? model::Engine::kXgboost : model::Engine::kCompiled;
      model::ScoreSummary s = model::score(o);
      for (const auto& c : s.dropped)
        std::cerr << "warning: input column '" << c
                  << "' has an output's name; it is replaced by the prediction\n";
      if (s.invalid)
        std::cerr << "warning: " << s.invalid << " row" << (s.invalid == 1 ? "" : "s")
                  << " outside the model's constraints "
                  << (f->on_invalid == "skip" ? "skipped" : "scored as null") << "\n";
      for (const auto& [column, n] : s.unknown)
        std::cerr << "warning: " << n << " unknown categor" << (n == 1 ? "y" : "ies")
                  << " in column '" << column << "' scored as \"other\"\n";
      if (f->json) {
        print_json({{"rows", s.rows},
                    {"batches", s.batches},
                    {"engine", s.engine},
                    {"invalid_rows", s.invalid},
                    {"seconds", s.seconds},
                    {"unknown_categories", s.unknown}});
        return 0;
      }
      char rate[64];
      std::snprintf(rate, sizeof rate, "%.0f", s.seconds > 0 ? s.rows / s.seconds : 0.0);
      std::cout << "Scored " << s.rows << " rows (" << s.batches
                << (s.batches == 1 ? " batch" : " batches") << ", " << s.engine << " engine) in "
                << s.seconds << " s, " << rate << " rows/s -> " << f->output << "\n";
      return 0;
    };
  });
}

void add_baseline(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "baseline", "Train the baseline ladder (rules, linear, gbt) and show what complexity buys");
  struct Flags : TrainFlags {
    std::vector<std::string> algos{"rules", "linear", "gbt"};
  };
  auto f = std::make_shared<Flags>();
  add_train_flags(cmd, *f);
  cmd->add_option("--algos", f->algos, "Levels to train, in order (rules,linear,gbt)")
      ->delimiter(',')
      ->check(CLI::IsMember({"gbt", "rf", "linear", "rules"}));
  cmd->callback([&inv, f] {
    inv.run = [f] {
      auto ladder = model::baseline(train_options(*f), f->algos);
      if (f->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : ladder)
          out.push_back({{"algorithm", s.algorithm},
                         {"metric", s.metric},
                         {"value", s.value},
                         {"f1", s.f1},
                         {"score_us_per_row", s.score_us_per_row},
                         {"model_bytes", s.model_bytes},
                         {"fit_seconds", s.fit_seconds}});
        print_json(out);
        return 0;
      }
      std::cout << "level  algorithm  metric      value      f1   us/row  model bytes  fit s\n";
      int level = 0;
      for (const auto& s : ladder) {
        char line[160];
        std::snprintf(line, sizeof line, "%5d  %-9s  %-8s  %7.4f  %6.4f  %7.3f  %11zu  %5.1f\n",
                      level++, s.algorithm.c_str(), s.metric.c_str(), s.value, s.f1,
                      s.score_us_per_row, s.model_bytes, s.fit_seconds);
        std::cout << line;
      }
      return 0;
    };
  });
}

void add_export(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "export", "Write a package, preprocessing included, as an ONNX model for onnxruntime");
  cmd->footer(
      "The model takes one input per input column, shape [N, 1]: double for numbers, string for\n"
      "categories (\"\" is a missing category). Its outputs carry the package's output names:\n"
      "the label [N] and the probabilities [N, classes] (no ZipMap), or the value [N, 1] of a\n"
      "regressor. Opsets ai.onnx 17 and ai.onnx.ml 3. Constraints stay in the metadata only.\n"
      "Example: plinth export --format onnx models:/fraud-detector/Production fraud.onnx\n"
      "See docs/models.md, \"Export to ONNX\".");
  struct Flags {
    std::string package, out, format = "onnx";
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  cmd->add_option("--format", f->format, "What to write: onnx (the one format, the default)");
  cmd->add_option("PACKAGE", f->package,
                  "Model package: a folder, or models:/NAME/STAGE|VERSION, models:/NAME@ALIAS, "
                  "runs:/RUN_ID/PATH")
      ->required();
  cmd->add_option("OUT", f->out, "The file to write, e.g. model.onnx (replaced atomically)")
      ->required();
  cmd->add_flag("--json", f->json, "Print the summary as JSON");
  cmd->callback([&inv, f] {
    inv.run = [f] {
      if (f->format != "onnx")
        throw Error(ErrorCode::kInvalidInput,
                    "unknown export format '" + f->format + "': the one format is onnx");
      std::filesystem::path folder = registry::is_model_uri(f->package)
                                         ? registry::resolve_model(f->package).folder
                                         : std::filesystem::path(f->package);
      model::ModelPackage package = model::read_package(folder);
      model::onnx::ExportSummary s = model::onnx::export_onnx(package, f->package, f->out);
      for (const auto& note : s.notes) std::cerr << "note: " << note << "\n";
      auto ports = [](const std::vector<model::onnx::ExportPort>& v) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& p : v)
          out.push_back({{"name", p.name}, {"type", p.type}, {"shape", p.shape}});
        return out;
      };
      if (f->json) {
        print_json({{"package", f->package},
                    {"output", f->out},
                    {"format", "onnx"},
                    {"bytes", s.bytes},
                    {"nodes", s.nodes},
                    {"initializers", s.initializers},
                    {"operators", s.operators},
                    {"opsets",
                     {{"ai.onnx", model::onnx::kExportOnnxOpset},
                      {"ai.onnx.ml", model::onnx::kExportMlOpset}}},
                    {"inputs", ports(s.inputs)},
                    {"outputs", ports(s.outputs)},
                    {"notes", s.notes}});
        return 0;
      }
      std::cout << "Exported " << f->package << " (" << package.algorithm << ", "
                << model::task_name(package.task) << ") to " << f->out << ": "
                << plural(s.nodes, "node") << ", opsets ai.onnx " << model::onnx::kExportOnnxOpset
                << " and ai.onnx.ml " << model::onnx::kExportMlOpset << ", " << s.bytes
                << " bytes\n";
      for (const auto& [title, v] : {std::pair{"Inputs: ", &s.inputs}, {"Outputs:", &s.outputs}}) {
        std::cout << "  " << title;
        for (size_t i = 0; i < v->size(); ++i)
          std::cout << (i ? ", " : " ") << (*v)[i].name << " " << (*v)[i].type << (*v)[i].shape;
        std::cout << "\n";
      }
      return 0;
    };
  });
}

}  // namespace

void register_model_commands(CLI::App& app, Invocation& inv) {
  add_train(app, inv);
  add_evaluate(app, inv);
  add_score(app, inv);
  add_baseline(app, inv);
  add_export(app, inv);
}

}  // namespace plinth::cli
