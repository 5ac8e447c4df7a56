#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "monitor/drift.h"
#include "monitor/stattests.h"

namespace plinth::monitor {

// Drift of current data against a model package's reference profile (profile.json, see
// docs/models.md) instead of raw reference data. The profile's frozen bins are reused: numeric
// columns are binned on the reference's Sturges edges plus an overflow bin at each end, so a
// value outside the training range counts as drift; categorical columns compare category
// frequencies, an unseen category included.
//
// Tests: by default Jensen-Shannon on the frozen bins for numeric columns (raw reference values
// are not in a profile, so the exact tests Evidently picks for numbers cannot run), and
// Evidently's choice for categorical columns (z, chi-square or Jensen-Shannon by reference
// size). --stattest may choose jensenshannon, psi, kl_div, hellinger or chisquare for any
// column, and z for a categorical one.
struct ProfiledColumn {
  std::string name;
  nlohmann::json profile;  // one entry of profile.json's "inputs" (or its "prediction")
};

// `current` holds the same columns in the same order as `reference`. Throws Error naming the
// column for a profile it cannot read, a type that disagrees, or a test that needs raw data.
DriftReport drift_against_profile(const std::vector<ProfiledColumn>& reference,
                                  const std::vector<ColumnSample>& current,
                                  const DriftOptions& options);

// Building blocks shared with live drift in serving.
// Whether a profile entry is numeric (else categorical); throws for anything else.
bool profile_is_numeric(const ProfiledColumn& column);
// Non-missing rows the profile was made from.
size_t reference_rows(const ProfiledColumn& column);
// A numeric profile's bin edges, checked against its counts (one per bin plus two overflow).
std::vector<double> profile_edges(const ProfiledColumn& column);
// The bucket of `v` for `edges`: 0 below the first edge, edges.size() above the last, else
// the bin (the last one closed).
size_t bucket_of(const std::vector<double>& edges, double v);
// One column's verdict from reference and current counts over the same buckets.
ColumnDrift binned_drift(const std::string& name, bool numeric, size_t reference_rows,
                         const CategoryCounts& counts, const DriftOptions& options);

}  // namespace plinth::monitor
