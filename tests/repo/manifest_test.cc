#include "repo/manifest.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/hash.h"

namespace plinth::repo {
namespace {

std::string dir_oid(std::vector<ManifestEntry> entries) {
  return core::md5_hex(serialize_manifest(entries)) + ".dir";
}

// Directory hashes DVC's own tests assert (spec dvc-format.md §6).
TEST(Manifest, DvcPublishedDirectoryHashes) {
  const std::string foo = core::md5_hex("foo"), bar = core::md5_hex("bar");
  EXPECT_EQ(dir_oid({{"foo", foo}, {"bar", bar}}), "5ea40360f5b4ec688df672a4db9c17d1.dir");  // V3
  EXPECT_EQ(dir_oid({{"1", core::md5_hex("1")}, {"2", core::md5_hex("2")}}),
            "5fb6b29836c388e093ca0715c872fe2a.dir");  // V7
  EXPECT_EQ(dir_oid({{"subdir/file2", core::md5_hex("text2")}, {"file", core::md5_hex("text1")}}),
            "cb58ee07cb01044db229e4d6121a0dfc.dir");  // V8
  EXPECT_EQ(dir_oid({{"file", core::md5_hex("text")}}), "0dab3fae569586d4c33272e5011605bf.dir");
  EXPECT_EQ(dir_oid({}), "d751713988987e9331980363e24189ce.dir");
}

TEST(Manifest, ExactBytesOfDvcDataFixture) {
  // V17: dvc-data tests/index/conftest.py stores exactly these bytes.
  std::vector<ManifestEntry> entries = {{"baz", "258622b1688250cb619f3c9ccaefb7eb"},
                                        {"bar", "c157a79031e1c40f85931829bc5fc552"}};
  std::string bytes = serialize_manifest(entries);
  EXPECT_EQ(bytes, R"([{"md5": "c157a79031e1c40f85931829bc5fc552", "relpath": "bar"}, )"
                   R"({"md5": "258622b1688250cb619f3c9ccaefb7eb", "relpath": "baz"}])");
  EXPECT_EQ(core::md5_hex(bytes), "1f69c66028c35037e8bf67e5bc4ceb6a");
}

TEST(Manifest, SortsLikePythonStrings) {
  // '/' (0x2f) sorts after '-' and '.', before '0'.
  std::vector<ManifestEntry> entries = {{"a0", "x"},  {"a/b", "x"},      {"a.b", "x"},
                                        {"a-b", "x"}, {"\xc3\xa9", "x"}, {"z", "x"}};
  serialize_manifest(entries);
  std::vector<std::string> order;
  for (const auto& e : entries) order.push_back(e.relpath);
  EXPECT_EQ(order, (std::vector<std::string>{"a-b", "a.b", "a/b", "a0", "z", "\xc3\xa9"}));
}

TEST(Manifest, ParsesWhatItWritesAndAcceptsExtraKeys) {
  std::vector<ManifestEntry> entries = {{"b", "2"}, {"a", "1"}};
  std::string bytes = serialize_manifest(entries);
  EXPECT_EQ(parse_manifest(bytes, "x.dir"), entries);
  auto extra = parse_manifest(R"([{"md5": "1", "relpath": "a", "size": 3, "isexec": true}])", "y");
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_EQ(extra[0].relpath, "a");
}

TEST(Manifest, ParsesOtherSpellingsOfTheSameList) {
  // Escapes, non-ASCII, other spacing and key order: what any JSON writer may produce.
  std::vector<ManifestEntry> want = {{"a\"b", "1"}, {"\xc3\xa9", "2"}, {"c", "3"}};
  EXPECT_EQ(
      parse_manifest(R"([{"md5": "1", "relpath": "a\"b"}, {"md5": "2", "relpath": "\u00e9"}, )"
                     R"({"relpath":"c","md5":"3"}])",
                     "x.dir"),
      want);
  EXPECT_EQ(parse_manifest("[]", "x.dir"), std::vector<ManifestEntry>{});
  EXPECT_EQ(parse_manifest(" [ ] ", "x.dir"), std::vector<ManifestEntry>{});
}

TEST(Manifest, CorruptedManifestIsReportedWithItsName) {
  for (const char* bad :
       {"not json", "{}", R"([{"md5": "1"}])", R"([{"md5": "1", "relpath": "a"}, ])",
        R"([{"md5": "1", "relpath": "a"}{"md5": "2", "relpath": "b"}])",
        R"([{"md5": "1", "relpath": "a"})", R"([{"md5": "1", "relpath": "a\xff"}])",
        "[{\"md5\": \"1\", \"relpath\": \"a\xff\"}]"}) {
    try {
      parse_manifest(bad, "cache/ab/cd.dir");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorrupted);
      EXPECT_NE(std::string(e.what()).find("cache/ab/cd.dir"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace plinth::repo
