#include "repo/pointer_file.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::repo {
namespace {

// Exact bytes from DVC's test_add.py / test_install.py (spec dvc-format.md §2.2).
TEST(PointerFile, WritesDvcExactBytesForFileAndDirectory) {
  PointerFile file;
  Output foo;
  foo.path = "foo";
  foo.md5 = "acbd18db4cc2f85cedef654fccc4a4d8";
  foo.size = 3;
  file.outs = {foo};
  EXPECT_EQ(file.serialize(),
            "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: "
            "foo\n");

  PointerFile dir;
  Output data;
  data.path = "data";
  data.md5 = "5ea40360f5b4ec688df672a4db9c17d1.dir";
  data.size = 6;
  data.nfiles = 2;
  dir.outs = {data};
  EXPECT_EQ(dir.serialize(),
            "outs:\n- md5: 5ea40360f5b4ec688df672a4db9c17d1.dir\n  size: 6\n  nfiles: 2\n  "
            "hash: md5\n  path: data\n");
}

TEST(PointerFile, RoundTripsAnnotationsLegacyOutputsAndImportStages) {
  const std::string import_stage =
      "md5: 7033ee831f78a4dfec2fc71405516067\n"
      "frozen: true\n"
      "outs:\n"
      "- md5: b6dcab6ccd17ca0a8bf4a215a37d14cc.dir\n"
      "  size: 11\n"
      "  nfiles: 2\n"
      "  hash: md5\n"
      "  path: dir\n";
  EXPECT_EQ(PointerFile::parse(import_stage, "dir.dvc").serialize(), import_stage);

  const std::string annotated =
      "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  isexec: true\n  hash: "
      "md5\n  path: run.sh\n  desc: launcher\n  remote: backup\n  push: false\n";
  PointerFile pf = PointerFile::parse(annotated, "run.sh.dvc");
  EXPECT_TRUE(pf.outs[0].isexec);
  EXPECT_EQ(pf.serialize(), annotated);

  // A DVC 2.x output has no `hash: md5` and must be written back without one.
  const std::string legacy =
      "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  path: foo\n";
  PointerFile old = PointerFile::parse(legacy, "foo.dvc");
  EXPECT_TRUE(old.outs[0].legacy);
  EXPECT_EQ(old.serialize(), legacy);
}

// DVC 3.67.1 re-adding f.txt whose .dvc file has a long one-line desc folds it at 80 columns.
TEST(PointerFile, FoldsLongAnnotationsAsDvcRewritesThem) {
  PointerFile pf = PointerFile::parse(
      "outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  hash: md5\n  path: f.txt\n"
      "  desc: a long description of this file that goes on and on past the eighty column "
      "limit of ruamel\n  meta: 12\n",
      "f.txt.dvc");
  EXPECT_EQ(pf.serialize(),
            "outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  hash: md5\n  path: "
            "f.txt\n  desc: a long description of this file that goes on and on past the eighty "
            "\n    column limit of ruamel\n  meta: 12\n");
}

void expect_error(const std::string& text, const std::string& needle) {
  try {
    PointerFile::parse(text, "broken.dvc");
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
    std::string msg = e.what();
    EXPECT_NE(msg.find("broken.dvc"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  }
}

TEST(PointerFile, BadInputNamesFileAndProblem) {
  expect_error("outs:\n- md5: [unclosed\n", "broken.dvc:");
  expect_error("just a string\n", "mapping");
  expect_error("meta: 1\n", "no 'outs'");
  expect_error("outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n", "no 'path'");
  expect_error("outs:\n- md5: xyz\n  path: foo\n", "xyz");
  expect_error("outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: big\n  path: f\n", "size");
  expect_error("outs:\n- path: f\n  hash: sha1\n", "sha1");
  expect_error("bogus: 1\nouts:\n- path: f\n", "bogus");
}

TEST(PointerFile, OutputWithoutHashParsesAsUnhashed) {
  PointerFile pf = PointerFile::parse("outs:\n- path: f\n", "f.dvc");
  EXPECT_TRUE(pf.outs[0].md5.empty());
  EXPECT_FALSE(pf.outs[0].legacy);
}

}  // namespace
}  // namespace plinth::repo
