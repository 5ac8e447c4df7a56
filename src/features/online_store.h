#pragma once

// The online store: the latest feature row per entity key of each feature view, for serving.
// One interface, two backends: SQLite (embedded, the default) and Redis.
//
// A store holds opaque records (an event time and the row's encoded values, see online_row.h)
// under (view, entity key). Every backend applies the same write rule: a record replaces the
// stored one only when its event time is STRICTLY newer, so an old backfill never overwrites
// fresher values and replaying a batch is a no-op. A batch is written atomically (one SQLite
// transaction, one Redis script): a reader, or a process killed mid-write, never sees half of
// one.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "features/definitions.h"

namespace plinth::features {

struct OnlineRecord {
  std::string key;       // the entity key (entity_key() of the join-key values)
  int64_t event_ts = 0;  // UTC nanoseconds
  std::string value;     // the encoded row (online_row.h) or aggregation state
};

// The store cannot be reached (Redis down): the feature server answers 503 and retries later.
class StoreUnavailable : public Error {
 public:
  explicit StoreUnavailable(std::string message) : Error(ErrorCode::kIo, std::move(message)) {}
};

class OnlineStore {
 public:
  virtual ~OnlineStore() = default;

  // "sqlite (path)" or "redis (host:port)", for messages.
  virtual std::string describe() const = 0;

  // Writes `records` of `view` atomically, each only where it is strictly newer than the
  // stored one. `meta` (name -> value), when given, is stored in the same transaction
  // (materialization progress). Returns how many records replaced or created a stored one.
  virtual size_t write(const std::string& view, const std::vector<OnlineRecord>& records,
                       const std::vector<std::pair<std::string, std::string>>& meta = {}) = 0;

  // The stored records of `keys` (same order; nullopt where there is none).
  virtual std::vector<std::optional<OnlineRecord>> read(const std::string& view,
                                                        const std::vector<std::string>& keys) = 0;

  // Atomically replaces the record of (view, key) by `change(current)` (which may be called
  // more than once under contention; nullopt leaves the record unchanged). For aggregation
  // state, which is read, updated and written back.
  using Change = std::function<std::optional<OnlineRecord>(const std::optional<OnlineRecord>&)>;
  virtual void update(const std::string& view, const std::string& key, const Change& change) = 0;

  // Small named values kept with the store (materialization progress and intervals), written
  // by write()'s `meta`.
  virtual std::optional<std::string> get_meta(const std::string& name) = 0;

  // Whether the backend answers now (for /health). Never throws.
  virtual bool healthy() = 0;
};

// Opens the store feature_store.yaml configures for `project`. SQLite creates its file;
// Redis connects (Error(kIo) naming the connection string and saying to start Redis when it
// is not reachable) and reconnects by itself after Redis went away.
std::unique_ptr<OnlineStore> open_online_store(const OnlineStoreConfig& config,
                                               const std::string& project);

std::unique_ptr<OnlineStore> open_sqlite_store(const std::filesystem::path& path,
                                               const std::string& project);
std::unique_ptr<OnlineStore> open_redis_store(const std::string& connection_string,
                                              const std::string& project,
                                              std::optional<int64_t> key_ttl_seconds);

}  // namespace plinth::features
