// Drift monitoring: `plinth drift`.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/utc_time.h"
#include "model/profile.h"
#include "monitor/drift.h"
#include "monitor/report.h"
#include "monitor/table_drift.h"
#include "registry/model_source.h"
#include "table/table_io.h"

namespace plinth::cli {
namespace {
namespace fs = std::filesystem;

// "COLUMN=VALUE" options.
std::pair<std::string, std::string> split_assignment(const std::string& text,
                                                     const std::string& option) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw plinth::Error(ErrorCode::kInvalidInput,
                        option + " '" + text + "': expected COLUMN=VALUE, e.g. amount=0.1");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void print_table(const monitor::DriftReport& r, const std::vector<std::string>& skipped) {
  size_t width = 6;
  for (const auto& c : r.columns) width = std::max(width, c.column.size());
  auto pad = [](std::string s, size_t w) {
    s.resize(std::max(s.size(), w), ' ');
    return s;
  };
  char share[32];
  std::snprintf(share, sizeof share, "%.3f", r.share_of_drifted_columns);
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%.2f", r.drift_share);
  std::cout << "Dataset drift: " << (r.dataset_drift ? "DETECTED" : "not detected") << " ("
            << r.number_of_drifted_columns << " of " << r.number_of_columns
            << " columns drifted, share " << share << (r.dataset_drift ? " >= " : " < ")
            << threshold << ")\n\n";
  std::cout << pad("column", width) << "  type  " << pad("test", 17) << "  "
            << "      score  threshold  drift\n";
  for (const auto& c : r.columns) {
    char nums[64];
    std::snprintf(nums, sizeof nums, "%11.6f  %9.3f", c.score, c.threshold);
    std::cout << pad(c.column, width) << "  " << c.column_type << "   " << pad(c.stattest, 17)
              << "  " << nums << "  " << (c.drifted ? "DRIFT" : "-") << "\n";
  }
  for (const auto& s : skipped) std::cout << "skipped: " << s << "\n";
  if (!r.quality) return;
  const auto& q = *r.quality;
  std::cout << "\nClassification quality (" << q.prediction << " against " << q.target
            << "):\nmetric      reference    current     change\n";
  for (const auto& [name, a, b] : monitor::quality_rows(q)) {
    char line[96];
    std::snprintf(line, sizeof line, "%-10s  %9.4f  %9.4f  %+9.4f\n", name.c_str(), a, b, b - a);
    std::cout << line;
  }
}

struct DriftFlags {
  std::string reference, current, json_path, html_path, target, prediction;
  std::vector<std::string> columns, stattests, thresholds;
  double drift_share = 0.5;
  bool fail_on_drift = false;
};

// A file as the batches its reader returns (at least one), for select_columns: drift copies each
// value into its sample once, without concatenating the batches first.
std::vector<table::Table> read_pieces(const std::string& path, const table::ReadOptions& options) {
  auto reader = table::open_table(path, options);
  std::vector<table::Table> pieces;
  while (auto batch = reader->next()) pieces.push_back(std::move(*batch));
  if (pieces.empty()) {
    std::vector<table::Column> columns;
    for (const auto& field : reader->schema()) columns.emplace_back(field.name, field.type);
    pieces.emplace_back(std::move(columns));
  }
  return pieces;
}

// Writes the report where the flags say; returns the exit code.
int emit(const DriftFlags& f, const monitor::DriftReport& report,
         const std::vector<std::string>& skipped) {
  if (!f.html_path.empty())
    core::write_file_atomic(
        f.html_path, monitor::report_html(report, {f.reference, f.current,
                                                   core::format_utc_now("%Y-%m-%d %H:%M:%S UTC")}));
  if (f.json_path == "-") {
    print_json(monitor::report_json(report));
  } else {
    if (!f.json_path.empty())
      core::write_file_atomic(f.json_path, monitor::report_json(report).dump(2) + "\n");
    print_table(report, skipped);
  }
  return f.fail_on_drift && report.dataset_drift ? 1 : 0;
}

// --reference MODEL: the package's profile.json against the current data.
int drift_against_model(const DriftFlags& f, const monitor::TableDriftRequest& request) {
  fs::path package = registry::is_model_uri(f.reference)
                         ? registry::resolve_model(f.reference).folder
                         : fs::path(f.reference);
  nlohmann::json profile = model::required_profile(package, f.reference);
  monitor::TableDrift drift =
      monitor::compare_with_profile(profile, table::read_table(f.current), request);
  return emit(f, drift.report, drift.skipped);
}

void add_drift(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "drift", "Compare current data with a reference: per-column drift tests and a verdict");
  using Flags = DriftFlags;
  auto f = std::make_shared<Flags>();
  cmd->add_option("--reference", f->reference,
                  "Reference: CSV or Parquet data, or a model: a package directory or "
                  "models:/NAME/STAGE, models:/NAME@ALIAS, runs:/ID/PATH (its profile.json, "
                  "the training data's frozen bins)")
      ->required();
  cmd->add_option("--current", f->current, "Current data: CSV or Parquet")->required();
  cmd->add_option("--columns", f->columns, "Columns to test (default: all both files have)")
      ->delimiter(',');
  cmd->add_option("--target", f->target,
                  "Label column (0/1): tested for drift, and with --prediction for quality");
  cmd->add_option("--prediction", f->prediction,
                  "Prediction column (0/1 labels or probabilities): tested for drift, and with "
                  "--target for classification quality in both files");
  cmd->add_option("--stattest", f->stattests,
                  "COLUMN=TEST: ks, chisquare, z, wasserstein, jensenshannon, psi, kl_div, "
                  "hellinger, anderson, cramer_von_mises, ed, mannw, t_test, empirical_mmd, "
                  "fisher_exact, g_test, TVD");
  cmd->add_option("--threshold", f->thresholds, "COLUMN=X: drift threshold for one column");
  cmd->add_option("--drift-share", f->drift_share,
                  "Share of drifted columns at which the dataset drifts (default 0.5)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--json", f->json_path, "Write the report as JSON to FILE ('-': stdout)");
  cmd->add_option("--html", f->html_path, "Write a self-contained HTML report to FILE");
  cmd->add_flag("--fail-on-drift", f->fail_on_drift, "Exit 1 when the dataset drifted");
  cmd->callback([&inv, f] {
    inv.run = [=] {
      monitor::DriftOptions options;
      options.drift_share = f->drift_share;
      options.distributions = !f->html_path.empty();
      for (const auto& s : f->stattests) {
        auto [column, test] = split_assignment(s, "--stattest");
        options.stattest[column] = test;
      }
      for (const auto& s : f->thresholds) {
        auto [column, value] = split_assignment(s, "--threshold");
        try {
          size_t used = 0;
          options.threshold[column] = std::stod(value, &used);
          if (used != value.size()) throw std::invalid_argument(value);
        } catch (const std::exception&) {
          throw plinth::Error(ErrorCode::kInvalidInput,
                              "--threshold " + s + ": '" + value + "' is not a number");
        }
      }
      monitor::TableDriftRequest request{
          f->columns, {f->target, f->prediction}, options, f->reference, f->current};
      if (registry::is_model_uri(f->reference) || model::is_model_reference(f->reference))
        return drift_against_model(*f, request);
      table::ReadOptions read;
      read.columns = monitor::wanted_columns(request);
      std::vector<table::Table> reference = read_pieces(f->reference, read);
      std::vector<table::Table> current = read_pieces(f->current, read);
      monitor::TableDrift drift =
          monitor::compare_tables(std::move(reference), std::move(current), request);
      return emit(*f, drift.report, drift.skipped);
    };
  });
}

}  // namespace

void register_monitor_commands(CLI::App& app, Invocation& inv) { add_drift(app, inv); }

}  // namespace plinth::cli
