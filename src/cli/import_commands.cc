// `plinth models import`: a Plinth package around an ONNX model trained elsewhere.
#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hash.h"
#include "core/thread_pool.h"
#include "model/onnx_flavor.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "model/train.h"
#include "registry/model_source.h"
#include "table/table_io.h"

namespace plinth::cli {
namespace fs = std::filesystem;

namespace {

struct ImportFlags {
  std::string source, out, reference, target, probability, task, preprocessing;
  std::vector<std::string> columns, classes;
  bool force = false, json = false;
};

struct Imported {
  model::ModelPackage package;
  model::PackageFiles files;
  size_t reference_rows = 0;
};

Imported import_model(const ImportFlags& f) {
  fs::path source = registry::is_model_uri(f.source) ? registry::resolve_model(f.source).folder
                                                     : fs::path(f.source);
  if (!fs::exists(source))
    throw Error(ErrorCode::kNotFound, "no model at " + f.source +
                                          "; give an .onnx file, a folder MLflow's onnx flavor "
                                          "wrote, or a models:/ or runs:/ URI");
  if (!model::is_plain_onnx(source))
    throw Error(ErrorCode::kInvalidInput,
                f.source +
                    " is not an ONNX model to import (already a Plinth package? serve it "
                    "as it is)");
  model::OnnxImportOptions options;
  if (!f.columns.empty() && !f.preprocessing.empty())
    throw Error(ErrorCode::kInvalidInput,
                "give --columns (numeric features) or --preprocessing (a file of encodings), not "
                "both");
  for (const auto& c : f.columns) {
    model::FeatureSpec spec;
    spec.column = c;
    options.preprocessing.push_back(spec);
  }
  if (!f.preprocessing.empty()) options.preprocessing = model::read_preprocessing(f.preprocessing);
  if (!f.task.empty()) options.task = model::parse_task(f.task);
  options.classes = f.classes;

  Imported r;
  model::ModelPackage& p = r.package;
  p = model::read_plain_onnx(source, options);
  p.model_uuid.clear();  // a new package
  p.created.clear();
  if (!f.target.empty()) {
    p.target = p.outputs.label = f.target;
    if (p.task != model::Task::kRegression)
      p.outputs.probability = model::default_probability_name(f.target);
  }
  if (!f.probability.empty()) {
    if (p.task == model::Task::kRegression)
      throw Error(ErrorCode::kInvalidInput,
                  "--probability: " + f.source + " is a regressor; it gives no probability");
    p.outputs.probability = f.probability;
  }
  // Checks the inputs, task and classes against the graph before anything is written.
  model::Predictor predictor(p, model::Engine::kCompiled, core::default_jobs());
  if (f.reference.empty()) return r;
  table::Table t = table::read_table(f.reference);
  p.training_data = {f.reference, core::md5_file(f.reference), t.num_rows()};
  r.files["profile.json"] = model::profile_of_data(p, predictor, t, f.reference).dump(1) + "\n";
  r.files["input_example.json"] = model::input_example(p, t);
  r.reference_rows = t.num_rows();
  return r;
}

}  // namespace

void register_import_commands(CLI::App& app, Invocation& inv) {
  CLI::App* models = app.get_subcommand("models");
  auto* cmd = models->add_subcommand(
      "import",
      "Write a Plinth package around an ONNX model (an .onnx file or an MLflow onnx model), "
      "with a reference profile for live drift");
  auto f = std::make_shared<ImportFlags>();
  cmd->add_option("SOURCE", f->source,
                  "An .onnx file, a folder mlflow.onnx.log_model wrote, or models:/ / runs:/ URI")
      ->required();
  cmd->add_option("--out", f->out, "Package folder to write")->required();
  cmd->add_option("--reference-data", f->reference,
                  "CSV or Parquet rows the model is scored on to make profile.json (the "
                  "reference for drift) and input_example.json; usually the training data");
  cmd->add_option("--target", f->target,
                  "Name of the predicted label (default 'label', or 'prediction' for a "
                  "regressor); a classifier's probability is then named after it "
                  "(is_fraud -> fraud_probability)");
  cmd->add_option("--probability", f->probability, "Name of the probability output");
  cmd->add_option("--columns", f->columns,
                  "Column names of a single [N, F] float input's features, in order (numbers)")
      ->delimiter(',');
  cmd->add_option("--preprocessing", f->preprocessing,
                  "YAML file of preprocessing entries (MLmodel's form: column, kind numeric | "
                  "standardized | one_hot | ordinal, categories, mean, scale) that make a single "
                  "input tensor's features from columns");
  cmd->add_option("--task", f->task,
                  "binary_classification, multiclass_classification or regression, when the "
                  "graph cannot tell (a network whose one output is a probability)")
      ->check(CLI::IsMember({"binary_classification", "multiclass_classification", "regression"}));
  cmd->add_option("--classes", f->classes,
                  "Class labels in probability-column order, when the graph does not name them")
      ->delimiter(',');
  cmd->add_flag("--force", f->force, "Replace an existing package at --out");
  cmd->add_flag("--json", f->json, "Print the result as JSON");
  cmd->callback([&inv, f] {
    inv.run = [f] {
      Imported r = import_model(*f);
      const model::ModelPackage& p = r.package;
      model::write_package(p, r.files, f->out, f->force);
      bool per_column = std::all_of(p.preprocessing.begin(), p.preprocessing.end(), [](auto& s) {
        return s.kind == model::FeatureSpec::Kind::kPassthrough;
      });
      if (f->json) {
        print_json({{"package", f->out},
                    {"task", model::task_name(p.task)},
                    {"producer", p.algorithm},
                    {"inputs", p.input_columns()},
                    {"one_input_per_column", per_column},
                    {"classes", p.classes},
                    {"outputs", p.output_schema().size()},
                    {"reference_rows", r.reference_rows}});
        return 0;
      }
      std::cout << "Imported " << f->source << " (" << p.algorithm << ", "
                << model::task_name(p.task) << ", " << p.input_columns().size() << " input columns"
                << (per_column ? ", one graph input each" : " into one tensor") << ") -> " << f->out
                << "\n";
      if (r.reference_rows)
        std::cout << "Reference profile from " << r.reference_rows << " rows of " << f->reference
                  << ": plinth serve reports live drift\n";
      else
        std::cout << "No --reference-data: the package has no profile.json, so plinth serve "
                     "reports no live drift\n";
      return 0;
    };
  });
}

}  // namespace plinth::cli
