#pragma once

// `plinth features serve`: Feast's feature server over HTTP (spec feature-store.md §2.7) —
// POST /get-online-features, POST /push, GET /health — plus Prometheus /metrics.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "features/definitions.h"
#include "features/online_store.h"
#include "http/server.h"

namespace plinth::features {

class FeatureServer {
 public:
  FeatureServer(FeatureStoreConfig config, Registry registry, std::unique_ptr<OnlineStore> store);

  // Thread-safe. Errors become JSON bodies {"detail": "..."}: 4xx naming the field or value
  // at fault, 503 while the online store is unreachable.
  http::ServerResponse handle(const http::ServerRequest& request);

 private:
  http::ServerResponse get_online_features(const http::ServerRequest& request);
  http::ServerResponse push(const http::ServerRequest& request);
  http::ServerResponse metrics() const;
  void record(const std::string& route, int status, double seconds);

  FeatureStoreConfig config_;
  Registry registry_;
  std::unique_ptr<OnlineStore> store_;
  std::mutex offline_mutex_;  // pushes to an offline file are appended one at a time

  mutable std::mutex metrics_mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, std::pair<double, uint64_t>> latency_;  // route -> (sum, count)
  std::map<std::string, std::vector<uint64_t>> buckets_;        // route -> cumulative counts
  std::map<std::pair<std::string, std::string>, uint64_t> pushed_rows_;  // (source, to)
  std::atomic<uint64_t> entity_rows_{0};
};

}  // namespace plinth::features
