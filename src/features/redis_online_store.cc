// The Redis online store: one string per (project, view, entity key) holding the record's
// event time (16 hex digits, so that Lua compares times as strings) and its encoded row.
// Batches are written by one Lua script, which Redis runs atomically; aggregation state is
// updated with WATCH/MULTI/EXEC.

#include <hiredis/hiredis.h>

#include <cstdio>
#include <mutex>

#include "core/error.h"
#include "features/online_store.h"

namespace plinth::features {

namespace {

// Event times as 16 hex digits ordered like the signed times they encode.
std::string time_prefix(int64_t ts) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(ts) ^ (1ull << 63)));
  return b;
}

int64_t parse_time_prefix(std::string_view s) {
  uint64_t v = 0;
  for (char c : s.substr(0, 16)) v = v * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  return static_cast<int64_t>(v ^ (1ull << 63));
}

// KEYS: the n record keys, then the meta hash. ARGV: ttl seconds (0: none), the n values,
// then name/value pairs for the meta hash.
constexpr const char* kWriteScript = R"lua(
local n = #KEYS - 1
local ttl = tonumber(ARGV[1])
local changed = 0
for i = 1, n do
  local new = ARGV[i + 1]
  local old = redis.call('GET', KEYS[i])
  if (not old) or string.sub(new, 1, 16) > string.sub(old, 1, 16) then
    if ttl > 0 then redis.call('SET', KEYS[i], new, 'EX', ttl) else redis.call('SET', KEYS[i], new) end
    changed = changed + 1
  end
end
for j = n + 2, #ARGV, 2 do redis.call('HSET', KEYS[n + 1], ARGV[j], ARGV[j + 1]) end
return changed
)lua";

struct Reply {
  redisReply* r = nullptr;
  explicit Reply(void* p) : r(static_cast<redisReply*>(p)) {}
  ~Reply() {
    if (r) freeReplyObject(r);
  }
  Reply(Reply&& other) noexcept : r(other.r) { other.r = nullptr; }
  Reply(const Reply&) = delete;
};

struct Endpoint {
  std::string host = "localhost";
  int port = 6379;
  int db = 0;
  std::string password;
};

Endpoint parse_connection_string(const std::string& text) {
  Endpoint e;
  size_t begin = 0;
  bool first = true;
  while (begin <= text.size()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(begin, end - begin);
    begin = end + 1;
    if (first) {
      first = false;
      size_t colon = part.rfind(':');
      e.host = part.substr(0, colon);
      if (colon != std::string::npos) {
        try {
          e.port = std::stoi(part.substr(colon + 1));
        } catch (const std::exception&) {
          throw Error(ErrorCode::kInvalidInput,
                      "online_store.connection_string '" + text +
                          "': the port is not a number; write host:port, e.g. localhost:6379");
        }
      }
      continue;
    }
    size_t eq = part.find('=');
    std::string key = part.substr(0, eq),
                value = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (key == "db")
      e.db = std::atoi(value.c_str());
    else if (key == "password")
      e.password = value;
    else if (key == "ssl" && value == "true")
      throw Error(ErrorCode::kInvalidInput, "online_store.connection_string '" + text +
                                                "': ssl=true is not supported; use a TLS proxy "
                                                "such as stunnel in front of Redis");
  }
  return e;
}

class RedisStore : public OnlineStore {
 public:
  RedisStore(const std::string& connection_string, std::string project, std::optional<int64_t> ttl)
      : text_(connection_string),
        endpoint_(parse_connection_string(connection_string)),
        project_(std::move(project)),
        ttl_(ttl.value_or(0)) {
    try {
      release(acquire());
    } catch (const StoreUnavailable& e) {
      throw Error(ErrorCode::kIo, std::string(e.what()) +
                                      "; start Redis or fix online_store.connection_string "
                                      "in feature_store.yaml");
    }
  }

  ~RedisStore() override {
    for (auto* c : idle_) redisFree(c);
  }

  std::string describe() const override { return "redis (" + text_ + ")"; }

  size_t write(const std::string& view, const std::vector<OnlineRecord>& records,
               const std::vector<std::pair<std::string, std::string>>& meta) override {
    std::vector<std::string> args = {"EVAL", kWriteScript, std::to_string(records.size() + 1)};
    args.reserve(records.size() * 2 + meta.size() * 2 + 5);
    for (const auto& r : records) args.push_back(key(view, r.key));
    args.push_back(meta_key());
    args.push_back(std::to_string(ttl_));
    for (const auto& r : records) args.push_back(time_prefix(r.event_ts) + r.value);
    for (const auto& [name, value] : meta) {
      args.push_back(name);
      args.push_back(value);
    }
    redisContext* c = acquire();
    Reply reply = command(c, args);
    release(c);
    return static_cast<size_t>(reply.r->integer);
  }

  std::vector<std::optional<OnlineRecord>> read(const std::string& view,
                                                const std::vector<std::string>& keys) override {
    std::vector<std::optional<OnlineRecord>> out(keys.size());
    if (keys.empty()) return out;
    std::vector<std::string> args = {"MGET"};
    for (const auto& k : keys) args.push_back(key(view, k));
    redisContext* c = acquire();
    Reply reply = command(c, args);
    release(c);
    for (size_t i = 0; i < keys.size() && i < reply.r->elements; ++i) {
      redisReply* e = reply.r->element[i];
      if (e->type != REDIS_REPLY_STRING || e->len < 16) continue;
      std::string_view s(e->str, e->len);
      out[i] = OnlineRecord{keys[i], parse_time_prefix(s), std::string(s.substr(16))};
    }
    return out;
  }

  void update(const std::string& view, const std::string& record_key,
              const Change& change) override {
    std::string k = key(view, record_key);
    redisContext* c = acquire();
    for (;;) {
      command(c, {"WATCH", k});
      Reply got = command(c, {"GET", k});
      std::optional<OnlineRecord> current;
      if (got.r->type == REDIS_REPLY_STRING && got.r->len >= 16) {
        std::string_view s(got.r->str, got.r->len);
        current = OnlineRecord{record_key, parse_time_prefix(s), std::string(s.substr(16))};
      }
      auto next = change(current);
      if (!next) {
        command(c, {"UNWATCH"});
        break;
      }
      command(c, {"MULTI"});
      std::string value = time_prefix(next->event_ts) + next->value;
      if (ttl_ > 0)
        command(c, {"SET", k, value, "EX", std::to_string(ttl_)});
      else
        command(c, {"SET", k, value});
      Reply done = command(c, {"EXEC"});
      if (done.r->type != REDIS_REPLY_NIL) break;  // nil: the key changed meanwhile; retry
    }
    release(c);
  }

  std::optional<std::string> get_meta(const std::string& name) override {
    redisContext* c = acquire();
    Reply r = command(c, {"HGET", meta_key(), name});
    release(c);
    if (r.r->type != REDIS_REPLY_STRING) return std::nullopt;
    return std::string(r.r->str, r.r->len);
  }

  bool healthy() override {
    try {
      redisContext* c = acquire();
      command(c, {"PING"});
      release(c);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  std::string key(const std::string& view, const std::string& entity) const {
    return project_ + ":" + view + ":" + entity;
  }
  std::string meta_key() const { return project_ + ":plinth_meta"; }

  redisContext* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    timeval connect_timeout{2, 0};
    redisContext* c =
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_timeout);
    if (!c || c->err) {
      std::string why = c ? c->errstr : "out of memory";
      if (c) redisFree(c);
      throw StoreUnavailable("cannot connect to Redis at " + text_ + ": " + why);
    }
    timeval io_timeout{5, 0};
    redisSetTimeout(c, io_timeout);
    if (!endpoint_.password.empty()) command(c, {"AUTH", endpoint_.password});
    if (endpoint_.db != 0) command(c, {"SELECT", std::to_string(endpoint_.db)});
    return c;
  }

  void release(redisContext* c) {
    std::lock_guard lock(mutex_);
    idle_.push_back(c);
  }

  // Runs one command. A broken connection is closed (the next acquire reconnects) and reported
  // as StoreUnavailable; an error reply as Error(kIo).
  Reply command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    Reply r(redisCommandArgv(c, int(args.size()), argv.data(), lengths.data()));
    if (!r.r) {
      std::string why = c->errstr;
      redisFree(c);
      throw StoreUnavailable("Redis at " + text_ + " is unavailable: " + why);
    }
    if (r.r->type == REDIS_REPLY_ERROR) {
      std::string why(r.r->str, r.r->len);
      release(c);
      throw Error(ErrorCode::kIo, "Redis at " + text_ + " refused " + args[0] + ": " + why);
    }
    return r;
  }

  std::string text_;
  Endpoint endpoint_;
  std::string project_;
  int64_t ttl_;
  std::mutex mutex_;
  std::vector<redisContext*> idle_;
};

}  // namespace

std::unique_ptr<OnlineStore> open_redis_store(const std::string& connection_string,
                                              const std::string& project,
                                              std::optional<int64_t> key_ttl_seconds) {
  return std::make_unique<RedisStore>(connection_string, project, key_ttl_seconds);
}

}  // namespace plinth::features
