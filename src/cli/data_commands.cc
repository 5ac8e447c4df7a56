// Data versioning commands: the DVC verbs users already know.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "pipeline/repro.h"
#include "repo/diff.h"
#include "repo/workspace.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// `dvc status` text: tab indentation, the status word padded to 20 columns.
void print_status_text(const std::vector<repo::PointerStatus>& result) {
  for (const auto& ps : result) {
    std::cout << ps.pointer << ":\n\tchanged outs:\n";
    for (const auto& change : ps.changed_outs) {
      std::string label = change.status + ":";
      label.resize(std::max<size_t>(label.size(), 20), ' ');
      std::cout << "\t\t" << label << change.path << "\n";
    }
  }
}

void add_init(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("init", "Make the current directory a Plinth (DVC) repository");
  auto no_scm = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--no-scm", *no_scm, "Version data without git (no .gitignore entries)");
  cmd->add_flag("-f,--force", *force, "Reinitialise even if .dvc/ already exists");
  cmd->callback([&inv, no_scm, force] {
    inv.run = [=] {
      repo::Workspace::init(fs::current_path(), *no_scm, *force);
      std::cout << "Initialized Plinth repository in " << fs::current_path().string() << "/.dvc\n";
      if (!*no_scm)
        std::cout << "\nTo track the changes with git, run:\n\n\tgit add .dvc .dvcignore\n";
      return 0;
    };
  });
}

void add_add(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "add", "Track files or directories: hash them, store them in the cache, write PATH.dvc");
  auto targets = std::make_shared<std::vector<std::string>>();
  auto jobs = std::make_shared<size_t>(0);
  cmd->add_option("PATH", *targets, "Files or directories to track")->required();
  cmd->add_option("-j,--jobs", *jobs, "Parallel hashing/copying threads (default: one per core)");
  cmd->callback([&inv, targets, jobs] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      repo::AddOptions options;
      options.jobs = *jobs;
      std::vector<std::string> written = ws.add(*targets, options);
      if (ws.scm_enabled()) {
        std::cout << "\nTo track the changes with git, run:\n\n\tgit add";
        for (const auto& w : written) std::cout << " " << w;
        std::cout << " .gitignore\n";
      }
      return 0;
    };
  });
}

// `status --cloud`: DVC's lines, `\tnew:                path`, or the in-sync message.
int print_cloud_status(repo::Workspace& ws, const std::vector<std::string>& targets,
                       const repo::TransferOptions& options, bool as_json) {
  repo::CloudStatus status = ws.cloud_status(targets, options, pipeline::lock_pointers(ws.root()));
  if (as_json) {
    json out = json::object();
    for (const auto& [path, state] : status.entries) out[path] = state;
    print_json(out);
  } else if (status.entries.empty()) {
    std::cout << "Cache and remote '" << status.remote << "' are in sync.\n";
  } else {
    for (const auto& [path, state] : status.entries) {
      std::string label = state + ":";
      label.resize(std::max<size_t>(label.size(), 20), ' ');
      std::cout << "\t" << label << path << "\n";
    }
  }
  return status.entries.empty() || !std::cout.fail() ? 0 : 1;
}

// Command targets naming stages of dvc.yaml go to the pipeline, the rest to pointer files.
struct Targets {
  std::vector<std::string> stages, data;
  bool has_stages = false;  // dvc.yaml defines any stage
};
Targets split_targets(repo::Workspace& ws, const std::vector<std::string>& targets) {
  pipeline::Pipeline pipeline = pipeline::Pipeline::load(ws.root());
  Targets t;
  t.has_stages = !pipeline.stages().empty();
  for (const auto& target : targets) (pipeline.find(target) ? t.stages : t.data).push_back(target);
  return t;
}

// Changed stages in `dvc status` text: nested maps indent one tab per level.
void print_stage_status_text(const std::vector<pipeline::StageStatus>& stages) {
  std::function<void(const json&, const std::string&)> print_map = [&](const json& m,
                                                                       const std::string& indent) {
    for (auto it = m.begin(); it != m.end(); ++it) {
      if (it->is_object()) {
        std::cout << indent << it.key() << ":\n";
        print_map(*it, indent + "\t");
        continue;
      }
      std::string label = it->get<std::string>() + ":";
      label.resize(std::max<size_t>(label.size(), 20), ' ');
      std::cout << indent << label << it.key() << "\n";
    }
  };
  for (const auto& st : stages) {
    std::cout << st.stage << ":\n";
    for (const auto& item : st.changes) {
      if (item.is_string()) {
        std::cout << "\t" << item.get<std::string>() << "\n";
        continue;
      }
      for (auto it = item.begin(); it != item.end(); ++it) {
        std::cout << "\t" << it.key() << ":\n";
        print_map(*it, "\t\t");
      }
    }
  }
}

void add_status(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "status",
      "Show tracked outputs and pipeline stages that changed, or differences from a remote");
  auto targets = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto cloud = std::make_shared<bool>(false);
  auto transfer = std::make_shared<repo::TransferOptions>();
  cmd->add_option("TARGET", *targets, "Pointer files, outputs or stages to check (default: all)");
  cmd->add_flag("--json", *as_json, "Print DVC's JSON shape");
  cmd->add_flag("-c,--cloud", *cloud, "Compare the cache with a remote instead");
  cmd->add_option("-r,--remote", transfer->remote, "Remote for --cloud (default: core.remote)");
  cmd->add_option("-j,--jobs", transfer->jobs, "Parallel requests for --cloud");
  cmd->callback([&inv, targets, as_json, cloud, transfer] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      if (*cloud || !transfer->remote.empty())
        return print_cloud_status(ws, *targets, *transfer, *as_json);
      Targets t = split_targets(ws, *targets);
      if (!*as_json && targets->empty() && ws.pointers().empty() && !t.has_stages) {
        std::cout << "There are no data or pipelines tracked in this project yet.\n"
                     "See 'plinth add --help' to start tracking data.\n";
        return 0;
      }
      std::vector<repo::PointerStatus> result;
      if (targets->empty() || !t.data.empty()) result = ws.status(t.data);
      std::vector<pipeline::StageStatus> stages;
      if (targets->empty() || !t.stages.empty()) stages = pipeline::pipeline_status(ws, t.stages);
      if (*as_json) {
        json out = json::object();
        for (const auto& ps : result) {
          json outs = json::object();
          for (const auto& c : ps.changed_outs) outs[c.path] = c.status;
          out[ps.pointer] = json::array({{{"changed outs", outs}}});
        }
        for (const auto& st : stages) out[st.stage] = json::parse(st.changes.dump());
        print_json(out);
      } else if (result.empty() && stages.empty()) {
        std::cout << "Data and pipelines are up to date.\n";
      } else {
        print_status_text(result);
        print_stage_status_text(stages);
      }
      // Like `dvc status -q`, the exit code tells scripts whether anything changed.
      bool changed = !result.empty() || !stages.empty();
      return !changed || !std::cout.fail() ? 0 : 1;
    };
  });
}

void add_checkout(CLI::App& app, Invocation& inv) {
  auto* cmd =
      app.add_subcommand("checkout", "Make workspace files match the pointer files and dvc.lock");
  auto targets = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto jobs = std::make_shared<size_t>(0);
  cmd->add_option("TARGET", *targets, "Pointer files or outputs (default: all)");
  cmd->add_flag("-f,--force", *force, "Overwrite or delete changes that are not in the cache");
  cmd->add_flag("--json", *as_json, "Print the counts as JSON");
  cmd->add_option("-j,--jobs", *jobs, "Parallel threads (default: one per core)");
  cmd->callback([&inv, targets, force, as_json, jobs] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      repo::CheckoutOptions options;
      options.force = *force;
      options.jobs = *jobs;
      repo::CheckoutSummary s = ws.checkout(*targets, options);
      if (targets->empty()) pipeline::checkout_outputs(ws, *force, s);
      if (*as_json) {
        print_json({{"added", s.added}, {"modified", s.modified}, {"deleted", s.deleted}});
      } else if (s.added + s.modified + s.deleted == 0) {
        std::cout << "Workspace is up to date.\n";
      } else {
        std::cout << plural(s.added, "file") << " added, " << plural(s.modified, "file")
                  << " modified, " << plural(s.deleted, "file") << " deleted\n";
      }
      return 0;
    };
  });
}

void add_commit(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "commit",
      "Record the current content of tracked outputs in their pointer files and dvc.lock");
  auto targets = std::make_shared<std::vector<std::string>>();
  auto jobs = std::make_shared<size_t>(0);
  cmd->add_option("TARGET", *targets, "Pointer files, outputs or stages (default: all)");
  cmd->add_option("-j,--jobs", *jobs, "Parallel threads (default: one per core)");
  cmd->callback([&inv, targets, jobs] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      repo::AddOptions options;
      options.jobs = *jobs;
      Targets t = split_targets(ws, *targets);
      std::vector<std::string> changed;
      if (targets->empty() || !t.data.empty()) changed = ws.commit(t.data, options);
      if (targets->empty() || !t.stages.empty())
        for (const auto& stage : pipeline::commit_stages(ws, t.stages))
          changed.push_back("dvc.lock (stage '" + stage + "')");
      for (const auto& c : changed) std::cout << "Updated " << c << "\n";
      if (changed.empty()) std::cout << "Nothing to commit: outputs match what is recorded.\n";
      return 0;
    };
  });
}

void add_remove(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("remove", "Stop tracking: delete pointer files");
  auto targets = std::make_shared<std::vector<std::string>>();
  auto outs = std::make_shared<bool>(false);
  cmd->add_option("TARGET", *targets, "Pointer files (*.dvc)")->required();
  cmd->add_flag("--outs", *outs, "Also delete the tracked files from the workspace");
  cmd->callback([&inv, targets, outs] {
    inv.run = [=] {
      open_workspace().remove(*targets, *outs);
      return 0;
    };
  });
}

void add_gc(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "gc", "Delete cache objects that no pointer file or dvc.lock in the workspace uses");
  auto workspace = std::make_shared<bool>(false);
  auto dry = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("-w,--workspace", *workspace, "Keep only what the workspace uses (required)");
  cmd->add_flag("--dry", *dry, "Only list what would be deleted");
  cmd->add_flag("--json", *as_json, "Print the removed objects as JSON");
  cmd->callback([&inv, workspace, dry, as_json] {
    inv.run = [=] {
      if (!*workspace)
        throw Error(ErrorCode::kInvalidInput,
                    "gc needs a scope: use 'plinth gc --workspace' to keep only what the "
                    "current workspace uses (add --dry to preview)");
      repo::Workspace ws = open_workspace();
      repo::GcResult r = ws.gc(*dry, pipeline::locked_outputs(ws.root()));
      if (*as_json) {
        print_json({{"removed", r.removed}, {"bytes", r.bytes}, {"dry_run", *dry}});
        return 0;
      }
      if (*dry)
        for (const auto& oid : r.removed) std::cout << "would remove " << oid << "\n";
      std::cout << (*dry ? "Would remove " : "Removed ") << plural(r.removed.size(), "object")
                << " (" << r.bytes << " bytes) from the cache.\n";
      return 0;
    };
  });
}

void add_ls(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("ls", "List workspace files and tracked outputs at a path");
  auto path = std::make_shared<std::string>();
  auto recursive = std::make_shared<bool>(false);
  auto dvc_only = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("PATH", *path, "A directory or tracked output (default: the repository root)");
  cmd->add_flag("-R,--recursive", *recursive, "List subdirectories too");
  cmd->add_flag("--dvc-only", *dvc_only, "Only tracked outputs");
  cmd->add_flag("--json", *as_json, "Print DVC's `list --json` shape");
  cmd->callback([&inv, path, recursive, dvc_only, as_json] {
    inv.run = [=] {
      auto entries = open_workspace().list(*path, *recursive, *dvc_only);
      if (*as_json) {
        json out = json::array();
        for (const auto& e : entries) {
          json j = {{"path", e.path}, {"isout", e.isout}, {"isdir", e.isdir}, {"isexec", e.isexec}};
          if (e.size) j["size"] = *e.size;
          if (!e.md5.empty()) j["md5"] = e.md5;
          out.push_back(j);
        }
        print_json(out);
        return 0;
      }
      for (const auto& e : entries) std::cout << e.path << (e.isdir ? "/" : "") << "\n";
      return 0;
    };
  });
}

void add_cache(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("cache", "Inspect or configure the cache");
  cmd->require_subcommand(1);
  auto* dir = cmd->add_subcommand("dir", "Print the cache directory, or set it (cache.dir)");
  auto value = std::make_shared<std::string>();
  dir->add_option("VALUE", *value, "New cache directory (relative to .dvc/ if relative)");
  dir->callback([&inv, value] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      if (value->empty()) {
        std::cout << ws.cache().root().string() << "\n";
        return 0;
      }
      repo::ConfigFile config = repo::ConfigFile::load(ws.dvc_dir() / "config");
      std::string stored = *value;
      if (fs::path(stored).is_relative())
        stored = fs::relative(fs::absolute(stored), ws.dvc_dir()).generic_string();
      config.set("cache", "dir", stored);
      config.save();
      return 0;
    };
  });
}

void print_diff_group(const std::string& title, const std::vector<repo::DiffEntry>& entries,
                      bool show_hash, bool renamed) {
  if (entries.empty()) return;
  std::cout << title << ":\n";
  for (const auto& e : entries) {
    std::cout << "    ";
    if (show_hash) {
      std::string h = !e.old_hash.empty() && !e.new_hash.empty()
                          ? e.old_hash.substr(0, 8) + ".." + e.new_hash.substr(0, 8)
                          : (e.old_hash.empty() ? e.new_hash : e.old_hash).substr(0, 8);
      if (renamed) h = e.new_hash.substr(0, 8);
      std::cout << h << "  ";
    }
    std::cout << (renamed ? e.old_path + " -> " + e.path : e.path) << "\n";
  }
  std::cout << "\n";
}

json diff_entries_json(const std::vector<repo::DiffEntry>& entries, bool show_hash, bool renamed) {
  json out = json::array();
  for (const auto& e : entries) {
    json j;
    if (renamed)
      j["path"] = {{"old", e.old_path}, {"new", e.path}};
    else
      j["path"] = e.path;
    if (show_hash) {
      if (!e.old_hash.empty() && !e.new_hash.empty() && !renamed)
        j["hash"] = {{"old", e.old_hash}, {"new", e.new_hash}};
      else
        j["hash"] = e.new_hash.empty() ? e.old_hash : e.new_hash;
    }
    out.push_back(j);
  }
  return out;
}

void add_diff(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "diff",
      "Show tracked files added, deleted, modified or renamed between two git revisions "
      "(default: HEAD and the workspace)");
  auto revs = std::make_shared<std::vector<std::string>>();
  auto as_json = std::make_shared<bool>(false);
  auto show_hash = std::make_shared<bool>(false);
  cmd->add_option("REV", *revs, "A_REV [B_REV]: git revisions (B_REV default: the workspace)")
      ->expected(0, 2);
  cmd->add_flag("--json", *as_json, "Print DVC's JSON shape");
  cmd->add_flag("--show-hash", *show_hash, "Include the first 8 characters of each hash");
  cmd->callback([&inv, revs, as_json, show_hash] {
    inv.run = [=] {
      repo::Workspace ws = open_workspace();
      std::string a = revs->empty() ? "HEAD" : (*revs)[0];
      std::optional<std::string> b;
      if (revs->size() == 2) b = (*revs)[1];
      repo::DiffResult r = repo::diff_revisions(ws, a, b);
      auto by_path = [](auto& v) {
        std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.path < y.path; });
      };
      by_path(r.added), by_path(r.deleted), by_path(r.modified), by_path(r.renamed);
      by_path(r.not_in_cache);
      if (*as_json) {
        json out = {{"added", diff_entries_json(r.added, *show_hash, false)},
                    {"deleted", diff_entries_json(r.deleted, *show_hash, false)},
                    {"modified", diff_entries_json(r.modified, *show_hash, false)},
                    {"renamed", diff_entries_json(r.renamed, *show_hash, true)}};
        if (r.against_workspace)
          out["not in cache"] = diff_entries_json(r.not_in_cache, *show_hash, false);
        print_json(out);
        return 0;
      }
      print_diff_group("Added", r.added, *show_hash, false);
      print_diff_group("Deleted", r.deleted, *show_hash, false);
      print_diff_group("Renamed", r.renamed, *show_hash, true);
      print_diff_group("Modified", r.modified, *show_hash, false);
      print_diff_group("Not in cache", r.not_in_cache, *show_hash, false);
      std::vector<std::pair<std::string, size_t>> counts;
      auto files = [](const std::vector<repo::DiffEntry>& v) {
        return static_cast<size_t>(
            std::count_if(v.begin(), v.end(), [](const auto& e) { return !e.is_dir(); }));
      };
      std::string summary;
      for (auto [name, n] : {std::pair<std::string, size_t>{"added", files(r.added)},
                             {"deleted", files(r.deleted)},
                             {"renamed", files(r.renamed)},
                             {"modified", files(r.modified)},
                             {"not in cache", files(r.not_in_cache)}})
        if (n > 0) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + name;
      if (!summary.empty()) std::cout << "files summary: " << summary << "\n";
      return 0;
    };
  });
}

}  // namespace

repo::Workspace open_workspace() { return repo::Workspace::open(fs::current_path()); }

void register_data_commands(CLI::App& app, Invocation& inv) {
  add_init(app, inv);
  add_add(app, inv);
  add_status(app, inv);
  add_checkout(app, inv);
  add_commit(app, inv);
  add_remove(app, inv);
  add_gc(app, inv);
  add_ls(app, inv);
  add_cache(app, inv);
  add_diff(app, inv);
}

}  // namespace plinth::cli
