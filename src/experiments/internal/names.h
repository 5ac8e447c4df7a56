#pragma once

#include <string>

namespace plinth::experiments::internal {

// A name like DVC generates for an unnamed experiment: "adjective-noun" from DVC's word lists.
// Thread-safe; the caller checks it is not taken.
std::string random_experiment_name();

}  // namespace plinth::experiments::internal
