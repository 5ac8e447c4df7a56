// Tracking server benchmark (docs/benchmarks.md): log-batch ingestion in metric points per
// second with concurrent clients, and runs/search latency over many runs. The peer is the same
// Store called in-process on a fresh SQLite database, so the ratio is what HTTP and JSON cost.
// Any server speaking MLflow's REST API can be measured (bench/mlflow.sh runs it against the
// reference `mlflow server` too).
//
//   tracking_bench URL [--clients 8] [--requests 40] [--runs 10000] [--inprocess-db PATH]
//                      [--ingest-only]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "tracking/store.h"

using nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace tr = plinth::tracking;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

json post(plinth::http::Client& client, const std::string& url, const std::string& body) {
  plinth::http::Request req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/json"}};
  req.body.data = body;
  auto res = client.send(req);
  if (res.status != 200)
    throw std::runtime_error(url + " answered HTTP " + std::to_string(res.status) + ": " +
                             res.body.substr(0, 500));
  return json::parse(res.body);
}

std::string batch_body(const std::string& run_id, int client, int request, int points) {
  json metrics = json::array();
  for (int i = 0; i < points; ++i)
    metrics.push_back({{"key", "m" + std::to_string(i % 10)},
                       {"value", i * 0.001},
                       {"timestamp", 1700000000000 + request},
                       {"step", client * 1000000 + request * points + i}});
  return json{{"run_id", run_id}, {"metrics", metrics}}.dump();
}

// Runs fn(client) on `clients` threads and returns the wall time; the first error a thread
// throws is thrown again once all have finished.
template <typename F>
double in_parallel(int clients, F fn) {
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::exception_ptr error;
  std::mutex error_mutex;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      try {
        fn(c);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return seconds_since(start);
}

const char* const kUsage =
    "usage: tracking_bench URL [--clients N] [--requests N] [--runs N] [--inprocess-db PATH]\n"
    "                      [--ingest-only]\n"
    "Benchmarks an MLflow-compatible tracking server at URL (e.g. http://127.0.0.1:5000):\n"
    "  log-batch ingestion: N clients (8) each post N requests (40) of 1,000 metrics\n"
    "  runs/search latency over N runs (10000) it creates first (skipped with --ingest-only)\n"
    "  --inprocess-db PATH  also times the same ingestion into plinth's Store in-process on a\n"
    "                       fresh SQLite database at PATH (the cost of HTTP and JSON)\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "tracking_bench: %s\n%s", what.c_str(), kUsage);
  return 2;
}

// A positive count from the command line, or -1.
int count_arg(const char* s) {
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  return *s && !*end && v > 0 && v <= 1000000000 ? int(v) : -1;
}

int run(int argc, char** argv) {
  if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc < 2 || argv[1][0] == '-') return usage_error("the first argument must be the URL");
  std::string api = std::string(argv[1]) + "/api/2.0/mlflow";
  int clients = 8, requests = 40, runs = 10000;
  bool ingest_only = false;
  std::string inprocess_db;
  for (int i = 2; i < argc; ++i) {
    std::string opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (opt == "--ingest-only") {
      ingest_only = true;
      continue;
    }
    if (i + 1 >= argc) return usage_error(opt + " needs a value");
    const char* value = argv[++i];
    int* count = opt == "--clients"    ? &clients
                 : opt == "--requests" ? &requests
                 : opt == "--runs"     ? &runs
                                       : nullptr;
    if (count) {
      if ((*count = count_arg(value)) < 0)
        return usage_error(opt + " must be a positive whole number, not '" + value + "'");
    } else if (opt == "--inprocess-db") {
      inprocess_db = value;
    } else {
      return usage_error("unknown option '" + opt + "'");
    }
  }
  const int points = 1000;

  // (a) Ingestion: each client posts `requests` batches of 1,000 metrics to its own run.
  plinth::http::Client setup;
  std::string exp = post(setup, api + "/experiments/create",
                         json{{"name", "bench-" + std::to_string(std::time(nullptr))}}.dump())
                        .at("experiment_id");
  std::vector<std::string> run_ids;
  std::vector<std::vector<std::string>> bodies(clients);
  for (int c = 0; c < clients; ++c) {
    run_ids.push_back(post(setup, api + "/runs/create", json{{"experiment_id", exp}}.dump())
                          .at("run")
                          .at("info")
                          .at("run_id"));
    for (int r = 0; r < requests; ++r) bodies[c].push_back(batch_body(run_ids[c], c, r, points));
  }
  double http_s = in_parallel(clients, [&](int c) {
    plinth::http::Client client;
    for (const auto& body : bodies[c]) post(client, api + "/runs/log-batch", body);
  });
  double total = double(clients) * requests * points;
  double http_rate = total / http_s;
  std::printf(
      "log-batch over HTTP: %d clients x %d requests x %d points in %.2f s = %.0f points/s\n",
      clients, requests, points, http_s, http_rate);

  if (!inprocess_db.empty()) {
    auto db = tr::open_database("sqlite:///" + inprocess_db);
    auto store = tr::make_store(*db, "mlflow-artifacts:");
    std::vector<std::string> ids;
    for (int c = 0; c < clients; ++c) ids.push_back(store->create_run({}).info.run_id);
    double direct_s = in_parallel(clients, [&](int c) {
      for (int r = 0; r < requests; ++r) {
        std::vector<tr::Metric> batch;
        for (int i = 0; i < points; ++i)
          batch.push_back({"m" + std::to_string(i % 10), i * 0.001, 1700000000000 + r,
                           c * 1000000 + r * points + i, "", "", ""});
        store->log_batch(ids[c], batch, {}, {});
      }
    });
    double direct_rate = total / direct_s;
    std::printf(
        "peer, the same Store in-process on SQLite: %.0f points/s; HTTP reaches %.2fx of it\n",
        direct_rate, http_rate / direct_rate);
  }
  if (ingest_only) return 0;

  // (b) Search latency over `runs` runs, each with a metric, a param and a tag.
  std::atomic<int> next{0};
  double create_s = in_parallel(clients, [&](int) {
    plinth::http::Client client;
    for (int i; (i = next++) < runs;) {
      std::string id = post(client, api + "/runs/create",
                            json{{"experiment_id", exp},
                                 {"run_name", "r" + std::to_string(i)},
                                 {"start_time", 1700000000000 + i}}
                                .dump())
                           .at("run")
                           .at("info")
                           .at("run_id");
      post(client, api + "/runs/log-batch",
           json{{"run_id", id},
                {"metrics", {{{"key", "loss"}, {"value", (i % 1000) / 1000.0}, {"timestamp", 1}}}},
                {"params", {{{"key", "model"}, {"value", i % 2 ? "tree" : "linear"}}}},
                {"tags", {{{"key", "team"}, {"value", "t" + std::to_string(i % 7)}}}}}
               .dump());
    }
  });
  std::printf("created %d runs in %.1f s\n", runs, create_s);
  struct Query {
    const char* what;
    json body;
  };
  std::vector<Query> queries = {
      {"newest 100, no filter", {{"experiment_ids", {exp}}, {"max_results", 100}}},
      {"metrics.loss < 0.1, order by loss, 100",
       {{"experiment_ids", {exp}},
        {"filter", "metrics.loss < 0.1"},
        {"order_by", {"metrics.loss ASC"}},
        {"max_results", 100}}},
      {"params.model = 'tree' AND tags.team = 't3', 1000",
       {{"experiment_ids", {exp}},
        {"filter", "params.model = 'tree' AND tags.team = 't3'"},
        {"max_results", 1000}}}};
  for (const auto& q : queries) {
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
      auto start = Clock::now();
      post(setup, api + "/runs/search", q.body.dump());
      ms.push_back(seconds_since(start) * 1000);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("runs/search over %d runs, %s: median %.1f ms (min %.1f, max %.1f)\n",
                runs + clients, q.what, ms[ms.size() / 2], ms.front(), ms.back());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tracking_bench: error: %s\n", e.what());
    return 1;
  }
}
