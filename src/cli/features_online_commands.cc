// `plinth features materialize | materialize-incremental | serve`: the online half of the
// feature store.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/server_security.h"
#include "core/error.h"
#include "features/feature_server.h"
#include "features/materialize.h"
#include "http/server.h"
#include "table/timestamp.h"

namespace plinth::cli {
namespace {
using nlohmann::json;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t parse_time(const std::string& text, const char* what) {
  if (text == "now") return now_ns();
  auto t = table::parse_timestamp(text);
  if (!t)
    throw Error(ErrorCode::kInvalidInput,
                std::string(what) + " '" + text +
                    "' is not an ISO 8601 time; write e.g. 2025-01-01T00:00:00 (UTC) or now");
  return *t;
}

struct OnlineFlags {
  std::string repo = ".";
  std::vector<std::string> views;
  std::string start, end;
  size_t batch_size = 10'000;
  bool json_output = false;
  std::string host = "127.0.0.1";
  uint16_t port = 6566;
  size_t threads = 0;
  TlsFlags tls;
  TokenFlags tokens;
};

int report(const std::vector<features::MaterializedView>& done, bool as_json) {
  if (as_json) {
    json out = json::array();
    for (const auto& v : done)
      out.push_back({{"view", v.view},
                     {"start", table::format_timestamp(v.start)},
                     {"end", table::format_timestamp(v.end)},
                     {"rows_read", v.rows_read},
                     {"entities", v.entities},
                     {"written", v.written},
                     {"resumed_batches", v.resumed_batches}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (done.empty()) std::cout << "No online feature views to materialize.\n";
  for (const auto& v : done) {
    std::cout << v.view << ": " << v.entities << " entities from " << v.rows_read
              << " rows between " << table::format_timestamp(v.start) << " and "
              << table::format_timestamp(v.end) << ", " << v.written << " written";
    if (v.resumed_batches) std::cout << " (resumed after " << v.resumed_batches << " batches)";
    std::cout << "\n";
  }
  return 0;
}

struct Opened {
  features::FeatureStoreConfig config;
  features::Registry registry;
  std::unique_ptr<features::OnlineStore> store;
};

Opened open_repo(const std::string& repo) {
  Opened o;
  o.config = features::load_config(repo);
  o.registry = features::load_registry(o.config);
  o.store = features::open_online_store(o.config.online_store, o.config.project);
  return o;
}

}  // namespace

void register_features_online_commands(CLI::App& app, Invocation& invocation) {
  CLI::App* group = nullptr;
  try {
    group = app.get_subcommand("features");
  } catch (const CLI::OptionNotFound&) {
    group = app.add_subcommand("features", "Feature store: definitions, training sets, serving");
    group->require_subcommand(1);
  }
  auto f = std::make_shared<OnlineFlags>();

  auto* m = group->add_subcommand(
      "materialize",
      "Load the latest row per entity with START <= event time <= END into the online store");
  m->add_option("start", f->start, "Window start, ISO 8601 (UTC when no offset)")->required();
  m->add_option("end", f->end, "Window end, ISO 8601, or now")->required();
  m->add_option("--views", f->views, "Only these feature views (default: every online view)");
  m->add_option("-c,--chdir,--repo", f->repo,
                "The feature repository (the folder with feature_store.yaml; default: .)");
  m->add_option("--batch-size", f->batch_size, "Entities per atomic write")
      ->check(CLI::PositiveNumber);
  m->add_flag("--json", f->json_output, "Print what was materialized as JSON");
  m->callback([&invocation, f] {
    invocation.run = [f] {
      Opened o = open_repo(f->repo);
      auto done =
          features::materialize(o.config, o.registry, *o.store, parse_time(f->start, "START"),
                                parse_time(f->end, "END"), {f->views, f->batch_size});
      return report(done, f->json_output);
    };
  });

  auto* mi = group->add_subcommand(
      "materialize-incremental",
      "Materialize each view from where the last materialization ended up to END");
  mi->add_option("end", f->end, "Window end, ISO 8601, or now")->required();
  mi->add_option("--views", f->views, "Only these feature views (default: every online view)");
  mi->add_option("-c,--chdir,--repo", f->repo,
                 "The feature repository (the folder with feature_store.yaml; default: .)");
  mi->add_option("--batch-size", f->batch_size, "Entities per atomic write")
      ->check(CLI::PositiveNumber);
  mi->add_flag("--json", f->json_output, "Print what was materialized as JSON");
  mi->callback([&invocation, f] {
    invocation.run = [f] {
      Opened o = open_repo(f->repo);
      auto done = features::materialize_incremental(o.config, o.registry, *o.store,
                                                    parse_time(f->end, "END"), now_ns(),
                                                    {f->views, f->batch_size});
      return report(done, f->json_output);
    };
  });

  auto* s = group->add_subcommand(
      "serve", "Serve online features over HTTP with Feast's API (/get-online-features, /push)");
  s->add_option("-c,--chdir,--repo", f->repo,
                "The feature repository (the folder with feature_store.yaml; default: .)");
  s->add_option("--host", f->host, "Address to listen on")->capture_default_str();
  s->add_option("-p,--port", f->port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  s->add_option("--threads", f->threads, "Threads answering requests (0: one per core)");
  add_tls_flags(s, f->tls.cert, f->tls.key);
  add_token_flags(s, f->tokens);
  s->callback([&invocation, f] {
    invocation.run = [f] {
      http::ServerOptions options;
      options.host = f->host;
      options.port = f->port;
      options.threads = f->threads;
      apply_tls_flags(f->tls, options);
      auto gate = open_token_gate(f->tokens, {"/health"}, {"/metrics"}, options);
      Opened o = open_repo(f->repo);
      std::string described = o.store->describe();
      features::FeatureServer server(std::move(o.config), std::move(o.registry),
                                     std::move(o.store));
      options.on_listening = [f, described, &options, &gate](uint16_t port) {
        std::cout << "Feature server listening on " << scheme(options) << "://" << f->host << ":"
                  << port << " (online store: " << described
                  << (gate ? "; bearer tokens required" : "") << ")" << std::endl;
      };
      http::serve(options, [&](const http::ServerRequest& r) {
        if (gate)
          if (auto refused = gate->refuse(r)) return *refused;
        return server.handle(r);
      });
      return 0;
    };
  });
}

}  // namespace plinth::cli
