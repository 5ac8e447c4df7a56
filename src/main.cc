#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Plinth: version data and models next to git (DVC-compatible), and ship them.\n"
      "Run 'plinth COMMAND --help' for a command's options."};
  app.name("plinth");
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "plinth 0.1.0");
  bool quiet = false;
  int verbosity = 0;
  app.add_flag("-q,--quiet", quiet, "Print nothing but errors; no progress bars");
  app.add_flag("-v,--verbose", verbosity, "More detail on stderr (-vv for debugging)");

  plinth::cli::Invocation invocation;
  plinth::cli::register_data_commands(app, invocation);
  plinth::cli::register_remote_commands(app, invocation);
  plinth::cli::register_table_commands(app, invocation);
  plinth::cli::register_monitor_commands(app, invocation);
  plinth::cli::register_pipeline_commands(app, invocation);
  plinth::cli::register_experiment_commands(app, invocation);
  plinth::cli::register_sweep_commands(app, invocation);
  plinth::cli::register_tracking_commands(app, invocation);
  plinth::cli::register_import_commands(app, invocation);
  plinth::cli::register_model_commands(app, invocation);
  plinth::cli::register_serve_commands(app, invocation);
  plinth::cli::register_feature_commands(app, invocation);
  plinth::cli::register_features_online_commands(app, invocation);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  plinth::core::init_logging(verbosity);
  plinth::core::set_progress_enabled(!quiet);
  if (quiet) std::cout.setstate(std::ios::failbit);
  try {
    return invocation.run();
  } catch (const plinth::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return plinth::exit_code(e.code());
  } catch (const std::filesystem::filesystem_error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 8;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 70;
  }
}
