#include "repo/yaml_scalar.h"

#include <gtest/gtest.h>

namespace plinth::repo {
namespace {

struct Vector {
  const char* text;
  int column;  // -1: as a mapping key
  int indent;
  const char* expected;
};

// What ruamel.yaml writes through DVC's own YAML writer, for strings chosen to hit each style
// and folding rule, and for random ones: a `cmd:` value (column 9, continued at 6), a `.dvc`
// file's `path:` (8, 4), a list item (6, 6) and a key.
const Vector kVectors[] = {
#include "yaml_scalar_vectors.inc"
};

TEST(YamlScalar, WritesStringsAsRuamelDoes) {
  for (const auto& v : kVectors) {
    std::string got = v.column < 0 ? yaml_key(v.text) : yaml_scalar(v.text, v.column, v.indent);
    EXPECT_EQ(got, v.expected) << "text: " << v.text << " at column " << v.column;
  }
}

TEST(YamlScalar, CountsColumnsInCharacters) {
  EXPECT_EQ(yaml_width("caf\xc3\xa9"), 4);
  EXPECT_EQ(yaml_width("\xf0\x9f\x98\x80"), 1);
}

}  // namespace
}  // namespace plinth::repo
