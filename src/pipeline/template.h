#pragma once

#include <string>

#include "pipeline/values.h"

namespace plinth::pipeline {

// `${...}` interpolation (spec dvc-format.md §3.2) against a context of variables.
class TemplateContext {
 public:
  // Merges `vars` into the context; redefining a scalar that is already set is an error
  // (reported with `source`). Maps merge recursively.
  void merge(const Value& vars, const std::string& source);
  // Sets a local variable (foreach's item/key), shadowing any global of that name.
  void set_local(const std::string& name, const Value& value);
  const Value& vars() const { return vars_; }

  // Resolves a YAML node: every string scalar with `${expr}` is interpolated. A scalar that is
  // exactly one `${expr}` keeps the value's type. In `cmd` (is_cmd) a map expands to
  // `--key value` arguments. `where` ("dvc.yaml:12: stage 'train', key 'cmd'") prefixes
  // errors, which say which variable is undefined and where to define it.
  Value resolve(const YAML::Node& node, const std::string& where, bool is_cmd = false) const;
  Value resolve_string(const std::string& text, const std::string& where,
                       bool is_cmd = false) const;

 private:
  Value lookup(const std::string& expr, const std::string& where) const;
  Value vars_ = Value::object();
};

}  // namespace plinth::pipeline
