#include "server/internal/graphql.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace plinth::server::internal {
namespace {

using nlohmann::json;

// The documents below are the shapes the W&B SDK sends (spec wandb-protocol.md §1.3-1.4):
// genqlient's named operations with variables, the old Python client's anonymous queries,
// aliases, fragments and directives.

TEST(Graphql, MutationWithInputObjectOfVariables) {
  std::string doc = R"(
mutation UpsertBucket ($id: String, $name: String, $project: String, $tags: [String!]) {
	upsertBucket(input: {id:$id,name:$name,modelName:$project,tags:$tags,state:"running"}) {
		bucket { id project { entity { name } } }
		inserted
	}
})";
  json vars = {{"name", "abc123"}, {"project", "fraud"}, {"tags", {"a", "b"}}};
  auto op = parse_graphql(doc, "UpsertBucket", vars);
  EXPECT_EQ(op.kind, "mutation");
  EXPECT_EQ(op.name, "UpsertBucket");
  ASSERT_EQ(op.fields.size(), 1u);
  EXPECT_EQ(op.fields[0].name, "upsertBucket");
  EXPECT_EQ(op.fields[0].args["input"], json({{"id", nullptr},
                                              {"name", "abc123"},
                                              {"modelName", "fraud"},
                                              {"tags", {"a", "b"}},
                                              {"state", "running"}}));
}

TEST(Graphql, AnonymousQueryAliasesFragmentsAndDirectives) {
  std::string doc = R"(
# the old Python client: no operationName in the body
query ProbeServerCapabilities {
  QueryType: __type(name: "Query") { ...fieldData }
  ServerInfoType: __type(name: "ServerInfo") { ...fieldData @include(if: true) }
  viewer { id, flags }
}
fragment fieldData on __Type { fields { name } }
)";
  auto op = parse_graphql(doc, "", json::object());
  EXPECT_EQ(op.name, "ProbeServerCapabilities");
  ASSERT_EQ(op.fields.size(), 3u);
  EXPECT_EQ(op.fields[0].alias, "QueryType");
  EXPECT_EQ(op.fields[0].name, "__type");
  EXPECT_EQ(op.fields[0].args["name"], "Query");
  EXPECT_EQ(op.fields[1].alias, "ServerInfoType");
  EXPECT_EQ(op.fields[2].alias, "viewer");

  auto shorthand = parse_graphql("{ viewer { id } }", "", nullptr);
  EXPECT_EQ(shorthand.kind, "query");
  EXPECT_EQ(shorthand.fields.at(0).name, "viewer");
}

TEST(Graphql, PicksTheNamedOperationAndReadsLiterals) {
  std::string doc = R"(
fragment F on Artifact { id }
query A { a }
mutation B { b(n: -1.5e2, on: true, e: MANIFEST_MD5, s: "x\"y", l: [1, 2]) { ...F } })";
  auto op = parse_graphql(doc, "B", json::object());
  EXPECT_EQ(op.kind, "mutation");
  EXPECT_EQ(
      op.fields.at(0).args,
      json({{"n", -150.0}, {"on", true}, {"e", "MANIFEST_MD5"}, {"s", "x\"y"}, {"l", {1, 2}}}));
  EXPECT_EQ(parse_graphql(doc, "", json::object()).name, "A");
}

TEST(Graphql, UnreadableDocumentsSayWhere) {
  for (std::string doc : {"query { viewer { id }", "{ viewer(x: ) }", "subscriptio { a }",
                          "query Q { a(s: \"open) }", ""}) {
    SCOPED_TRACE(doc);
    EXPECT_THROW(parse_graphql(doc, "", json::object()), Error);
  }
  try {
    parse_graphql("query A { a }", "B", json::object());
    FAIL() << "no error for a missing operation";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no operation named 'B'"), std::string::npos);
  }
}

}  // namespace
}  // namespace plinth::server::internal
