// Times Plinth's table readers and writers on one file, for bench/tables.sh. Each mode prints
// one line "seconds=S rows=R [key=value...]"; the script runs the peers (pyarrow, polars,
// bench/table_io_peers.py) in the same run.
//
//   table_io_bench csv-read FILE.csv
//   table_io_bench parquet-write FILE OUT.parquet       (FILE .csv or .parquet; times the write)
//   table_io_bench parquet-read FILE.parquet
//   table_io_bench parquet-stream FILE.parquet          (row group by row group; peak memory)
//   table_io_bench table-read PATH-OR-URI               (any table_io input: s3://, prefixes)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/error.h"
#include "table/csv.h"
#include "table/parquet.h"
#include "table/table_io.h"

using namespace plinth::table;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Current resident set size in bytes (from /proc/self/statm).
size_t rss_bytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * 4096;
}

// CPU time (user + system) of every thread of this process so far.
double cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

size_t peak_rss_bytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

// Bytes a batch's values occupy in memory.
size_t table_bytes(const Table& t) {
  size_t n = 0;
  for (const auto& c : t.columns()) {
    n += c.f64.size() * 8 + c.i64.size() * 8 + c.b.size() + c.valid.size() + c.codes.size() * 4;
    n += c.str.byte_size() + c.str.size() * 8 + c.dict.byte_size() + c.dict.size() * 8;
  }
  return n;
}

const char kUsage[] =
    "usage: table_io_bench MODE FILE [OUT]\n"
    "Times one of plinth's table reads or writes and prints \"seconds=S rows=R ...\" (reads\n"
    "and writes: the second of two in the process; first=S is the first, cpu=S the second's\n"
    "CPU time, all threads):\n"
    "  csv-read FILE.csv\n"
    "  parquet-write FILE OUT.parquet       (FILE .csv or .parquet; times the write only)\n"
    "  parquet-read FILE.parquet\n"
    "  parquet-stream FILE.parquet          (row group by row group; peak memory)\n"
    "  table-read PATH-OR-URI               (a file, folder, s3:// object or prefix: all of it)\n";

int run(int argc, char** argv) {
  if (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"))) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string mode = argc > 2 ? argv[1] : "";
  // Reads and writes run twice in the process: the first, untimed but reported as first=S,
  // warms up what a long-running process would have warm (thread pool, allocator), as the
  // peers' script does for pyarrow and polars.
  auto twice = [](auto op) {
    double t0 = now();
    op();
    double first = now() - t0, c0 = cpu_seconds();
    t0 = now();
    size_t rows = op();
    std::printf("seconds=%.4f rows=%zu first=%.4f cpu=%.4f\n", now() - t0, rows, first,
                cpu_seconds() - c0);
  };
  if (mode == "csv-read") {
    twice([&] { return read_csv(argv[2]).num_rows(); });
  } else if (mode == "parquet-write" && argc > 3) {
    Table t = read_table(argv[2]);
    twice([&] {
      write_parquet(t, argv[3]);
      return t.num_rows();
    });
  } else if (mode == "parquet-read") {
    twice([&] { return read_parquet(argv[2]).num_rows(); });
  } else if (mode == "table-read") {
    twice([&] { return read_table(argv[2]).num_rows(); });
  } else if (mode == "parquet-stream") {
    size_t base = rss_bytes();
    double t0 = now();
    ParquetReader reader(argv[2]);
    size_t rows = 0, largest = 0;
    while (auto batch = reader.next()) {
      rows += batch->num_rows();
      largest = std::max(largest, table_bytes(*batch));
    }
    std::printf("seconds=%.4f rows=%zu row_group_bytes=%zu peak_extra_bytes=%zu\n", now() - t0,
                rows, largest, peak_rss_bytes() - base);
  } else {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
