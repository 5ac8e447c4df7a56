// Remotes: `remote add|modify|list|remove|default`, push, fetch, pull.
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "pipeline/repro.h"
#include "repo/remotes.h"
#include "repo/workspace.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

repo::RemoteConfig remote_config() {
  return repo::RemoteConfig(repo::Workspace::open(fs::current_path()).dvc_dir());
}

void add_remote_group(CLI::App& app, Invocation& inv) {
  auto* group = app.add_subcommand("remote", "Configure remote storage (folders, S3)");
  group->require_subcommand(1);

  auto* add = group->add_subcommand(
      "add", "Add a remote: a folder path, file://path or s3://bucket/prefix");
  auto name = std::make_shared<std::string>();
  auto url = std::make_shared<std::string>();
  auto make_default = std::make_shared<bool>(false);
  auto local = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  add->add_option("NAME", *name, "Remote name")->required();
  add->add_option("URL", *url, "Where the objects go")->required();
  add->add_flag("-d,--default", *make_default, "Make it the default remote");
  add->add_flag("--local", *local, "Write to .dvc/config.local (not tracked by git)");
  add->add_flag("-f,--force", *force, "Replace a remote of the same name");
  add->callback([&inv, name, url, make_default, local, force] {
    inv.run = [=] {
      remote_config().add(*name, *url, *make_default, *local, *force);
      if (*make_default) std::cout << "Setting '" << *name << "' as the default remote.\n";
      return 0;
    };
  });

  auto* modify = group->add_subcommand("modify", "Set or unset one option of a remote");
  auto key = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  auto modify_local = std::make_shared<bool>(false);
  auto unset = std::make_shared<bool>(false);
  modify->add_option("NAME", *name, "Remote name")->required();
  modify
      ->add_option("KEY", *key,
                   "url, region, profile, endpointurl, access_key_id, secret_access_key, "
                   "session_token, jobs")
      ->required();
  modify->add_option("VALUE", *value, "New value (omit with --unset)");
  modify->add_flag("--local", *modify_local, "Write to .dvc/config.local: use for credentials");
  modify->add_flag("-u,--unset", *unset, "Remove the option");
  modify->callback([&inv, name, key, value, modify_local, unset, modify] {
    inv.run = [=] {
      if (!*unset && modify->count("VALUE") == 0)
        throw plinth::Error(
            ErrorCode::kInvalidInput,
            "remote modify " + *name + " " + *key + ": give a VALUE, or --unset to remove it");
      remote_config().modify(*name, *key, *value, *modify_local, *unset);
      return 0;
    };
  });

  auto* list = group->add_subcommand("list", "List the remotes: name, URL, default");
  auto as_json = std::make_shared<bool>(false);
  list->add_flag("--json", *as_json, "Print a JSON array");
  list->callback([&inv, as_json] {
    inv.run = [=] {
      auto entries = remote_config().list();
      if (*as_json) {
        json out = json::array();
        for (const auto& e : entries)
          out.push_back({{"name", e.name}, {"url", e.url}, {"default", e.is_default}});
        print_json(out);
        return 0;
      }
      size_t width = 0;
      for (const auto& e : entries) width = std::max(width, e.name.size());
      for (const auto& e : entries) {
        std::string padded = e.name;
        padded.resize(width, ' ');
        std::cout << padded << "  " << e.url << (e.is_default ? "  (default)" : "") << "\n";
      }
      return 0;
    };
  });

  auto* remove = group->add_subcommand("remove", "Remove a remote from the config");
  remove->add_option("NAME", *name, "Remote name")->required();
  remove->callback([&inv, name] {
    inv.run = [=] {
      remote_config().remove(*name);
      return 0;
    };
  });

  auto* def = group->add_subcommand("default", "Print the default remote, or set it");
  auto def_name = std::make_shared<std::string>();
  auto def_local = std::make_shared<bool>(false);
  auto def_unset = std::make_shared<bool>(false);
  def->add_option("NAME", *def_name, "Remote to make the default");
  def->add_flag("--local", *def_local, "Write to .dvc/config.local");
  def->add_flag("-u,--unset", *def_unset, "Clear the default");
  def->callback([&inv, def_name, def_local, def_unset] {
    inv.run = [=] {
      repo::RemoteConfig config = remote_config();
      if (*def_unset) {
        config.set_default(std::nullopt, *def_local);
      } else if (!def_name->empty()) {
        config.set_default(*def_name, *def_local);
      } else {
        auto current = config.default_name();
        if (!current) {
          std::cerr << "No default remote is set; 'plinth remote default NAME' sets one.\n";
          return 1;
        }
        std::cout << *current << "\n";
      }
      return 0;
    };
  });
}

// The options push, fetch and pull share.
struct TransferFlags {
  std::vector<std::string> targets;
  repo::TransferOptions options;
};

std::shared_ptr<TransferFlags> add_transfer_flags(CLI::App* cmd) {
  auto flags = std::make_shared<TransferFlags>();
  cmd->add_option("TARGET", flags->targets, "Pointer files or outputs (default: all)");
  cmd->add_option("-r,--remote", flags->options.remote, "Remote name (default: core.remote)");
  cmd->add_option("-j,--jobs", flags->options.jobs,
                  "Parallel transfers (default: the remote's jobs, else 4 per core for S3)");
  return flags;
}

void print_transfer(const repo::TransferResult& r, const char* verb, bool as_json) {
  if (as_json) {
    print_json({{"remote", r.remote},
                {"transferred", r.transferred},
                {"bytes", r.bytes},
                {"up_to_date", r.up_to_date}});
  } else if (r.transferred == 0) {
    std::cout << "Everything is up to date.\n";
  } else {
    std::cout << plural(r.transferred, "object") << " " << verb << "\n";
  }
}

// push and fetch: the same flags and report around one Workspace method.
using TransferMethod = repo::TransferResult (repo::Workspace::*)(
    const std::vector<std::string>&, const repo::TransferOptions&,
    const std::vector<repo::TrackedPointer>&);
void add_transfer(CLI::App& app, Invocation& inv, const char* name, const char* help,
                  TransferMethod method, const char* verb) {
  auto* cmd = app.add_subcommand(name, help);
  auto flags = add_transfer_flags(cmd);
  auto as_json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *as_json, "Print the counts as JSON");
  cmd->callback([&inv, flags, as_json, method, verb] {
    inv.run = [=] {
      auto ws = repo::Workspace::open(fs::current_path());
      print_transfer(
          (ws.*method)(flags->targets, flags->options, pipeline::lock_pointers(ws.root())), verb,
          *as_json);
      return 0;
    };
  });
}

void add_pull(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("pull", "Fetch from a remote, then check out");
  auto flags = add_transfer_flags(cmd);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Overwrite or delete workspace changes not in the cache");
  cmd->callback([&inv, flags, force] {
    inv.run = [=] {
      auto ws = repo::Workspace::open(fs::current_path());
      repo::TransferResult fetched =
          ws.fetch(flags->targets, flags->options, pipeline::lock_pointers(ws.root()));
      repo::CheckoutOptions options;
      options.force = *force;
      repo::CheckoutSummary s = ws.checkout(flags->targets, options);
      if (flags->targets.empty()) pipeline::checkout_outputs(ws, *force, s, true);
      std::cout << plural(fetched.transferred, "object") << " fetched; " << plural(s.added, "file")
                << " added, " << plural(s.modified, "file") << " modified, "
                << plural(s.deleted, "file") << " deleted\n";
      return 0;
    };
  });
}

}  // namespace

void register_remote_commands(CLI::App& app, Invocation& inv) {
  add_remote_group(app, inv);
  add_transfer(app, inv, "push", "Upload cached data the remote lacks", &repo::Workspace::push,
               "pushed");
  add_transfer(app, inv, "fetch", "Download data the cache lacks from a remote",
               &repo::Workspace::fetch, "fetched");
  add_pull(app, inv);
}

}  // namespace plinth::cli
