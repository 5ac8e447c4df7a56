#include "server/internal/wandb_urls.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::server::internal {
namespace {

std::map<std::string, std::string> parse(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    std::string pair = query.substr(start, amp - start);
    out[pair.substr(0, pair.find('='))] = pair.substr(pair.find('=') + 1);
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

std::string refusal(const UrlSigner& signer, const std::string& resource,
                    const std::map<std::string, std::string>& query) {
  try {
    signer.check(resource, query, "ask again");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kPermission);
    return e.what();
  }
  return "";
}

TEST(UrlSigner, AUrlAuthorisesOnlyItsResourceUntilItExpires) {
  UrlSigner signer;
  auto good = parse(signer.query("file-put\nA\nmd5", 60));
  EXPECT_EQ(refusal(signer, "file-put\nA\nmd5", good), "");
  // Another resource, a changed expiry, another server's key: the signature is wrong.
  EXPECT_NE(refusal(signer, "file-put\nB\nmd5", good).find("signature is wrong"),
            std::string::npos);
  auto later = good;
  later["expires"] = std::to_string(std::stoll(good["expires"]) + 3600);
  EXPECT_NE(refusal(signer, "file-put\nA\nmd5", later).find("signature is wrong"),
            std::string::npos);
  EXPECT_NE(refusal(UrlSigner(), "file-put\nA\nmd5", good).find("signature is wrong"),
            std::string::npos);
  EXPECT_NE(refusal(signer, "file-put\nA\nmd5", {}).find("signature is wrong"), std::string::npos);
  // A correctly signed URL past its expiry: refused as expired, saying what to do.
  auto expired = parse(signer.query("file-put\nA\nmd5", -1));
  std::string message = refusal(signer, "file-put\nA\nmd5", expired);
  EXPECT_NE(message.find("expired"), std::string::npos) << message;
  EXPECT_NE(message.find("ask again"), std::string::npos) << message;
}

}  // namespace
}  // namespace plinth::server::internal
