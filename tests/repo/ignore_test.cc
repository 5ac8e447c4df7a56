#include "repo/ignore.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

namespace {

namespace fs = std::filesystem;

// The fixture takes the suite name `IgnoreRules`, so the class under test goes by an alias.
using Rules = plinth::repo::IgnoreRules;

class IgnoreRules : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("plinth-ignore-" + std::to_string(std::random_device{}()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Writes `text` to `rel` below the root, creating parent directories.
  void write(const std::string& rel, const std::string& text) {
    fs::path path = root_ / rel;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  void mkdir(const std::string& rel) { fs::create_directories(root_ / rel); }

  fs::path root_;
};

TEST_F(IgnoreRules, NothingIgnoredWithoutDvcignore) {
  Rules rules(root_);
  EXPECT_FALSE(rules.is_ignored("", true));
  EXPECT_FALSE(rules.is_ignored("a.txt", false));
  EXPECT_FALSE(rules.is_ignored("a", true));
  EXPECT_FALSE(rules.is_ignored("a/b/c.txt", false));
  EXPECT_FALSE(rules.is_ignored(".dvcignore", false));
}

TEST_F(IgnoreRules, VcsAndDvcDirectoriesAlwaysIgnored) {
  mkdir(".dvc");
  mkdir(".git");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored(".git", true));
  EXPECT_TRUE(rules.is_ignored(".git/config", false));
  EXPECT_TRUE(rules.is_ignored(".dvc", true));
  EXPECT_TRUE(rules.is_ignored(".dvc/config", false));
  EXPECT_TRUE(rules.is_ignored(".dvc/cache/files/md5/ab", true));
  EXPECT_TRUE(rules.is_ignored(".hg", true));
  EXPECT_TRUE(rules.is_ignored("data/.git", true));
  EXPECT_TRUE(rules.is_ignored("data/.hg/store/x", false));
  EXPECT_TRUE(rules.is_ignored("data/deep/.dvc/tmp/lock", false));
  // DVC's built-in `.git` pattern has no trailing slash, unlike `.hg/` and `.dvc/`.
  EXPECT_TRUE(rules.is_ignored("sub/.git", false));
  EXPECT_FALSE(rules.is_ignored("sub/.hg", false));
  EXPECT_FALSE(rules.is_ignored("sub/.dvc", false));
  EXPECT_FALSE(rules.is_ignored(".github", true));
  EXPECT_FALSE(rules.is_ignored("x.dvc", false));
}

TEST_F(IgnoreRules, BuiltInsCannotBeNegated) {
  write(".dvcignore", "!.git\n!.dvc/\n!.hg/\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored(".git", true));
  EXPECT_TRUE(rules.is_ignored(".dvc", true));
  EXPECT_TRUE(rules.is_ignored(".hg", true));
}

TEST_F(IgnoreRules, SubRepositoryDirectoryIgnored) {
  mkdir(".dvc");
  mkdir("nested/repo/.dvc");
  Rules rules(root_);
  EXPECT_FALSE(rules.is_ignored("nested", true));
  EXPECT_TRUE(rules.is_ignored("nested/repo", true));
  EXPECT_TRUE(rules.is_ignored("nested/repo/data.csv", false));
  EXPECT_TRUE(rules.is_ignored("nested/repo/sub/data.csv", false));
  EXPECT_FALSE(rules.is_ignored("nested/other.csv", false));
  EXPECT_FALSE(rules.is_ignored("top.csv", false));  // the root's own .dvc does not count
}

TEST_F(IgnoreRules, BasenamePatternMatchesAtAnyDepth) {
  write(".dvcignore", "*.log\nfoo\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("a.log", false));
  EXPECT_TRUE(rules.is_ignored("x/y/b.log", false));
  EXPECT_TRUE(rules.is_ignored("logs.log", true));
  EXPECT_TRUE(rules.is_ignored("foo", false));
  EXPECT_TRUE(rules.is_ignored("foo", true));
  EXPECT_TRUE(rules.is_ignored("x/foo", false));
  EXPECT_TRUE(rules.is_ignored("x/foo/bar.txt", false));
  EXPECT_FALSE(rules.is_ignored("foobar", false));
  EXPECT_FALSE(rules.is_ignored("a.log.txt", false));
  EXPECT_FALSE(rules.is_ignored("x/y/b.txt", false));
}

TEST_F(IgnoreRules, SlashAnchorsPattern) {
  write(".dvcignore", "/top.txt\nsub/inner.txt\ndata/*.csv\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("top.txt", false));
  EXPECT_FALSE(rules.is_ignored("x/top.txt", false));
  EXPECT_TRUE(rules.is_ignored("sub/inner.txt", false));
  EXPECT_FALSE(rules.is_ignored("x/sub/inner.txt", false));
  EXPECT_TRUE(rules.is_ignored("data/a.csv", false));
  EXPECT_FALSE(rules.is_ignored("data/deep/a.csv", false));  // `*` does not cross `/`
  EXPECT_FALSE(rules.is_ignored("x/data/a.csv", false));
}

TEST_F(IgnoreRules, TrailingSlashMatchesOnlyDirectories) {
  write(".dvcignore", "build/\n/out/\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("build", true));
  EXPECT_TRUE(rules.is_ignored("src/build", true));
  EXPECT_FALSE(rules.is_ignored("build", false));
  EXPECT_FALSE(rules.is_ignored("src/build", false));
  EXPECT_TRUE(rules.is_ignored("build/a.o", false));
  EXPECT_TRUE(rules.is_ignored("out", true));
  EXPECT_FALSE(rules.is_ignored("out", false));
  EXPECT_FALSE(rules.is_ignored("x/out", true));
}

TEST_F(IgnoreRules, NegationLastMatchWins) {
  write(".dvcignore", "*.txt\n!keep.txt\n");
  write("rev/.dvcignore", "!keep.bin\n*.bin\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("a.txt", false));
  EXPECT_FALSE(rules.is_ignored("keep.txt", false));
  EXPECT_FALSE(rules.is_ignored("d/keep.txt", false));
  EXPECT_TRUE(rules.is_ignored("rev/keep.bin", false));
  EXPECT_TRUE(rules.is_ignored("rev/other.bin", false));
}

TEST_F(IgnoreRules, NegationCannotReincludeInsideIgnoredDirectory) {
  write(".dvcignore", "data/\n!data/keep.txt\nraw\n!raw/keep.txt\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("data", true));
  EXPECT_TRUE(rules.is_ignored("data/keep.txt", false));
  EXPECT_TRUE(rules.is_ignored("raw/keep.txt", false));
}

TEST_F(IgnoreRules, NegatedDirectoryReincludesItsContents) {
  // DVC matches `!keep/` as the regex `keep/.*` against the whole path, so it wins over an
  // earlier `*.csv` for every file below keep/ (git would still ignore them).
  write(".dvcignore", "*.csv\n!keep/\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("a.csv", false));
  EXPECT_TRUE(rules.is_ignored("other/a.csv", false));
  EXPECT_FALSE(rules.is_ignored("keep/a.csv", false));
  EXPECT_FALSE(rules.is_ignored("keep/deep/a.csv", false));
}

TEST_F(IgnoreRules, DoubleAsterisk) {
  write(".dvcignore", "**/cache\na/**/z.txt\nlogs/**\n**/tmp/*.o\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("cache", true));
  EXPECT_TRUE(rules.is_ignored("p/q/cache", false));
  EXPECT_TRUE(rules.is_ignored("a/z.txt", false));
  EXPECT_TRUE(rules.is_ignored("a/b/z.txt", false));
  EXPECT_TRUE(rules.is_ignored("a/b/c/z.txt", false));
  EXPECT_FALSE(rules.is_ignored("b/a/z.txt", false));
  EXPECT_FALSE(rules.is_ignored("a/b/z.txt.bak", false));
  EXPECT_TRUE(rules.is_ignored("logs/x", false));
  EXPECT_TRUE(rules.is_ignored("logs/a/b", false));
  // pathspec compiles `logs/**` to `^logs/.*$` and DVC also tries "logs/" for a directory.
  EXPECT_TRUE(rules.is_ignored("logs", true));
  EXPECT_FALSE(rules.is_ignored("logs", false));
  EXPECT_FALSE(rules.is_ignored("x/logs/y", false));
  EXPECT_TRUE(rules.is_ignored("tmp/a.o", false));
  EXPECT_TRUE(rules.is_ignored("s/t/tmp/a.o", false));
  EXPECT_FALSE(rules.is_ignored("s/tmp/u/a.o", false));
}

TEST_F(IgnoreRules, DoubleAsteriskRunsCollapse) {
  write(".dvcignore", "x/**/**/y\n");
  write("all/.dvcignore", "**/**\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("x/y", false));
  EXPECT_TRUE(rules.is_ignored("x/p/q/y", false));
  EXPECT_TRUE(rules.is_ignored("all/file", false));
  EXPECT_TRUE(rules.is_ignored("all/d", true));
}

TEST_F(IgnoreRules, AnyDirectoryPatternAtRootAndNested) {
  write(".dvcignore", "**/\n");
  write("keep/.dvcignore", "!*\n");
  Rules rules(root_);
  EXPECT_FALSE(rules.is_ignored("top.txt", false));
  EXPECT_TRUE(rules.is_ignored("d", true));
  EXPECT_TRUE(rules.is_ignored("d/f.txt", false));

  // DVC rewrites a nested `**/` to `/<dir>/**/`, which also covers the files directly inside.
  fs::remove(root_ / ".dvcignore");
  write("sub/.dvcignore", "**/\n");
  Rules nested(root_);
  EXPECT_FALSE(nested.is_ignored("sub", true));
  EXPECT_TRUE(nested.is_ignored("sub/f.txt", false));
  EXPECT_TRUE(nested.is_ignored("sub/d", true));
  EXPECT_FALSE(nested.is_ignored("f.txt", false));
}

TEST_F(IgnoreRules, WildcardsAndCharacterClasses) {
  write(".dvcignore", "file[0-9].dat\nx[!a-c].bin\n[]]q\n?.tmp\nab[\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("file3.dat", false));
  EXPECT_FALSE(rules.is_ignored("filea.dat", false));
  EXPECT_FALSE(rules.is_ignored("file10.dat", false));
  EXPECT_TRUE(rules.is_ignored("xd.bin", false));
  EXPECT_FALSE(rules.is_ignored("xa.bin", false));
  EXPECT_FALSE(rules.is_ignored("xc.bin", false));
  EXPECT_TRUE(rules.is_ignored("]q", false));
  EXPECT_TRUE(rules.is_ignored("a.tmp", false));
  EXPECT_TRUE(rules.is_ignored("\xc3\xa9.tmp", false));  // one code point, two bytes
  EXPECT_FALSE(rules.is_ignored("ab.tmp", false));
  EXPECT_FALSE(rules.is_ignored(".tmp", false));
  EXPECT_TRUE(rules.is_ignored("ab[", false));  // an unclosed `[` is literal
}

TEST_F(IgnoreRules, StarDoesNotMatchSlash) {
  write(".dvcignore", "a*z\ndocs/*\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("az", false));
  EXPECT_TRUE(rules.is_ignored("abcz", false));
  EXPECT_TRUE(rules.is_ignored("docs/x", false));
  EXPECT_TRUE(rules.is_ignored("docs/x/y", false));
  EXPECT_FALSE(rules.is_ignored("docs", true));
  EXPECT_FALSE(rules.is_ignored("a/z", false));
}

TEST_F(IgnoreRules, CommentsBlankLinesEscapesAndWhitespace) {
  write(".dvcignore",
        "# a comment\n"
        "\n"
        "   \n"
        "   # indented comment\n"
        "\\#notes\n"
        "\\!bang\n"
        "  spaced.txt  \t\n"
        "crlf.txt\r\n"
        "lone_cr.txt\rnext.txt\n"
        "lit\\*star\n"
        "trailing\\\n");
  Rules rules(root_);
  EXPECT_FALSE(rules.is_ignored("# a comment", false));
  EXPECT_FALSE(rules.is_ignored("a comment", false));
  EXPECT_FALSE(rules.is_ignored("# indented comment", false));
  EXPECT_TRUE(rules.is_ignored("#notes", false));
  EXPECT_TRUE(rules.is_ignored("!bang", false));
  EXPECT_FALSE(rules.is_ignored("bang", false));
  EXPECT_TRUE(rules.is_ignored("spaced.txt", false));
  EXPECT_TRUE(rules.is_ignored("crlf.txt", false));
  EXPECT_TRUE(rules.is_ignored("lone_cr.txt", false));
  EXPECT_TRUE(rules.is_ignored("next.txt", false));
  EXPECT_TRUE(rules.is_ignored("lit*star", false));
  EXPECT_FALSE(rules.is_ignored("litXstar", false));
  EXPECT_FALSE(rules.is_ignored("trailing", false));
  EXPECT_FALSE(rules.is_ignored("trailing\\", false));
}

TEST_F(IgnoreRules, NestedDvcignoreIsRelativeToItsDirectory) {
  write(".dvcignore", "*.tmp\n");
  write("sub/.dvcignore", "!keep.tmp\n/anchored.txt\nbase.txt\nlocal/\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("sub/a.tmp", false));
  EXPECT_FALSE(rules.is_ignored("sub/keep.tmp", false));
  EXPECT_FALSE(rules.is_ignored("sub/x/keep.tmp", false));
  EXPECT_TRUE(rules.is_ignored("other/keep.tmp", false));
  EXPECT_TRUE(rules.is_ignored("keep.tmp", false));
  EXPECT_TRUE(rules.is_ignored("sub/anchored.txt", false));
  EXPECT_FALSE(rules.is_ignored("sub/x/anchored.txt", false));
  EXPECT_FALSE(rules.is_ignored("anchored.txt", false));
  EXPECT_TRUE(rules.is_ignored("sub/x/y/base.txt", false));
  EXPECT_FALSE(rules.is_ignored("base.txt", false));
  EXPECT_FALSE(rules.is_ignored("subx/base.txt", false));
  EXPECT_TRUE(rules.is_ignored("sub/local", true));
  EXPECT_TRUE(rules.is_ignored("sub/x/local/f", false));
  EXPECT_FALSE(rules.is_ignored("local", true));
}

TEST_F(IgnoreRules, DeeperDvcignoreOverridesParent) {
  write(".dvcignore", "!*.keep\n");
  write("a/.dvcignore", "*.keep\n");
  write("a/b/.dvcignore", "!special.keep\n");
  Rules rules(root_);
  EXPECT_FALSE(rules.is_ignored("x.keep", false));
  EXPECT_TRUE(rules.is_ignored("a/x.keep", false));
  EXPECT_TRUE(rules.is_ignored("a/b/x.keep", false));
  EXPECT_FALSE(rules.is_ignored("a/b/special.keep", false));
  EXPECT_TRUE(rules.is_ignored("a/special.keep", false));
}

TEST_F(IgnoreRules, DvcignoreInsideIgnoredPlacesIsNotRead) {
  write(".dvcignore", "ignored/\nhidden/.dvcignore\n");
  write("ignored/.dvcignore", "!*\n");
  write("hidden/.dvcignore", "*.txt\n");
  Rules rules(root_);
  EXPECT_TRUE(rules.is_ignored("ignored/a.txt", false));
  EXPECT_TRUE(rules.is_ignored("ignored/sub", true));
  EXPECT_TRUE(rules.is_ignored("hidden/.dvcignore", false));
  EXPECT_FALSE(rules.is_ignored("hidden/a.txt", false));
}

TEST_F(IgnoreRules, AnswersStayConsistentAcrossDirectories) {
  // Exercises the per-directory memo: alternate between directories and repeat questions.
  write(".dvcignore", "*.bak\n");
  write("b/.dvcignore", "*.txt\n");
  Rules rules(root_);
  for (int round = 0; round < 3; ++round) {
    EXPECT_FALSE(rules.is_ignored("a/x.txt", false));
    EXPECT_TRUE(rules.is_ignored("b/x.txt", false));
    EXPECT_TRUE(rules.is_ignored("a/x.bak", false));
    EXPECT_FALSE(rules.is_ignored("x.txt", false));
    EXPECT_TRUE(rules.is_ignored("b/c/x.txt", false));
    EXPECT_FALSE(rules.is_ignored("b", true));
  }
}

}  // namespace
