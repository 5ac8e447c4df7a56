// Where an S3 remote's credentials, region and endpoint come from, in the AWS tools' order.
#include "storage/s3_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace plinth::storage {
namespace {
namespace fs = std::filesystem;

class S3SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() /
            ("plinth-s3settings-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(home_ / ".aws" / name) << text;
  }
  S3Settings resolve(const std::string& url, const std::map<std::string, std::string>& options) {
    return resolve_s3_settings("store", url, options, [this](const std::string& k) {
      auto it = env_.find(k);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
  }

  fs::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(S3SettingsTest, RemoteOptionsWinOverEnvironmentAndFiles) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n");
  S3Settings s = resolve("s3://bucket/some/prefix/",
                         {{"access_key_id", "OPTKEY"}, {"secret_access_key", "optsecret"}});
  EXPECT_EQ(s.credentials.access_key_id, "OPTKEY");
  EXPECT_EQ(s.bucket, "bucket");
  EXPECT_EQ(s.prefix, "some/prefix");
}

TEST_F(S3SettingsTest, EnvironmentBeforeSharedFiles) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_SESSION_TOKEN"] = "token";
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n");
  S3Settings s = resolve("s3://bucket", {});
  EXPECT_EQ(s.credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(s.credentials.session_token, "token");
  EXPECT_EQ(s.prefix, "");
}

TEST_F(S3SettingsTest, ExplicitProfileIgnoresEnvironmentKeys) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  write("credentials",
        "# comment\n[team]\naws_access_key_id = TEAMKEY\n"
        "aws_secret_access_key = teamsecret\n");
  write("config", "[profile team]\nregion = eu-west-3\n");
  S3Settings s = resolve("s3://bucket", {{"profile", "team"}});
  EXPECT_EQ(s.credentials.access_key_id, "TEAMKEY");
  EXPECT_EQ(s.region, "eu-west-3");
  EXPECT_EQ(s.endpoint, "https://s3.eu-west-3.amazonaws.com");
  EXPECT_FALSE(s.path_style);
}

TEST_F(S3SettingsTest, AwsProfileVariableAndConfigFileCredentials) {
  env_["AWS_PROFILE"] = "ci";
  write("config",
        "[default]\nregion = us-west-2\n[profile ci]\naws_access_key_id = CIKEY\n"
        "aws_secret_access_key = cisecret\nendpoint_url = http://minio:9000/\n");
  S3Settings s = resolve("s3://bucket", {});
  EXPECT_EQ(s.credentials.access_key_id, "CIKEY");
  EXPECT_EQ(s.endpoint, "http://minio:9000");
  EXPECT_TRUE(s.path_style);
  EXPECT_EQ(s.region, "us-east-1");  // profile ci sets none; default's region is not inherited
}

TEST_F(S3SettingsTest, RegionAndEndpointOrder) {
  env_["AWS_ACCESS_KEY_ID"] = "K";
  env_["AWS_SECRET_ACCESS_KEY"] = "S";
  env_["AWS_DEFAULT_REGION"] = "ap-south-1";
  env_["AWS_ENDPOINT_URL"] = "127.0.0.1:4568";
  S3Settings s = resolve("s3://bucket", {});
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.endpoint, "https://127.0.0.1:4568");
  env_["AWS_REGION"] = "eu-north-1";
  EXPECT_EQ(resolve("s3://bucket", {}).region, "eu-north-1");
  S3Settings o = resolve("s3://bucket", {{"region", "sa-east-1"}, {"endpointurl", "http://h:1"}});
  EXPECT_EQ(o.region, "sa-east-1");
  EXPECT_EQ(o.endpoint, "http://h:1");
}

TEST_F(S3SettingsTest, ErrorsNameTheRemoteAndNeverTheSecret) {
  try {
    resolve("s3://bucket", {{"access_key_id", "ONLYKEY"}});
    FAIL() << "one half of a key pair was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("remote 'store'"), std::string::npos) << e.what();
  }
  try {
    resolve("s3://bucket", {});
    FAIL() << "no credentials was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve("s3:///nobucket", {}), Error);
  EXPECT_THROW(resolve("s3://b", {{"profile", "absent"}}), Error);
}

}  // namespace
}  // namespace plinth::storage
