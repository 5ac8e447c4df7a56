#include "serving/prediction_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "table/table_io.h"

namespace plinth::serving {
namespace {
namespace fs = std::filesystem;
using table::Column;
using table::ColumnType;
using table::Table;

const table::Schema kInputs = {{"amount", ColumnType::kFloat64},
                               {"merchant", ColumnType::kString},
                               {"hour", ColumnType::kInt64}};
const table::Schema kOutputs = {{"is_fraud", ColumnType::kBool},
                                {"fraud_probability", ColumnType::kFloat64}};

// One request of `rows` rows whose amounts are base, base + 1, ...; it also carries a column
// the model does not use, which the log must ignore.
struct Request {
  Table inputs;
  std::vector<Column> outputs;
};
Request make_request(int64_t base, size_t rows) {
  Column amount("amount", ColumnType::kFloat64), merchant("merchant", ColumnType::kString),
      hour("hour", ColumnType::kInt64), extra("unused", ColumnType::kString);
  Column is_fraud("is_fraud", ColumnType::kBool), prob("fraud_probability", ColumnType::kFloat64);
  for (size_t i = 0; i < rows; ++i) {
    int64_t v = base + static_cast<int64_t>(i);
    amount.f64.push_back(static_cast<double>(v));
    merchant.str.push_back("m" + std::to_string(v % 7));
    hour.i64.push_back(v % 24);
    extra.str.push_back("x");
    is_fraud.b.push_back(v % 2);
    prob.f64.push_back(static_cast<double>(v % 100) / 100);
  }
  return {Table({extra, hour, amount, merchant}), {is_fraud, prob}};
}

// `requests` requests of `rows` rows; request r has id prefix + r and amounts from r * stride.
void append_requests(PredictionLog& log, int requests, size_t rows, const std::string& prefix,
                     int64_t stride) {
  for (int r = 0; r < requests; ++r) {
    Request req = make_request(r * stride, rows);
    log.append(req.inputs, req.outputs, prefix + std::to_string(r));
  }
}

class PredictionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("plinth_predlog_" + std::to_string(::getpid()) + "_" + info->name()) / "log";
    fs::remove_all(dir_.parent_path());
  }
  void TearDown() override {
    core::set_fault_hook(nullptr);
    fs::remove_all(dir_.parent_path());
  }
  PredictionLogOptions options() const {
    PredictionLogOptions o;
    o.dir = dir_;
    return o;
  }
  // Every name in the folder, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (!fs::exists(dir_)) return out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<Table> read_files() const {
    std::vector<Table> out;
    for (const auto& n : names()) out.push_back(table::read_table(dir_ / n));
    return out;
  }
  Table read_all() const { return table::concat(read_files()); }
  fs::path dir_;
};

TEST_F(PredictionLogTest, RowsFromFourThreadsAllComeBack) {
  constexpr int kThreads = 4, kRequests = 250;
  constexpr size_t kRows = 3;
  int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  PredictionLog log(options(), kInputs, kOutputs);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&log, t] {
      for (int r = 0; r < kRequests; ++r) {
        int64_t base = (t * kRequests + r) * 10;
        Request req = make_request(base, kRows);
        log.append(req.inputs, req.outputs, "req-" + std::to_string(base));
      }
    });
  for (auto& t : threads) t.join();
  log.flush();
  int64_t after = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();

  Table all = read_all();
  table::Schema expected = {{"request_id", ColumnType::kString},
                            {"timestamp", ColumnType::kTimestamp}};
  expected.insert(expected.end(), kInputs.begin(), kInputs.end());
  expected.insert(expected.end(), kOutputs.begin(), kOutputs.end());
  EXPECT_EQ(all.schema(), expected);
  ASSERT_EQ(all.num_rows(), kThreads * kRequests * kRows);
  EXPECT_EQ(log.written(), all.num_rows());
  EXPECT_EQ(log.dropped(), 0u);

  // Each row is its request's, with its own values: amount base+i under id "req-base".
  std::map<int64_t, int> seen;
  const Column& id = all.column("request_id");
  for (size_t i = 0; i < all.num_rows(); ++i) {
    int64_t amount = static_cast<int64_t>(all.column("amount").f64[i]);
    int64_t base = amount - amount % 10;
    ASSERT_EQ(id.string_at(i), "req-" + std::to_string(base)) << "row " << i;
    EXPECT_EQ(all.column("merchant").string_at(i), "m" + std::to_string(amount % 7));
    EXPECT_EQ(all.column("hour").i64[i], amount % 24);
    EXPECT_EQ(all.column("is_fraud").b[i], amount % 2);
    EXPECT_DOUBLE_EQ(all.column("fraud_probability").f64[i], (amount % 100) / 100.0);
    int64_t ts = all.column("timestamp").i64[i];
    EXPECT_TRUE(ts >= before && ts <= after) << ts;
    ++seen[amount];
  }
  EXPECT_EQ(seen.size(), kThreads * kRequests * kRows) << "a row came back twice";
}

TEST_F(PredictionLogTest, RotatesByRowsAndTheFilesHoldEveryRowInOrder) {
  PredictionLogOptions o = options();
  o.rows_per_file = 7;
  PredictionLog log(o, kInputs, kOutputs);
  append_requests(log, 10, 5, "r", 5);
  log.flush();

  std::vector<Table> files = read_files();
  ASSERT_EQ(files.size(), 8u);  // 50 rows: seven files of 7 and one of 1
  for (size_t i = 0; i + 1 < files.size(); ++i) EXPECT_EQ(files[i].num_rows(), 7u);
  EXPECT_EQ(files.back().num_rows(), 1u);
  Table all = table::concat(files);
  ASSERT_EQ(all.num_rows(), 50u);
  for (size_t i = 0; i < 50; ++i) EXPECT_EQ(all.column("amount").f64[i], double(i));
  EXPECT_EQ(log.written(), 50u);
}

TEST_F(PredictionLogTest, FileNamesSortByTimeAndNoTemporaryIsLeft) {
  PredictionLogOptions o = options();
  o.rows_per_file = 4;
  PredictionLog log(o, kInputs, kOutputs);
  append_requests(log, 9, 1, "r", 1);
  log.flush();
  std::vector<std::string> files = names();
  ASSERT_EQ(files.size(), 3u);
  std::regex name(R"(predictions-\d{8}T\d{6}Z-\d{6}\.parquet)");
  for (const auto& f : files) EXPECT_TRUE(std::regex_match(f, name)) << f;
  EXPECT_LT(files[0], files[1]);
  EXPECT_LT(files[1], files[2]);
}

TEST_F(PredictionLogTest, FileTagGoesIntoTheName) {
  PredictionLogOptions o = options();
  o.file_tag = "pod-7";
  PredictionLog log(o, kInputs, kOutputs);
  Request req = make_request(0, 2);
  log.append(req.inputs, req.outputs, "r");
  log.flush();
  ASSERT_EQ(names().size(), 1u);
  EXPECT_TRUE(
      std::regex_match(names()[0], std::regex(R"(predictions-\d{8}T\d{6}Z-pod-7-000001\.parquet)")))
      << names()[0];
}

// A reader listing *.parquet while the log writes and rotates can read every file it sees.
TEST_F(PredictionLogTest, AReaderNeverSeesAHalfWrittenFile) {
  PredictionLogOptions o = options();
  o.rows_per_file = 50;
  PredictionLog log(o, kInputs, kOutputs);
  std::atomic<bool> done{false};
  std::atomic<size_t> files_read{0};
  std::string failure;
  std::thread reader([&] {
    while (!done) {
      for (const auto& e : fs::directory_iterator(dir_)) {
        if (e.path().extension() != ".parquet") continue;
        try {
          table::read_table(e.path());
          ++files_read;
        } catch (const std::exception& ex) {
          if (failure.empty()) failure = ex.what();
        }
      }
    }
  });
  for (int r = 0; r < 400; ++r) {
    Request req = make_request(r * 10, 10);
    log.append(req.inputs, req.outputs, "r" + std::to_string(r));
    if (r % 20 == 0) log.flush();
  }
  log.flush();
  done = true;
  reader.join();
  EXPECT_EQ(failure, "");
  EXPECT_GT(files_read.load(), 0u);
  for (const auto& n : names()) EXPECT_EQ(fs::path(n).extension(), ".parquet") << n;
  EXPECT_EQ(read_all().num_rows(), 4000u);
}

TEST_F(PredictionLogTest, SamplingKeepsAboutTheShareAskedForByRequestId) {
  PredictionLogOptions o = options();
  o.sample_rate = 0.1;
  size_t expected = 0;
  {
    PredictionLog log(o, kInputs, kOutputs);
    for (int r = 0; r < 10000; ++r) {
      std::string id = "req-" + std::to_string(r);
      expected += PredictionLog::sampled(id, 0.1);
      Request req = make_request(r * 10, 1);
      log.append(req.inputs, req.outputs, id);
    }
    log.flush();
  }
  Table all = read_all();
  // 10000 draws at p = 0.1: the standard deviation is 30 rows.
  EXPECT_GE(all.num_rows(), 900u);
  EXPECT_LE(all.num_rows(), 1100u);
  EXPECT_EQ(all.num_rows(), expected);
  for (size_t i = 0; i < all.num_rows(); ++i) {
    std::string id(all.column("request_id").string_at(i));
    EXPECT_TRUE(PredictionLog::sampled(id, 0.1)) << id;
    EXPECT_EQ(id, "req-" + std::to_string(int64_t(all.column("amount").f64[i]) / 10));
  }
}

TEST_F(PredictionLogTest, SamplingKeepsOrSkipsAWholeRequest) {
  PredictionLogOptions o = options();
  o.sample_rate = 0.5;
  PredictionLog log(o, kInputs, kOutputs);
  append_requests(log, 200, 4, "batch-", 10);
  log.flush();
  Table all = read_all();
  std::map<std::string, int> rows_per_id;
  for (size_t i = 0; i < all.num_rows(); ++i)
    ++rows_per_id[std::string(all.column("request_id").string_at(i))];
  EXPECT_GT(rows_per_id.size(), 60u);
  EXPECT_LT(rows_per_id.size(), 140u);
  for (const auto& [id, n] : rows_per_id) EXPECT_EQ(n, 4) << id;
}

TEST_F(PredictionLogTest, SamplingIsTheSameDecisionEveryTime) {
  size_t kept = 0;
  for (int r = 0; r < 1000; ++r) {
    std::string id = "id" + std::to_string(r);
    bool first = PredictionLog::sampled(id, 0.3);
    EXPECT_EQ(PredictionLog::sampled(id, 0.3), first);
    if (first) {
      EXPECT_TRUE(PredictionLog::sampled(id, 0.6)) << "a larger rate keeps " << id;
    }
    EXPECT_TRUE(PredictionLog::sampled(id, 1.0));
    kept += first;
  }
  EXPECT_GT(kept, 240u);
  EXPECT_LT(kept, 360u);
}

TEST_F(PredictionLogTest, ClosesAnOldFileWithoutFlush) {
  PredictionLogOptions o = options();
  o.seconds_per_file = 0.2;
  PredictionLog log(o, kInputs, kOutputs);
  Request req = make_request(0, 3);
  log.append(req.inputs, req.outputs, "r");
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto visible = [&] {
    for (const auto& n : names())
      if (fs::path(n).extension() == ".parquet") return true;
    return false;
  };
  while (!visible() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(names().size(), 1u) << "the writer thread did not close the old file by itself";
  EXPECT_EQ(read_all().num_rows(), 3u);
}

TEST_F(PredictionLogTest, DestructorWritesWhatIsBuffered) {
  {
    PredictionLog log(options(), kInputs, kOutputs);
    Request req = make_request(0, 5);
    log.append(req.inputs, req.outputs, "r");
  }
  EXPECT_EQ(read_all().num_rows(), 5u);
}

// The folder replaced by a file (as good as unwritable, even for root): rows are counted as
// dropped, nothing throws, and writing resumes once the folder can be made again.
TEST_F(PredictionLogTest, AnUnwritableFolderCountsDropsInsteadOfThrowing) {
  PredictionLog log(options(), kInputs, kOutputs);
  fs::remove_all(dir_);
  std::ofstream(dir_) << "not a folder";
  for (int r = 0; r < 4; ++r) {
    Request req = make_request(r * 10, 5);
    EXPECT_NO_THROW(log.append(req.inputs, req.outputs, "r" + std::to_string(r)));
  }
  EXPECT_NO_THROW(log.flush());
  EXPECT_EQ(log.dropped(), 20u);
  EXPECT_EQ(log.written(), 0u);

  fs::remove(dir_);
  Request req = make_request(100, 2);
  log.append(req.inputs, req.outputs, "again");
  log.flush();
  EXPECT_EQ(log.dropped(), 20u);
  EXPECT_EQ(log.written(), 2u);
  EXPECT_EQ(read_all().num_rows(), 2u);
}

// A failure at the last step (the rename) loses that file's rows, counted, and leaves no
// temporary file behind.
TEST_F(PredictionLogTest, AFailedRenameCountsDropsAndLeavesNoTemporary) {
  PredictionLog log(options(), kInputs, kOutputs);
  core::set_fault_hook([](core::FsOp op, const fs::path& p) {
    if (op == core::FsOp::kRename)
      throw Error(ErrorCode::kIo, "injected: disk full at " + p.string());
  });
  Request req = make_request(0, 6);
  log.append(req.inputs, req.outputs, "r");
  EXPECT_NO_THROW(log.flush());
  core::set_fault_hook(nullptr);
  EXPECT_EQ(log.dropped(), 6u);
  EXPECT_EQ(names(), std::vector<std::string>{});
}

TEST_F(PredictionLogTest, AFullBufferDropsRowsInsteadOfGrowing) {
  PredictionLogOptions o = options();
  o.max_buffered_rows = 10;
  PredictionLog log(o, kInputs, kOutputs);
  Request req = make_request(0, 11);
  log.append(req.inputs, req.outputs, "too-big");
  EXPECT_EQ(log.dropped(), 11u);
  log.flush();
  EXPECT_EQ(log.written(), 0u);
}

TEST_F(PredictionLogTest, MissingOrWidenedInputColumns) {
  PredictionLog log(options(), kInputs, kOutputs);
  Column amount("amount", ColumnType::kInt64);  // JSON integers arrive as int64
  amount.i64 = {5, 6};
  Column merchant("merchant", ColumnType::kString);
  merchant.str.push_back("a");
  merchant.str.push_back("b");
  Column is_fraud("is_fraud", ColumnType::kBool), prob("fraud_probability", ColumnType::kFloat64);
  is_fraud.b = {0, 1};
  prob.f64 = {0.1, 0.9};
  log.append(Table({amount, merchant}), {is_fraud, prob}, "r");  // no "hour"
  log.flush();
  Table all = read_all();
  ASSERT_EQ(all.num_rows(), 2u);
  EXPECT_EQ(all.column("amount").type, ColumnType::kFloat64);
  EXPECT_EQ(all.column("amount").f64, (std::vector<double>{5, 6}));
  EXPECT_EQ(all.column("hour").null_count(), 2u);
}

TEST_F(PredictionLogTest, RejectsBadOptionsAndClashingColumns) {
  for (double rate : {0.0, -0.5, 1.5}) {
    PredictionLogOptions o = options();
    o.sample_rate = rate;
    EXPECT_THROW(PredictionLog(o, kInputs, kOutputs), Error) << rate;
  }
  table::Schema clash = kInputs;
  clash.push_back({"timestamp", ColumnType::kTimestamp});
  EXPECT_THROW(PredictionLog(options(), clash, kOutputs), Error);
  PredictionLogOptions o = options();
  o.file_tag = "a/b";
  EXPECT_THROW(PredictionLog(o, kInputs, kOutputs), Error);
  Request req = make_request(0, 2);
  PredictionLog log(options(), kInputs, kOutputs);
  EXPECT_THROW(log.append(req.inputs, {req.outputs[0]}, "r"), Error);
}

}  // namespace
}  // namespace plinth::serving
