#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace plinth::server::internal {

// A tolerant reader of the GraphQL documents the W&B SDK sends (spec wandb-protocol.md §1.3).
// Debian packages no C++ GraphQL library, and the SDK's documents are fixed per version, so
// this reads only what a dispatcher needs: the operation's kind and name and its top-level
// fields with their aliases and arguments (variables substituted). Nested selections,
// directives and fragments are skipped, not executed: answers are canned supersets, which the
// clients accept because they ignore fields they did not ask for.
struct GraphqlField {
  std::string alias;  // the response key: the alias, or the name when there is none
  std::string name;
  nlohmann::json args = nlohmann::json::object();
};

struct GraphqlOperation {
  std::string kind;  // "query", "mutation" or "subscription"
  std::string name;  // "" for an anonymous operation
  std::vector<GraphqlField> fields;
};

// The operation named `operation_name` in `document` (the first when the name is empty), with
// `$variables` taken from `variables` (absent ones are null). Throws Error(kInvalidInput)
// naming the position when the document cannot be read.
GraphqlOperation parse_graphql(const std::string& document, const std::string& operation_name,
                               const nlohmann::json& variables);

}  // namespace plinth::server::internal
