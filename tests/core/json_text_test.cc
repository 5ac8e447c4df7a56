#include "core/json_text.h"

#include <gtest/gtest.h>

namespace plinth::core {
namespace {

// Expected strings printed by Python 3's json.dumps for the same input.
TEST(PythonJsonQuote, MatchesPythonJsonDumps) {
  EXPECT_EQ(python_json_quote("plain"), R"("plain")");
  EXPECT_EQ(python_json_quote("q\"b\\s"), R"("q\"b\\s")");
  EXPECT_EQ(python_json_quote("a\nb\tc\r\b\f"), R"("a\nb\tc\r\b\f")");
  EXPECT_EQ(python_json_quote("caf\xc3\xa9"), R"("caf\u00e9")");
  EXPECT_EQ(python_json_quote("\xf0\x9f\x98\x80x"), R"("\ud83d\ude00x")");
  EXPECT_EQ(python_json_quote("\x01\x7f"), R"("\u0001\u007f")");
  EXPECT_EQ(python_json_quote("/slash/"), R"("/slash/")");
}

TEST(PythonJsonQuote, InvalidUtf8AsSurrogateEscape) {
  // json.dumps(b"a\xffb".decode("utf-8", "surrogateescape"))
  EXPECT_EQ(python_json_quote("a\xff"
                              "b"),
            R"("a\udcffb")");
  EXPECT_EQ(python_json_quote("\xc3"), R"("\udcc3")");  // truncated sequence
}

}  // namespace
}  // namespace plinth::core
