#pragma once

#include <string>

namespace plinth::tracking {

// Throws Error(kInvalidInput) with MLflow's message unless `name` is a valid metric, param or
// tag key: alphanumerics and `_ - . space : /`, at most 250 characters, not a path that
// normalises elsewhere (no leading '/', no '..' or '.' segments).
void validate_key(const std::string& name);

// A fresh random id of 32 lowercase hex digits (the shape of uuid4().hex).
std::string random_hex_id();

// "adjective-animal-NNN", as MLflow names runs nobody named.
std::string random_run_name();

}  // namespace plinth::tracking
