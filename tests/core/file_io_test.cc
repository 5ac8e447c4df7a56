#include "core/file_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"

namespace plinth::core {
namespace {
namespace fs = std::filesystem;

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plinth_io_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    set_fault_hook(nullptr);
    fs::remove_all(dir_);
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  fs::path dir_;
};

TEST_F(FileIoTest, AtomicWriteReplacesContent) {
  write_file_atomic(dir_ / "f", "old");
  write_file_atomic(dir_ / "f", "new content");
  EXPECT_EQ(read_file(dir_ / "f"), "new content");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FileIoTest, AtomicWriteMakesMissingFolders) {
  write_file_atomic(dir_ / "a" / "b" / "f", "x");
  EXPECT_EQ(read_file(dir_ / "a" / "b" / "f"), "x");
  EXPECT_EQ(fs::directory_iterator(dir_ / "a" / "b")->path().filename(), "f");
}

TEST_F(FileIoTest, AtomicWriteFailureNamesTheTarget) {
  write_file_atomic(dir_ / "plain", "x");
  try {
    write_file_atomic(dir_ / "plain" / "f", "y");  // a file where a folder should be
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "plain" / "f").string() + "'"), std::string::npos)
        << e.what();
  }
}

// A failure at any step leaves the old file untouched and no temporary behind.
TEST_F(FileIoTest, FailureAtAnyStepKeepsOldFile) {
  for (FsOp failing : {FsOp::kCreate, FsOp::kWrite, FsOp::kFsync, FsOp::kRename}) {
    write_file_atomic(dir_ / "f", "old");
    set_fault_hook([failing](FsOp op, const fs::path& p) {
      if (op == failing) throw Error(ErrorCode::kIo, "injected failure at " + p.string());
    });
    EXPECT_THROW(write_file_atomic(dir_ / "f", "new"), Error);
    set_fault_hook(nullptr);
    EXPECT_EQ(read_file(dir_ / "f"), "old") << "op " << static_cast<int>(failing);
    EXPECT_EQ(entries(), 1u) << "a temporary file was left behind";
  }
}

TEST_F(FileIoTest, UncommittedAtomicFileVanishes) {
  {
    AtomicFile f(dir_ / "never");
    f.write("partial");
  }
  EXPECT_FALSE(fs::exists(dir_ / "never"));
  EXPECT_EQ(entries(), 0u);
}

TEST_F(FileIoTest, CommitAppliesMode) {
  AtomicFile f(dir_ / "ro");
  f.write("x");
  f.commit(0444);
  EXPECT_EQ(fs::status(dir_ / "ro").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
}

TEST_F(FileIoTest, ReadMissingFileNamesIt) {
  try {
    read_file(dir_ / "missing.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace plinth::core
