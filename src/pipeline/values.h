#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace plinth::pipeline {

// A parameter, metric or template value as DVC sees it: YAML/JSON types, map keys in file
// order.
using Value = nlohmann::ordered_json;

// A YAML node with its scalars typed as ruamel.yaml (YAML 1.2 core schema) types them: quoted
// scalars stay strings; plain ones become null, bool, int or float where they read as such.
Value yaml_to_value(const YAML::Node& node);

// Parses a params or metrics file by its extension: `.json` as JSON, anything else as YAML.
// Throws Error(kInvalidInput) naming `name` (and the line for YAML) when it does not parse.
Value parse_structured(const std::string& text, const std::string& name);

// The value at a dotted key path ("train.lr", "layers.0"), or nullopt.
std::optional<Value> lookup_dotted(const Value& root, const std::string& dotted);

// Python's repr() of a float: shortest text that reads back exactly, "1.0", "1e-05", "inf".
std::string python_float_repr(double v);

// Python's str() of a value as DVC prints it in tables: "0.1", "True", "[1, 2]".
std::string python_str(const Value& v);

// Python's json.dumps(v, sort_keys=True) text, which DVC hashes (spec dvc-format.md §1.5).
std::string python_json_sorted(const Value& v);

// `v` as a YAML value in ruamel.yaml's block style, for a mapping entry "key: v" whose key is
// at column `indent` and whose ':' ends at `column`: scalars and empty collections stay on the
// key's line (" value", long strings folded as ruamel folds them), maps and lists continue on
// the next lines. The returned text starts right after "key:".
std::string yaml_block_value(const Value& v, int indent, int column);

}  // namespace plinth::pipeline
