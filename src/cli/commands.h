#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "repo/workspace.h"

namespace plinth::cli {

// What a parsed command line asks for. Each command group registers its subcommands; the
// chosen one stores the work to do in `run`, which main() calls after parsing succeeded and
// logging and progress are set up. `run` returns the process exit code.
struct Invocation {
  std::function<int()> run;
};

// The workspace containing the current directory (commands run from anywhere inside it).
repo::Workspace open_workspace();

// init, add, status, checkout, commit, remove, gc, ls, cache, diff.
void register_data_commands(CLI::App& app, Invocation& invocation);
// remote add|modify|list|remove|default, push, fetch, pull.
void register_remote_commands(CLI::App& app, Invocation& invocation);

// exp run|show|diff|apply|branch|remove.
void register_experiment_commands(CLI::App& app, Invocation& invocation);

// table schema|head|stats|convert, demo-data fraud.
void register_table_commands(CLI::App& app, Invocation& invocation);
// drift.
void register_monitor_commands(CLI::App& app, Invocation& invocation);
// stage add, dag, repro, params diff, metrics show|diff, plots show|diff.
void register_pipeline_commands(CLI::App& app, Invocation& invocation);
// sweep.
void register_sweep_commands(CLI::App& app, Invocation& invocation);
// server, runs start|end|list|show|compare, log param|metric|tag|dataset, artifacts log|list|get,
// models register|list|show|transition|alias|delete|resolve.
void register_tracking_commands(CLI::App& app, Invocation& invocation);
// audit (called by register_tracking_commands).
void register_audit_commands(CLI::App& app, Invocation& invocation);
// models import (after register_tracking_commands, which makes the models group).
void register_import_commands(CLI::App& app, Invocation& invocation);
// train, evaluate, score, baseline.
void register_model_commands(CLI::App& app, Invocation& invocation);
// serve.
void register_serve_commands(CLI::App& app, Invocation& invocation);
// features apply|plan|list|describe|historical.
void register_feature_commands(CLI::App& app, Invocation& invocation);
// features materialize|materialize-incremental|serve (adds to the `features` group).
void register_features_online_commands(CLI::App& app, Invocation& invocation);

}  // namespace plinth::cli
