#include "cli/server_security.h"

#include <spdlog/spdlog.h>

#include "core/error.h"
#include "http/tls.h"

namespace plinth::cli {

void add_tls_flags(CLI::App* cmd, std::string& cert, std::string& key) {
  cmd->add_option("--tls-cert", cert,
                  "Serve HTTPS with this certificate (PEM; the server's first, then any "
                  "intermediates); re-read on SIGHUP")
      ->type_name("FILE");
  cmd->add_option("--tls-key", key,
                  "The certificate's private key (PEM, unencrypted); re-read on SIGHUP")
      ->type_name("FILE");
}

void apply_tls_flags(const TlsFlags& flags, http::ServerOptions& options) {
  if (flags.cert.empty() && flags.key.empty()) return;
  http::load_server_tls({flags.cert, flags.key});
  options.tls_cert = flags.cert;
  options.tls_key = flags.key;
}

void add_token_flags(CLI::App* cmd, TokenFlags& flags) {
  cmd->add_option("--auth-token-file", flags.file,
                  "Require 'Authorization: Bearer TOKEN' with one of the tokens in FILE (one a "
                  "line, 16+ characters; re-read on SIGHUP)")
      ->type_name("FILE");
  cmd->add_flag("--auth-protect-health", flags.protect_health,
                "With --auth-token-file, require a token on the health routes too (default: "
                "open, for load balancers and probes)");
  cmd->add_flag("--auth-protect-metrics", flags.protect_metrics,
                "With --auth-token-file, require a token on /metrics too (default: open, for "
                "Prometheus)");
}

std::unique_ptr<auth::TokenGate> open_token_gate(const TokenFlags& flags,
                                                 const std::set<std::string>& health,
                                                 const std::set<std::string>& metrics,
                                                 http::ServerOptions& options) {
  if (flags.file.empty()) {
    if (flags.protect_health || flags.protect_metrics)
      throw Error(ErrorCode::kInvalidInput,
                  "--auth-protect-health and --auth-protect-metrics need --auth-token-file FILE");
    return nullptr;
  }
  std::set<std::string> open;
  if (!flags.protect_health) open.insert(health.begin(), health.end());
  if (!flags.protect_metrics) open.insert(metrics.begin(), metrics.end());
  auto gate = std::make_unique<auth::TokenGate>(flags.file, std::move(open));
  options.on_reload = [g = gate.get()] { g->reload(); };
  warn_cleartext(options, "bearer tokens");
  return gate;
}

const char* scheme(const http::ServerOptions& options) {
  return options.tls_cert.empty() ? "http" : "https";
}

void warn_cleartext(const http::ServerOptions& options, const std::string& what) {
  const std::string& h = options.host;
  bool loopback = h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
  if (!loopback && options.tls_cert.empty())
    spdlog::warn("{} will cross the network in the clear on {}: give --tls-cert and --tls-key",
                 what, h);
}

}  // namespace plinth::cli
