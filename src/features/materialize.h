#pragma once

// Materialization (spec feature-store.md §2.4): the latest row per entity key of each online
// feature view, among source rows with start <= event time <= end, written to the online store
// in batches. Each batch is one atomic write that also records how far the view got, so a run
// killed midway leaves whole batches only and the same command resumes where it stopped. The
// strictly-newer rule makes a replayed batch a no-op.

#include <cstdint>
#include <string>
#include <vector>

#include "features/definitions.h"
#include "features/online_store.h"

namespace plinth::features {

struct MaterializeOptions {
  std::vector<std::string> views;  // empty: every online view
  size_t batch_size = 10'000;      // entities per atomic write
};

struct MaterializedView {
  std::string view;
  int64_t start = 0, end = 0;
  size_t rows_read = 0;        // source rows in the window
  size_t entities = 0;         // distinct entity keys among them
  size_t written = 0;          // records that replaced an older stored one or were new
  size_t resumed_batches = 0;  // batches an earlier, interrupted run had already written
};

std::vector<MaterializedView> materialize(const FeatureStoreConfig& config,
                                          const Registry& registry, OnlineStore& store,
                                          int64_t start, int64_t end,
                                          const MaterializeOptions& options);

// Per view from the end of its last materialized interval (or now - ttl, or now - 52 weeks
// for a view without ttl, when never materialized) to `end`.
std::vector<MaterializedView> materialize_incremental(const FeatureStoreConfig& config,
                                                      const Registry& registry, OnlineStore& store,
                                                      int64_t end, int64_t now,
                                                      const MaterializeOptions& options);

// The intervals materialized into the store for `view`, oldest first.
std::vector<std::pair<int64_t, int64_t>> materialized_intervals(OnlineStore& store,
                                                                const std::string& view);

}  // namespace plinth::features
