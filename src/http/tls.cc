#include "http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"

namespace plinth::http {
namespace {

// Mozilla's "intermediate" TLS 1.2 ciphers without the DHE ones (they need DH parameters):
// ECDHE key exchange, AEAD only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string read_pem(const std::string& flag, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(ErrorCode::kInvalidInput, flag + " " + path + " is a folder; give a PEM file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw Error(err == ENOENT   ? ErrorCode::kNotFound
                : err == EACCES ? ErrorCode::kPermission
                                : ErrorCode::kIo,
                flag + " " + path + ": cannot read it: " + std::strerror(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// OpenSSL's reason for the last failure, and the queue emptied.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return std::string(" (OpenSSL: ") + buf + ")";
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Bio memory(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
}

// Refuses to prompt for a passphrase on the terminal: an encrypted key is an error.
int no_passphrase(char*, int, int, void*) { return -1; }

std::vector<Cert> read_chain(const std::string& path) {
  std::string text = read_pem("--tls-cert", path);
  Bio bio = memory(text);
  std::vector<Cert> chain;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr))
    chain.emplace_back(x, &X509_free);
  ERR_clear_error();  // the end of the file reads as "no start line"
  if (chain.empty())
    throw Error(ErrorCode::kInvalidInput,
                "--tls-cert " + path +
                    " holds no PEM certificate (a block starting -----BEGIN CERTIFICATE-----); "
                    "give the server's certificate, followed by any intermediates");
  return chain;
}

Key read_key(const std::string& path) {
  std::string text = read_pem("--tls-key", path);
  Bio bio = memory(text);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (key) return Key(key, &EVP_PKEY_free);
  std::string why = openssl_reason();
  if (text.find("ENCRYPTED") != std::string::npos)
    throw Error(ErrorCode::kInvalidInput,
                "--tls-key " + path +
                    " is encrypted with a passphrase; give an unencrypted key (openssl pkey -in " +
                    path + " -out plain.key), readable only by the server's user");
  throw Error(ErrorCode::kInvalidInput,
              "--tls-key " + path +
                  " holds no PEM private key (a block starting -----BEGIN PRIVATE KEY-----)" + why);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::shared_ptr<SSL_CTX> load_server_tls(const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty())
    throw Error(ErrorCode::kInvalidInput,
                "HTTPS needs both --tls-cert and --tls-key; give the certificate and its key");
  std::vector<Cert> chain = read_chain(files.cert);
  Key key = read_key(files.key);
  if (X509_check_private_key(chain[0].get(), key.get()) != 1) {
    ERR_clear_error();
    throw Error(ErrorCode::kInvalidInput,
                "--tls-key " + files.key + " does not belong to the certificate in --tls-cert " +
                    files.cert + " (their public keys differ); give the key it was made for");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(chain[0].get())) < 0)
    spdlog::warn("--tls-cert {}: the certificate has expired; clients will refuse it", files.cert);

  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) throw Error(ErrorCode::kInternal, "cannot create a TLS context" + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  bool ok = SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) == 1 &&
            SSL_CTX_use_certificate(ctx.get(), chain[0].get()) == 1;
  for (size_t i = 1; ok && i < chain.size(); ++i)
    ok = SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) == 1;
  ok = ok && SSL_CTX_use_PrivateKey(ctx.get(), key.get()) == 1;
  if (!ok)
    throw Error(ErrorCode::kInvalidInput, "--tls-cert " + files.cert + " with --tls-key " +
                                              files.key + " cannot be used" + openssl_reason());
  return ctx;
}

std::string describe_certificate(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert) return "no certificate";
  Bio bio(BIO_new(BIO_s_mem()), &BIO_free);
  BIO_puts(bio.get(), "subject ");
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  BIO_puts(bio.get(), ", serial ");
  i2a_ASN1_INTEGER(bio.get(), X509_get0_serialNumber(cert));
  BIO_puts(bio.get(), ", expires ");
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(cert));
  return bio_text(bio.get());
}

}  // namespace plinth::http
