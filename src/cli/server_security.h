#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <set>
#include <string>

#include "auth/token_gate.h"
#include "http/server.h"

namespace plinth::cli {

// --tls-cert and --tls-key, shared by `plinth server`, `plinth serve` and `features serve`.
struct TlsFlags {
  std::string cert, key;
};
void add_tls_flags(CLI::App* cmd, std::string& cert, std::string& key);
// Reads the certificate and key now (errors name the file), so a server fails before it loads
// anything else, and puts them into `options`.
void apply_tls_flags(const TlsFlags& flags, http::ServerOptions& options);

// --auth-token-file, --auth-protect-health, --auth-protect-metrics (`plinth serve`, the feature
// server).
struct TokenFlags {
  std::string file;
  bool protect_health = false, protect_metrics = false;
};
void add_token_flags(CLI::App* cmd, TokenFlags& flags);
// The gate the flags ask for, or null without --auth-token-file; `health` and `metrics` are the
// server's routes of each kind, left open unless protected. The gate re-reads its file on
// SIGHUP through options.on_reload.
std::unique_ptr<auth::TokenGate> open_token_gate(const TokenFlags& flags,
                                                 const std::set<std::string>& health,
                                                 const std::set<std::string>& metrics,
                                                 http::ServerOptions& options);

// "https" or "http", for the URL a server prints.
const char* scheme(const http::ServerOptions& options);
// Warns when secrets (`what`) would cross the network in the clear: beyond loopback, no TLS.
void warn_cleartext(const http::ServerOptions& options, const std::string& what);

}  // namespace plinth::cli
