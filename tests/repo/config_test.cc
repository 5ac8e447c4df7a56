#include "repo/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::repo {
namespace {
namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plinth_config_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

// Exact bytes from DVC's test_config.py (spec dvc-format.md §4.1).
TEST_F(ConfigTest, WritesConfigObjFormat) {
  ConfigFile config = ConfigFile::load(dir_ / "config");
  config.set("core", "no_scm", "True");
  config.set("remote \"remote-name\"", "url", "s3://bucket/dvc");
  config.set("remote \"remote-name\"", "ssl_verify", "False");
  EXPECT_EQ(config.serialize(),
            "[core]\n    no_scm = True\n['remote \"remote-name\"']\n    url = "
            "s3://bucket/dvc\n    ssl_verify = False\n");
}

// `dvc remote add zz /x; dvc remote add aa /y; dvc config cache.type copy; dvc remote default
// aa; dvc config core.autostage true` (DVC 3.67.1): named sections always come last.
TEST_F(ConfigTest, WritesNamedSectionsAfterTheOthersAsDvcDoes) {
  ConfigFile config = ConfigFile::load(dir_ / "config");
  config.set("remote \"zz\"", "url", "/x");
  config.set("remote \"aa\"", "url", "/y");
  config.set("cache", "type", "copy");
  config.set("core", "remote", "aa");
  config.set("core", "autostage", "true");
  EXPECT_EQ(config.serialize(),
            "[cache]\n    type = copy\n[core]\n    remote = aa\n    autostage = true\n"
            "['remote \"zz\"']\n    url = /x\n['remote \"aa\"']\n    url = /y\n");
}

TEST_F(ConfigTest, ReadsBothSectionSpellingsAndLowercasesKeys) {
  write("config",
        "[Core]\n  Remote = Origin\n[remote \"a\"]\nurl = /x\n['remote \"b\"']\n    url = "
        "'/y'\n# comment\n");
  ConfigFile config = ConfigFile::load(dir_ / "config");
  EXPECT_EQ(config.get("core", "remote"), "Origin");
  EXPECT_EQ(config.get("remote \"a\"", "url"), "/x");
  EXPECT_EQ(config.get("remote \"b\"", "url"), "/y");
  EXPECT_FALSE(config.get("core", "missing"));
}

TEST_F(ConfigTest, LocalOverridesRepoAndRoundTrips) {
  write("config", "[cache]\n    type = hardlink,copy\n[core]\n    no_scm = True\n");
  write("config.local", "[cache]\n    type = copy\n");
  Config config = Config::load(dir_);
  EXPECT_EQ(config.get("cache", "type"), "copy");
  EXPECT_TRUE(config.get_bool("core", "no_scm", false));
  EXPECT_EQ(config.source_of("cache", "type"), dir_ / "config.local");
  ConfigFile repo = ConfigFile::load(dir_ / "config");
  EXPECT_EQ(repo.serialize(), core::read_file(dir_ / "config"));
  EXPECT_TRUE(repo.unset("core", "no_scm"));
  EXPECT_EQ(repo.serialize(), "[cache]\n    type = hardlink,copy\n");
}

TEST_F(ConfigTest, SyntaxErrorsNameFileAndLine) {
  write("config", "[core]\n    no_scm = True\nwhat is this\n");
  try {
    ConfigFile::load(dir_ / "config");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config:3"), std::string::npos) << e.what();
  }
  write("config", "[core]\n    no_scm = maybe\n");
  EXPECT_THROW(Config::load(dir_).get_bool("core", "no_scm", false), Error);
}

}  // namespace
}  // namespace plinth::repo
