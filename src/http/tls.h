#pragma once

#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace plinth::http {

// A server's certificate chain and private key, PEM files (`--tls-cert`, `--tls-key`).
struct TlsFiles {
  std::string cert;  // the server's certificate, optionally followed by its intermediates
  std::string key;   // its private key, unencrypted
};

// An OpenSSL context serving `files`: TLS 1.2 and 1.3 only, forward-secret AEAD ciphers for
// TLS 1.2 (Mozilla's "intermediate" list), no compression, no renegotiation. Throws
// Error(kNotFound / kPermission / kInvalidInput) naming the file: missing, unreadable, not PEM,
// an encrypted key, or a key that does not belong to the certificate.
std::shared_ptr<SSL_CTX> load_server_tls(const TlsFiles& files);

// "subject CN=..., serial 1A2B, expires 2027-01-01 00:00:00 UTC" for the context's certificate:
// what the server prints when it starts and when it reloads.
std::string describe_certificate(SSL_CTX* ctx);

}  // namespace plinth::http
