#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/values.h"

namespace plinth::experiments {

// One `-S` entry, `[file:]key=value` in Hydra's override grammar as DVC takes it:
// `key=value` changes an existing key, `+key=value` adds a new one, `++key=value` sets it
// either way, `~key` deletes it. The value is typed as YAML types it ("0.1" a float, "'0.1'"
// a string, "[1, 2]" a list); an empty value is the empty string.
struct ParamOverride {
  enum class Op { kSet, kAdd, kUpsert, kDelete };
  std::string entry;  // as the user wrote it, for messages
  std::string file;   // "params.yaml" unless given
  std::string key;    // dotted path
  Op op = Op::kSet;
  pipeline::Value value;
};

// Throws Error(kInvalidInput) naming the entry and what is wrong with it.
ParamOverride parse_override(const std::string& entry);

// Applies `-S` entries to the params files under `root`, all or nothing: every entry is checked
// (the file exists and is YAML or JSON, the key exists unless added) before any file is
// written. YAML files keep their comments and layout where a scalar replaces a scalar; other
// changes rewrite the file in DVC's (ruamel's) block style. Throws Error(kInvalidInput) naming
// the entry, file and key at fault.
void apply_overrides(const std::filesystem::path& root, const std::vector<std::string>& entries);

}  // namespace plinth::experiments
