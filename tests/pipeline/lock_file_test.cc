#include "pipeline/lock_file.h"

#include <gtest/gtest.h>

#include "core/hash.h"

namespace plinth::pipeline {
namespace {

LockedPath file(const std::string& path, const std::string& content) {
  return {path, core::md5_hex(content), static_cast<int64_t>(content.size()), {}, false, false};
}

// Exact bytes from DVC's tests/func/test_run.py (spec dvc-format.md §3.3).
TEST(LockFile, WritesDvcExactBytes) {
  StageLock stage;
  stage.cmd = "mycmd";
  stage.deps = {file("remote://workspace/foo", "foo")};
  stage.outs = {file("remote://workspace/bar", "bar")};
  LockFile lock;
  lock.set("mystage", stage);
  EXPECT_EQ(lock.serialize(),
            "schema: '2.0'\n"
            "stages:\n"
            "  mystage:\n"
            "    cmd: mycmd\n"
            "    deps:\n"
            "    - path: remote://workspace/foo\n"
            "      hash: md5\n"
            "      md5: acbd18db4cc2f85cedef654fccc4a4d8\n"
            "      size: 3\n"
            "    outs:\n"
            "    - path: remote://workspace/bar\n"
            "      hash: md5\n"
            "      md5: 37b51d194a7513e45b56f6524f2d51f2\n"
            "      size: 3\n");
  EXPECT_EQ(LockFile::parse(lock.serialize(), "dvc.lock").serialize(), lock.serialize());
}

TEST(LockFile, ParamsKeepTypesAndNestedValuesInBlockStyle) {
  StageLock stage;
  stage.cmd = Value::array({"a", "b"});
  stage.params.emplace_back(
      "params.yaml",
      Value::parse(R"({"lorem.ipsum": {"lorem1": 1, "lorem2": [0.1, "x"]}, "lr": 1e-05,
                      "name": "007", "on": true})"));
  stage.outs = {{"dir", "5ea40360f5b4ec688df672a4db9c17d1.dir", 6, 2, false, false}};
  EXPECT_EQ(stage.serialize(4),
            "    cmd:\n"
            "    - a\n"
            "    - b\n"
            "    params:\n"
            "      params.yaml:\n"
            "        lorem.ipsum:\n"
            "          lorem1: 1\n"
            "          lorem2:\n"
            "          - 0.1\n"
            "          - x\n"
            "        lr: 1e-05\n"
            "        name: '007'\n"
            "        on: true\n"
            "    outs:\n"
            "    - path: dir\n"
            "      hash: md5\n"
            "      md5: 5ea40360f5b4ec688df672a4db9c17d1.dir\n"
            "      size: 6\n"
            "      nfiles: 2\n");
}

// Spec §6 V12 (dvc tests/unit/stage/test_cache.py::test_stage_cache).
TEST(RunCache, KeyAndValueMatchDvcVector) {
  StageLock stage;
  stage.cmd = "python script.py";
  stage.deps = {file("dep", "dep"), file("script.py", "open(\"out\", \"w+\").write(\"out\"); ")};
  stage.outs = {file("out", "out")};
  EXPECT_EQ(run_cache_key(stage),
            "c7a85d71de1912c43d9c5b6218c71630d6277e8fc11e4ccf5e12b3c202234838");
  EXPECT_EQ(run_cache_value(stage),
            "5e2824029f8da9ef6c57131a638ceb65f27c02f16c85d71e85671c27daed0501");
}

}  // namespace
}  // namespace plinth::pipeline
