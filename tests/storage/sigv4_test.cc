// The signer against the example requests AWS publishes for Signature Version 4: the four
// worked examples of the S3 API reference ("Signature Calculations for the Authorization
// Header") and get-vanilla from the generic SigV4 test suite.
#include "storage/sigv4.h"

#include <gtest/gtest.h>

namespace plinth::storage {
namespace {

const Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignedRequest s3_get(std::string uri, std::vector<std::pair<std::string, std::string>> query) {
  return {"GET",
          std::move(uri),
          std::move(query),
          {{"Host", "examplebucket.s3.amazonaws.com"},
           {"x-amz-date", "20130524T000000Z"},
           {"x-amz-content-sha256", kEmptySha}},
          kEmptySha,
          "20130524T000000Z"};
}

TEST(SigV4, S3GetObjectWithRange) {
  SignedRequest r = s3_get("/test.txt", {});
  r.headers.emplace_back("Range", "bytes=0-9");
  EXPECT_EQ(canonical_request(r),
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmptySha + "\nx-amz-date:20130524T000000Z\n\n" +
                "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha);
  EXPECT_EQ(string_to_sign(r, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(authorization(r, kS3Docs, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, S3PutObject) {
  // Body "Welcome to Amazon S3."; the key test$file.text is sent percent-encoded.
  const std::string body_sha = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  SignedRequest r{"PUT",
                  "/test%24file.text",
                  {},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-date", "20130524T000000Z"},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                   {"x-amz-content-sha256", body_sha}},
                  body_sha,
                  "20130524T000000Z"};
  EXPECT_EQ(string_to_sign(r, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(authorization(r, kS3Docs, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, S3GetBucketLifecycle) {
  SignedRequest r = s3_get("/", {{"lifecycle", ""}});
  EXPECT_EQ(canonical_query(r.query), "lifecycle=");
  EXPECT_EQ(authorization(r, kS3Docs, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjectsSortsQuery) {
  SignedRequest r = s3_get("/", {{"prefix", "J"}, {"max-keys", "2"}});
  EXPECT_EQ(canonical_query(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(string_to_sign(r, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(authorization(r, kS3Docs, "us-east-1", "s3"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, TestSuiteGetVanilla) {
  SignedRequest r{
      "GET",     "/",
      {},        {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
      kEmptySha, "20150830T123600Z"};
  Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(authorization(r, creds, "us-east-1", "service"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
            "SignedHeaders=host;x-amz-date,"
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, QueryValuesArePercentEncoded) {
  EXPECT_EQ(canonical_query({{"prefix", "files/md5/a b"}, {"continuation-token", "x+y=="}}),
            "continuation-token=x%2By%3D%3D&prefix=files%2Fmd5%2Fa%20b");
}

}  // namespace
}  // namespace plinth::storage
