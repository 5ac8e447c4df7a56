// -S overrides: Hydra's grammar as DVC takes it, edits that keep the user's YAML, and errors
// that name what is wrong before anything is written.
#include "experiments/set_params.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/random_id.h"

namespace plinth::experiments {
namespace {
namespace fs = std::filesystem;

class SetParams : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("set-params-" + core::random_hex(8));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    core::write_file_atomic(dir_ / name, text);
  }
  std::string read(const std::string& name) { return core::read_file(dir_ / name); }
  std::string error_of(const std::vector<std::string>& entries) {
    try {
      apply_overrides(dir_, entries);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST(ParseOverride, FileOpAndTypedValue) {
  auto o = parse_override("conf/p.yaml:+train.opt.name='0.1'");
  EXPECT_EQ(o.file, "conf/p.yaml");
  EXPECT_EQ(o.key, "train.opt.name");
  EXPECT_EQ(o.op, ParamOverride::Op::kAdd);
  EXPECT_EQ(o.value, "0.1");  // quoted: a string
  EXPECT_EQ(parse_override("train.lr=0.1").value.type(), pipeline::Value::value_t::number_float);
  EXPECT_EQ(parse_override("a=[1, 2]").value, pipeline::Value::parse("[1, 2]"));
  EXPECT_EQ(parse_override("a=").value, "");
  EXPECT_EQ(parse_override("~a.b").op, ParamOverride::Op::kDelete);
  EXPECT_EQ(parse_override("++a=1").op, ParamOverride::Op::kUpsert);
  EXPECT_EQ(parse_override("a=x:y").file, "params.yaml");  // the ':' is in the value
}

TEST(ParseOverride, MalformedEntriesSayWhatIsWrong) {
  auto message = [](const std::string& entry) -> std::string {
    try {
      parse_override(entry);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("train.lr").find("expected [file:]section.param=value"), std::string::npos);
  EXPECT_NE(message("=1").find("param name before '=' is empty"), std::string::npos);
  EXPECT_NE(message("a..b=1").find("is not a param name"), std::string::npos);
  EXPECT_NE(message("lr=0.1,0.2").find("list of choices"), std::string::npos);
  EXPECT_NE(message("lr=[1, 2").find("is not a valid value"), std::string::npos);
  EXPECT_NE(message(":lr=1").find("file before ':' is empty"), std::string::npos);
}

TEST_F(SetParams, ScalarEditsKeepCommentsAndLayout) {
  write("params.yaml",
        "# training\ntrain:\n  lr: 0.1  # learning rate\n  name: 'base'\n  layers: [8, 4]\nseed: "
        "1\n");
  apply_overrides(dir_, {"train.lr=0.25", "train.name=big model", "seed=2"});
  EXPECT_EQ(read("params.yaml"),
            "# training\ntrain:\n  lr: 0.25  # learning rate\n  name: big model\n  layers: [8, "
            "4]\nseed: 2\n");
}

TEST_F(SetParams, AddsDeletesAndRewritesInDvcStyle) {
  write("params.yaml", "train:\n  lr: 0.1\n  layers: [8, 4]\n");
  apply_overrides(dir_, {"+train.dropout=0.5", "train.layers=[16]", "~train.lr"});
  EXPECT_EQ(read("params.yaml"), "train:\n  layers:\n  - 16\n  dropout: 0.5\n");
}

TEST_F(SetParams, JsonFilesAsPythonWritesThem) {
  write("p.json", "{\"a\": {\"b\": 1}, \"c\": \"x\"}");
  apply_overrides(dir_, {"p.json:a.b=2.5"});
  EXPECT_EQ(read("p.json"), "{\"a\": {\"b\": 2.5}, \"c\": \"x\"}");
}

TEST_F(SetParams, BadEntriesNameTheFileAndKeyAndWriteNothing) {
  write("params.yaml", "train:\n  lr: 0.1\n");
  EXPECT_NE(error_of({"train.lr=0.2", "nope.yaml:a=1"}).find("'nope.yaml' does not exist"),
            std::string::npos);
  EXPECT_NE(error_of({"train.lrr=0.2"}).find("'train.lrr' is not a key of params.yaml"),
            std::string::npos);
  EXPECT_NE(error_of({"+train.lr=0.2"}).find("already in params.yaml"), std::string::npos);
  EXPECT_NE(error_of({"train.lr.x=1"}).find("'train.lr' in params.yaml is a value"),
            std::string::npos);
  write("p.toml", "a = 1\n");
  EXPECT_NE(error_of({"p.toml:a=2"}).find("not a YAML or JSON file"), std::string::npos);
  EXPECT_EQ(read("params.yaml"), "train:\n  lr: 0.1\n");
}

}  // namespace
}  // namespace plinth::experiments
