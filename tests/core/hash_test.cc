#include "core/hash.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::core {
namespace {
namespace fs = std::filesystem;

class HashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plinth_hash_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

// DVC's published hashes (spec dvc-format.md §6, V1, V2, V17).
TEST_F(HashTest, MatchesDvcPublishedFileHashes) {
  EXPECT_EQ(md5_file(write("foo", "foo")), "acbd18db4cc2f85cedef654fccc4a4d8");
  EXPECT_EQ(md5_file(write("bar", "bar")), "37b51d194a7513e45b56f6524f2d51f2");
  EXPECT_EQ(md5_file(write("data", "data")), "8d777f385d3dfec8815d20f7496026dc");
  EXPECT_EQ(md5_file(write("1", "1")), "c4ca4238a0b923820dcc509a6f75849b");
  EXPECT_EQ(md5_file(write("foo_nl", "foo\n")), "d3b07384d113edec49eaa6238ad5ff00");
  EXPECT_EQ(md5_file(write("empty", "")), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_F(HashTest, LargeFileStreamsAcrossChunksLikeOneShotHash) {
  std::string big(3 * (1 << 20) + 12345, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  EXPECT_EQ(md5_file(write("big", big)), md5_hex(big));
}

// Small files copy inline; from 8 MiB a writer thread takes whole chunks (O_DIRECT where the
// filesystem allows) and the unaligned tail separately.
class CopyTest : public HashTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(CopyTest, CopyWritesExactlyTheHashedBytes) {
  std::string content(GetParam(), '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + (i >> 12));
  fs::path src = write("src", content);
  int fd = ::open((dir_ / "dst").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  size_t reported = 0;
  std::string md5 = md5_copy(src, fd, [&](size_t n) { reported += n; });
  ::close(fd);
  EXPECT_EQ(md5, md5_hex(content));
  EXPECT_EQ(read_file(dir_ / "dst"), content);
  EXPECT_EQ(reported, content.size());
}

INSTANTIATE_TEST_SUITE_P(Sizes, CopyTest,
                         ::testing::Values(0, 4 + (2 << 20), 9 << 20, (9 << 20) + 123));

TEST_F(HashTest, Dos2unixNormalisesTextButNotBinary) {
  // Spec §6: md5-dos2unix("a\r\nb\r\nc") == md5("a\nb\nc").
  EXPECT_EQ(md5_dos2unix_file(write("crlf", "a\r\nb\r\nc")), "c32b2057b9bd62caa835386346177935");
  std::string binary = std::string("\0\r\n", 3);
  EXPECT_EQ(md5_dos2unix_file(write("bin", binary)), md5_hex(binary));
}

TEST_F(HashTest, MissingFileNamesThePath) {
  try {
    md5_file(dir_ / "nope");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace plinth::core
