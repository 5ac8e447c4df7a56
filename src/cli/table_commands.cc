// Table commands: look into CSV and Parquet files, convert between them, generate demo data.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <unordered_set>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/error.h"
#include "core/progress.h"
#include "table/fraud_data.h"
#include "table/table_io.h"
#include "table/timestamp.h"

namespace plinth::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using table::Column;
using table::ColumnType;

namespace {

// How to read the input: options every table command shares.
struct InputFlags {
  std::string path;
  std::string columns;
  std::vector<std::string> types;
  std::string delimiter;
  bool no_header = false;

  void add_to(CLI::App* cmd) {
    cmd->add_option("FILE", path, "A .csv, .tsv or .parquet file")->required();
    cmd->add_option("-c,--columns", columns, "Only these columns, comma-separated");
    cmd->add_option("--type", types,
                    "CSV: a column's type instead of the inferred one, COLUMN=TYPE "
                    "(float64, int64, bool, string, timestamp); repeatable");
    cmd->add_option("--delimiter", delimiter, "CSV: field separator (default ',', tab for .tsv)");
    cmd->add_flag("--no-header", no_header, "CSV: the first line is data, not column names");
  }

  table::ReadOptions options() const {
    table::ReadOptions o;
    size_t pos = 0;
    while (!columns.empty() && pos <= columns.size()) {
      size_t comma = columns.find(',', pos);
      o.columns.push_back(columns.substr(pos, comma == std::string::npos ? comma : comma - pos));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    for (const auto& t : types) {
      auto eq = t.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(ErrorCode::kInvalidInput, "--type '" + t + "': expected COLUMN=TYPE");
      o.csv.types[t.substr(0, eq)] = table::parse_type_name(t.substr(eq + 1));
    }
    if (!delimiter.empty()) {
      std::string d = delimiter == "\\t" ? "\t" : delimiter;
      if (d.size() != 1) throw Error(ErrorCode::kInvalidInput, "--delimiter must be one character");
      o.csv.delimiter = d[0];
    }
    o.csv.header = !no_header;
    return o;
  }

  std::unique_ptr<table::BatchReader> open() const {
    if (!fs::exists(path)) throw Error(ErrorCode::kNotFound, "'" + path + "' does not exist");
    return table::open_table(path, options());
  }
};

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// One value as text for people; "null" for nulls.
std::string value_text(const Column& c, size_t row) {
  if (c.is_null(row)) return "null";
  switch (c.type) {
    case ColumnType::kFloat64:
      return format_double(c.f64[row]);
    case ColumnType::kInt64:
      return std::to_string(c.i64[row]);
    case ColumnType::kBool:
      return c.b[row] ? "true" : "false";
    case ColumnType::kTimestamp:
      return table::format_timestamp(c.i64[row]);
    case ColumnType::kString:
      return std::string(c.string_at(row));
  }
  return "";
}

// One value as JSON: numbers as numbers (NaN and infinities as strings), timestamps as ISO
// 8601 strings, nulls as null.
json value_json(const Column& c, size_t row) {
  if (c.is_null(row)) return nullptr;
  switch (c.type) {
    case ColumnType::kFloat64:
      return std::isfinite(c.f64[row]) ? json(c.f64[row]) : json(format_double(c.f64[row]));
    case ColumnType::kInt64:
      return c.i64[row];
    case ColumnType::kBool:
      return static_cast<bool>(c.b[row]);
    default:
      return value_text(c, row);
  }
}

// JSON on stdout; bytes that are not UTF-8 (binary columns) become U+FFFD.
void print_table_json(const json& value) {
  std::cout << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

void print_aligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], std::min<size_t>(r[i].size(), 40));
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string cell = r[i].size() > 40 ? r[i].substr(0, 39) + "~" : r[i];
      for (char& ch : cell)
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
      line += cell;
      if (i + 1 < r.size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

void add_schema(CLI::App& group, Invocation& inv) {
  auto* cmd = group.add_subcommand("schema", "Show a table file's columns and their types");
  auto in = std::make_shared<InputFlags>();
  auto as_json = std::make_shared<bool>(false);
  in->add_to(cmd);
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([&inv, in, as_json] {
    inv.run = [=] {
      json out = json::object();
      json cols = json::array();
      if (table::format_of(in->path) == table::FileFormat::kParquet) {
        if (!fs::exists(in->path))
          throw Error(ErrorCode::kNotFound, "'" + in->path + "' does not exist");
        table::ParquetReader reader(in->path, {in->options().columns, 1});
        out["format"] = "parquet";
        out["rows"] = reader.num_rows();
        out["row_groups"] = reader.num_row_groups();
        out["created_by"] = reader.created_by();
        const auto& schema = reader.schema();
        for (const auto& c : reader.columns()) {
          json col = {{"name", c.name}, {"physical_type", c.physical}, {"nullable", c.optional}};
          if (!c.logical.empty()) col["logical_type"] = c.logical;
          auto it =
              std::find_if(schema.begin(), schema.end(), [&](auto& f) { return f.name == c.name; });
          if (!c.supported)
            col["type"] = "unsupported (nested)";
          else if (it != schema.end())
            col["type"] = table::type_name(it->type);
          else
            continue;
          cols.push_back(col);
        }
        // With --columns, in the order asked for (the loop above follows the file's).
        if (!in->columns.empty()) {
          auto rank = [&](const json& c) {
            return std::find_if(schema.begin(), schema.end(),
                                [&](auto& f) { return f.name == c["name"]; }) -
                   schema.begin();
          };
          std::stable_sort(cols.begin(), cols.end(),
                           [&](const json& a, const json& b) { return rank(a) < rank(b); });
        }
      } else {
        auto reader = in->open();
        out["format"] = "csv";
        for (const auto& f : reader->schema())
          cols.push_back({{"name", f.name}, {"type", table::type_name(f.type)}});
      }
      out["columns"] = cols;
      if (*as_json) {
        print_table_json(out);
        return 0;
      }
      if (out["format"] == "parquet")
        std::cout << in->path << ": Parquet, " << plural(out["rows"].get<size_t>(), "row") << " in "
                  << plural(out["row_groups"].get<size_t>(), "row group") << ", written by "
                  << out["created_by"].get<std::string>() << "\n";
      else
        std::cout << in->path << ": CSV (types inferred from the first rows)\n";
      std::vector<std::vector<std::string>> rows = {{"column", "type", "parquet type"}};
      for (const auto& c : cols) {
        std::string pq = c.contains("physical_type") ? c["physical_type"].get<std::string>() : "";
        if (c.contains("logical_type")) pq += " " + c["logical_type"].get<std::string>();
        if (c.contains("nullable")) pq += c["nullable"].get<bool>() ? " optional" : " required";
        rows.push_back({c["name"], c["type"], pq});
      }
      print_aligned(rows);
      return 0;
    };
  });
}

void add_head(CLI::App& group, Invocation& inv) {
  auto* cmd = group.add_subcommand("head", "Show the first rows of a table file");
  auto in = std::make_shared<InputFlags>();
  auto n = std::make_shared<size_t>(10);
  auto as_json = std::make_shared<bool>(false);
  in->add_to(cmd);
  cmd->add_option("-n,--rows", *n, "How many rows (default 10)");
  cmd->add_flag("--json", *as_json, "Print a JSON array of row objects");
  cmd->callback([&inv, in, n, as_json] {
    inv.run = [=] {
      auto reader = in->open();
      table::Table rows;
      while (rows.num_rows() < *n) {
        auto batch = reader->next();
        if (!batch) break;
        rows.append(batch->slice(0, *n - rows.num_rows()));
      }
      const auto& schema = reader->schema();
      if (*as_json) {
        json out = json::array();
        for (size_t r = 0; r < rows.num_rows(); ++r) {
          json obj = json::object();
          for (const auto& c : rows.columns()) obj[c.name] = value_json(c, r);
          out.push_back(std::move(obj));
        }
        print_table_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> text(1);
      for (const auto& f : schema) text[0].push_back(f.name);
      for (size_t r = 0; r < rows.num_rows(); ++r) {
        text.emplace_back();
        for (const auto& c : rows.columns()) text.back().push_back(value_text(c, r));
      }
      print_aligned(text);
      return 0;
    };
  });
}

// Per-column summary gathered batch by batch.
struct ColumnStats {
  size_t count = 0, nulls = 0;
  double sum = 0;
  size_t summed = 0;
  std::optional<size_t> min_row, max_row;
  Column min, max;  // one-row columns holding the extremes
  std::unordered_set<std::string> distinct_strings;
  std::unordered_set<int64_t> distinct_numbers;

  void add(const Column& c) {
    if (min.name.empty()) min = max = Column("x", c.type);
    for (size_t r = 0; r < c.size(); ++r) {
      ++count;
      if (c.is_null(r)) {
        ++nulls;
        continue;
      }
      switch (c.type) {
        case ColumnType::kString:
          distinct_strings.emplace(c.string_at(r));
          break;
        case ColumnType::kFloat64: {
          double v = c.f64[r];
          int64_t bits;
          std::memcpy(&bits, &v, 8);
          distinct_numbers.insert(v == 0 ? 0 : bits);
          if (std::isnan(v)) continue;
          sum += v, ++summed;
          break;
        }
        case ColumnType::kBool:
          distinct_numbers.insert(c.b[r]);
          sum += c.b[r], ++summed;
          break;
        default:
          distinct_numbers.insert(c.i64[r]);
          if (c.type == ColumnType::kInt64) sum += static_cast<double>(c.i64[r]), ++summed;
      }
      if (min.size() == 0 || less(c, r, min, 0)) min = one(c, r);
      if (max.size() == 0 || less(max, 0, c, r)) max = one(c, r);
    }
  }
  static Column one(const Column& c, size_t r) {
    Column out("x", c.type);
    out.append(c, r, r + 1);
    return out;
  }
  static bool less(const Column& a, size_t i, const Column& b, size_t j) {
    switch (a.type) {
      case ColumnType::kFloat64:
        return a.f64[i] < b.f64[j];
      case ColumnType::kBool:
        return a.b[i] < b.b[j];
      case ColumnType::kString:
        return a.string_at(i) < b.string_at(j);
      default:
        return a.i64[i] < b.i64[j];
    }
  }
  json to_json(const table::Field& f) const {
    json j = {
        {"column", f.name}, {"type", table::type_name(f.type)}, {"count", count}, {"nulls", nulls}};
    j["min"] = min.size() ? value_json(min, 0) : json(nullptr);
    j["max"] = max.size() ? value_json(max, 0) : json(nullptr);
    j["mean"] = summed ? json(sum / summed) : json(nullptr);
    j["distinct"] = distinct_strings.size() + distinct_numbers.size();
    return j;
  }
};

void add_stats(CLI::App& group, Invocation& inv) {
  auto* cmd = group.add_subcommand(
      "stats",
      "Per column: type, nulls, min, max, mean and distinct values (reads the whole file)");
  auto in = std::make_shared<InputFlags>();
  auto as_json = std::make_shared<bool>(false);
  in->add_to(cmd);
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([&inv, in, as_json] {
    inv.run = [=] {
      auto reader = in->open();
      const auto& schema = reader->schema();
      std::vector<ColumnStats> stats(schema.size());
      while (auto batch = reader->next())
        for (size_t i = 0; i < schema.size(); ++i) stats[i].add(batch->column(i));
      json out = json::array();
      for (size_t i = 0; i < schema.size(); ++i) out.push_back(stats[i].to_json(schema[i]));
      if (*as_json) {
        print_table_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> text = {
          {"column", "type", "count", "nulls", "min", "max", "mean", "distinct"}};
      auto cell = [](const json& v) {
        if (v.is_null()) return std::string("-");
        if (v.is_string()) return v.get<std::string>();
        if (v.is_number_float()) {
          std::ostringstream s;
          s << std::setprecision(6) << v.get<double>();
          return s.str();
        }
        return v.dump();
      };
      for (const auto& j : out)
        text.push_back({j["column"], j["type"], cell(j["count"]), cell(j["nulls"]), cell(j["min"]),
                        cell(j["max"]), cell(j["mean"]), cell(j["distinct"])});
      print_aligned(text);
      return 0;
    };
  });
}

struct OutputFlags {
  std::string compression = "snappy";
  size_t row_group_rows = 128 * 1024;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--compression", compression,
                    "Parquet: snappy (default), zstd, gzip, lz4, brotli or none");
    cmd->add_option("--row-group-rows", row_group_rows,
                    "Parquet: rows per row group (default 131072)");
  }
  table::WriteOptions options() const {
    table::WriteOptions o;
    o.parquet.codec = table::parse_codec(compression);
    if (row_group_rows == 0)
      throw Error(ErrorCode::kInvalidInput, "--row-group-rows must be at least 1");
    o.parquet.row_group_rows = row_group_rows;
    return o;
  }
};

void add_convert(CLI::App& group, Invocation& inv) {
  auto* cmd = group.add_subcommand(
      "convert", "Convert between CSV and Parquet (by file extension), streaming");
  auto in = std::make_shared<InputFlags>();
  auto out_path = std::make_shared<std::string>();
  auto out = std::make_shared<OutputFlags>();
  in->add_to(cmd);
  cmd->add_option("OUT", *out_path, "The file to write (.csv, .tsv or .parquet)")->required();
  out->add_to(cmd);
  cmd->callback([&inv, in, out_path, out] {
    inv.run = [=] {
      table::format_of(*out_path);
      auto options = out->options();
      auto reader = in->open();
      auto writer = table::open_table_writer(*out_path, reader->schema(), options);
      core::Progress progress("Converting", 0, core::ProgressUnit::kItems, "rows");
      size_t rows = 0;
      while (auto batch = reader->next()) {
        writer->write(*batch);
        rows += batch->num_rows();
        progress.add(batch->num_rows());
      }
      writer->close();
      std::cout << "Wrote " << plural(rows, "row") << " to " << *out_path << "\n";
      return 0;
    };
  });
}

// A --start or --end value: ISO 8601, or "now".
int64_t fraud_time(const char* option, const std::string& text) {
  if (text == "now")
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  if (auto t = table::parse_timestamp(text)) return *t;
  throw Error(ErrorCode::kInvalidInput, std::string(option) + " '" + text +
                                            "' is not a time: give ISO 8601 such as "
                                            "2026-03-01T00:00:00Z, or now");
}

void add_fraud(CLI::App& group, Invocation& inv) {
  auto* cmd = group.add_subcommand(
      "fraud", "Card transactions with about 2% fraud, the handbook's example data");
  auto rows = std::make_shared<size_t>(100000);
  auto seed = std::make_shared<uint64_t>(42);
  auto out_path = std::make_shared<std::string>();
  auto shifts = std::make_shared<std::vector<std::string>>();
  auto mix = std::make_shared<std::string>();
  auto out = std::make_shared<OutputFlags>();
  cmd->add_option("--rows", *rows, "Number of transactions (default 100000)");
  cmd->add_option("--seed", *seed, "Random seed; the same seed gives the same file (default 42)");
  cmd->add_option("--out", *out_path, "The file to write (.csv, .tsv or .parquet)")->required();
  cmd->add_option("--shift", *shifts,
                  "Drift: multiply a column, COLUMN=FACTOR (amount, transaction_velocity, "
                  "distance_from_home); repeatable");
  cmd->add_option("--category-mix", *mix,
                  "Drift: category weights, e.g. online=0.4,travel=0.1 (others keep theirs)");
  auto start = std::make_shared<std::string>();
  auto end = std::make_shared<std::string>();
  auto* start_opt = cmd->add_option(
      "--start", *start,
      "First day of the data, ISO 8601 (default 2026-01-01); rows spread over 30 days from "
      "its midnight UTC");
  cmd->add_option("--end", *end,
                  "Instead of --start: the 30 days end at the midnight UTC before this time, ISO "
                  "8601 or 'now' (data for features a server evaluates as of now)")
      ->excludes(start_opt);
  out->add_to(cmd);
  cmd->callback([&inv, rows, seed, out_path, shifts, mix, start, end, out] {
    inv.run = [=] {
      table::FraudOptions fo;
      fo.seed = *seed;
      // Midnight, so that each row's hour_of_day is its timestamp's hour.
      constexpr int64_t kDay = 86400LL * 1'000'000'000;
      auto midnight = [](int64_t t) { return t - ((t % kDay) + kDay) % kDay; };
      if (!start->empty()) fo.start = midnight(fraud_time("--start", *start));
      if (!end->empty()) fo.start = midnight(fraud_time("--end", *end)) - table::kFraudSpan;
      for (const auto& s : *shifts) fo.shift.insert(table::parse_shift(s));
      if (!mix->empty()) fo.category_mix = table::parse_category_mix(*mix);
      table::validate(fo);
      table::format_of(*out_path);
      auto options = out->options();
      table::Table first = table::generate_fraud(fo, *rows, 0, 0);
      auto writer = table::open_table_writer(*out_path, first.schema(), options);
      core::Progress progress("Generating", *rows, core::ProgressUnit::kItems, "rows");
      const size_t step = options.parquet.row_group_rows;
      for (size_t begin = 0; begin < *rows; begin += step) {
        size_t n = std::min(step, *rows - begin);
        writer->write(table::generate_fraud(fo, *rows, begin, n));
        progress.add(n);
      }
      writer->close();
      std::cout << "Wrote " << plural(*rows, "transaction") << " to " << *out_path << "\n";
      return 0;
    };
  });
}

}  // namespace

void register_table_commands(CLI::App& app, Invocation& invocation) {
  auto* group = app.add_subcommand("table", "Look into CSV and Parquet files and convert them");
  group->require_subcommand(1);
  add_schema(*group, invocation);
  add_head(*group, invocation);
  add_stats(*group, invocation);
  add_convert(*group, invocation);
  auto* demo = app.add_subcommand("demo-data", "Generate example data sets");
  demo->require_subcommand(1);
  add_fraud(*demo, invocation);
}

}  // namespace plinth::cli
