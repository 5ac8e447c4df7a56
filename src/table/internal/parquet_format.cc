#include "table/internal/parquet_format.h"

#include <algorithm>

#include "table/internal/thrift_compact.h"

namespace plinth::table::parquet {

using thrift::CompactReader;
using thrift::CompactWriter;

namespace {

// LogicalType union members by field id (9 is unused).
constexpr LogicalType::Kind kLogicalKinds[] = {
    LogicalType::kNone,      LogicalType::kString,  LogicalType::kMap,     LogicalType::kList,
    LogicalType::kEnum,      LogicalType::kDecimal, LogicalType::kDate,    LogicalType::kTime,
    LogicalType::kTimestamp, LogicalType::kNone,    LogicalType::kInteger, LogicalType::kUnknown,
    LogicalType::kJson,      LogicalType::kBson,    LogicalType::kUuid,    LogicalType::kFloat16};

int16_t logical_type_id(LogicalType::Kind kind) {
  for (int16_t id = 1; id < 16; ++id)
    if (kLogicalKinds[id] == kind) return id;
  return 0;
}

template <typename T>
T enum_value(CompactReader& r, uint8_t type, int32_t max) {
  int32_t v = r.read_i32(type);
  if (v < 0 || v > max) r.fail("enum value " + std::to_string(v) + " out of range");
  return static_cast<T>(v);
}

TimeUnit parse_time_unit(CompactReader& r) {
  TimeUnit unit = TimeUnit::kMillis;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (id >= 1 && id <= 3 && t == thrift::kStruct) {
      unit = static_cast<TimeUnit>(id - 1);
      r.skip(t);
    } else {
      r.skip(t);
    }
  });
  return unit;
}

LogicalType parse_logical_type(CompactReader& r) {
  LogicalType lt;
  r.read_struct([&](int16_t id, uint8_t t) {
    if (t != thrift::kStruct) return r.skip(t);
    switch (id) {
      case 5:
        lt.kind = LogicalType::kDecimal;
        r.read_struct([&](int16_t f, uint8_t ft) {
          if (f == 1)
            lt.scale = r.read_i32(ft);
          else if (f == 2)
            lt.precision = r.read_i32(ft);
          else
            r.skip(ft);
        });
        return;
      case 7:
      case 8:
        lt.kind = id == 7 ? LogicalType::kTime : LogicalType::kTimestamp;
        r.read_struct([&](int16_t f, uint8_t ft) {
          if (f == 1)
            lt.utc = r.read_bool(ft);
          else if (f == 2 && ft == thrift::kStruct)
            lt.unit = parse_time_unit(r);
          else
            r.skip(ft);
        });
        return;
      case 10:
        lt.kind = LogicalType::kInteger;
        r.read_struct([&](int16_t f, uint8_t ft) {
          if (f == 1)
            lt.bit_width = r.read_i32(ft);
          else if (f == 2)
            lt.is_signed = r.read_bool(ft);
          else
            r.skip(ft);
        });
        return;
      default:
        if (id >= 1 && id <= 15) lt.kind = kLogicalKinds[id];
        r.skip(t);
    }
  });
  return lt;
}

SchemaElement parse_schema_element(CompactReader& r) {
  SchemaElement e;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        e.type = enum_value<Type>(r, t, 7);
        break;
      case 2:
        e.type_length = r.read_i32(t);
        break;
      case 3:
        e.repetition = enum_value<Repetition>(r, t, 2);
        break;
      case 4:
        e.name = r.read_binary(t);
        break;
      case 5:
        e.num_children = r.read_i32(t);
        break;
      case 6:
        e.converted_type = r.read_i32(t);
        break;
      case 7:
        e.scale = r.read_i32(t);
        break;
      case 8:
        e.precision = r.read_i32(t);
        break;
      case 10:
        if (t == thrift::kStruct)
          e.logical = parse_logical_type(r);
        else
          r.skip(t);
        break;
      default:
        r.skip(t);
    }
  });
  return e;
}

Statistics parse_statistics(CompactReader& r) {
  Statistics s;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        s.max = r.read_binary(t);
        break;
      case 2:
        s.min = r.read_binary(t);
        break;
      case 3:
        s.null_count = r.read_i64(t);
        break;
      case 4:
        s.distinct_count = r.read_i64(t);
        break;
      case 5:
        s.max_value = r.read_binary(t);
        break;
      case 6:
        s.min_value = r.read_binary(t);
        break;
      default:
        r.skip(t);
    }
  });
  return s;
}

ColumnMetaData parse_column_meta(CompactReader& r) {
  ColumnMetaData m;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        m.type = enum_value<Type>(r, t, 7);
        break;
      case 2:
        r.read_list(t, [&](uint8_t et) { m.encodings.push_back(r.read_i32(et)); });
        break;
      case 3:
        r.read_list(t, [&](uint8_t et) { m.path.push_back(r.read_binary(et)); });
        break;
      case 4:
        m.codec = r.read_i32(t);
        break;
      case 5:
        m.num_values = r.read_i64(t);
        break;
      case 6:
        m.total_uncompressed_size = r.read_i64(t);
        break;
      case 7:
        m.total_compressed_size = r.read_i64(t);
        break;
      case 9:
        m.data_page_offset = r.read_i64(t);
        break;
      case 11:
        m.dictionary_page_offset = r.read_i64(t);
        break;
      case 12:
        if (t == thrift::kStruct)
          m.statistics = parse_statistics(r);
        else
          r.skip(t);
        break;
      default:
        r.skip(t);
    }
  });
  return m;
}

RowGroup parse_row_group(CompactReader& r) {
  RowGroup g;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        r.read_list(t, [&](uint8_t et) {
          if (et != thrift::kStruct) r.fail("a column chunk is not a struct");
          ColumnChunk c;
          r.read_struct([&](int16_t f, uint8_t ft) {
            if (f == 1)
              c.file_path = r.read_binary(ft);
            else if (f == 2)
              c.file_offset = r.read_i64(ft);
            else if (f == 3 && ft == thrift::kStruct)
              c.meta = parse_column_meta(r);
            else
              r.skip(ft);
          });
          g.columns.push_back(std::move(c));
        });
        break;
      case 2:
        g.total_byte_size = r.read_i64(t);
        break;
      case 3:
        g.num_rows = r.read_i64(t);
        break;
      default:
        r.skip(t);
    }
  });
  return g;
}

void expect_struct(CompactReader& r, uint8_t t) {
  if (t != thrift::kStruct) r.fail("a list element is not a struct");
}

}  // namespace

std::string_view type_name(Type type) {
  static const char* names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return names[static_cast<int>(type)];
}

std::string_view codec_name(int codec) {
  static const char* names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return codec >= 0 && codec <= 7 ? names[codec] : "unknown";
}

FileMetaData parse_file_metadata(std::string_view bytes, const std::string& context) {
  CompactReader r(bytes, context);
  FileMetaData m;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        m.version = r.read_i32(t);
        break;
      case 2:
        r.read_list(t, [&](uint8_t et) {
          expect_struct(r, et);
          m.schema.push_back(parse_schema_element(r));
        });
        break;
      case 3:
        m.num_rows = r.read_i64(t);
        break;
      case 4:
        r.read_list(t, [&](uint8_t et) {
          expect_struct(r, et);
          m.row_groups.push_back(parse_row_group(r));
        });
        break;
      case 5:
        r.read_list(t, [&](uint8_t et) {
          expect_struct(r, et);
          std::pair<std::string, std::string> kv;
          r.read_struct([&](int16_t f, uint8_t ft) {
            if (f == 1)
              kv.first = r.read_binary(ft);
            else if (f == 2)
              kv.second = r.read_binary(ft);
            else
              r.skip(ft);
          });
          m.key_values.push_back(std::move(kv));
        });
        break;
      case 6:
        m.created_by = r.read_binary(t);
        break;
      default:
        r.skip(t);
    }
  });
  return m;
}

PageHeader parse_page_header(std::string_view bytes, size_t& used, const std::string& context) {
  CompactReader r(bytes, context);
  PageHeader h;
  r.read_struct([&](int16_t id, uint8_t t) {
    switch (id) {
      case 1:
        h.type = r.read_i32(t);
        break;
      case 2:
        h.uncompressed_page_size = r.read_i32(t);
        break;
      case 3:
        h.compressed_page_size = r.read_i32(t);
        break;
      case 4:
        h.crc = static_cast<uint32_t>(r.read_i32(t));
        break;
      case 5:
        expect_struct(r, t);
        h.data_page.emplace();
        r.read_struct([&](int16_t f, uint8_t ft) {
          if (f == 1)
            h.data_page->num_values = r.read_i32(ft);
          else if (f == 2)
            h.data_page->encoding = r.read_i32(ft);
          else if (f == 3)
            h.data_page->definition_level_encoding = r.read_i32(ft);
          else
            r.skip(ft);
        });
        break;
      case 7:
        expect_struct(r, t);
        h.dictionary_page.emplace();
        r.read_struct([&](int16_t f, uint8_t ft) {
          if (f == 1)
            h.dictionary_page->num_values = r.read_i32(ft);
          else if (f == 2)
            h.dictionary_page->encoding = r.read_i32(ft);
          else
            r.skip(ft);
        });
        break;
      case 8: {
        expect_struct(r, t);
        auto& v2 = h.data_page_v2.emplace();
        r.read_struct([&](int16_t f, uint8_t ft) {
          switch (f) {
            case 1:
              v2.num_values = r.read_i32(ft);
              break;
            case 2:
              v2.num_nulls = r.read_i32(ft);
              break;
            case 3:
              v2.num_rows = r.read_i32(ft);
              break;
            case 4:
              v2.encoding = r.read_i32(ft);
              break;
            case 5:
              v2.definition_levels_byte_length = r.read_i32(ft);
              break;
            case 6:
              v2.repetition_levels_byte_length = r.read_i32(ft);
              break;
            case 7:
              v2.is_compressed = r.read_bool(ft);
              break;
            default:
              r.skip(ft);
          }
        });
        break;
      }
      default:
        r.skip(t);
    }
  });
  used = r.position();
  return h;
}

namespace {

void write_statistics(CompactWriter& w, const Statistics& s) {
  w.field(12, thrift::kStruct);
  w.begin_struct();
  if (s.null_count) w.field_i64(3, *s.null_count);
  if (s.distinct_count) w.field_i64(4, *s.distinct_count);
  if (s.max_value) w.field_binary(5, *s.max_value);
  if (s.min_value) w.field_binary(6, *s.min_value);
  w.end_struct();
}

void write_logical_type(CompactWriter& w, const LogicalType& lt) {
  w.field(10, thrift::kStruct);
  w.begin_struct();
  w.field(logical_type_id(lt.kind), thrift::kStruct);
  w.begin_struct();
  if (lt.kind == LogicalType::kTimestamp) {
    w.field_bool(1, lt.utc);
    w.field(2, thrift::kStruct);
    w.begin_struct();
    w.field(static_cast<int16_t>(static_cast<int>(lt.unit) + 1), thrift::kStruct);
    w.begin_struct();
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  w.end_struct();
}

void write_column_chunk(CompactWriter& w, const ColumnChunk& c) {
  w.begin_struct();
  w.field_i64(2, c.file_offset);
  const ColumnMetaData& m = *c.meta;
  w.field(3, thrift::kStruct);
  w.begin_struct();
  w.field_i32(1, static_cast<int32_t>(m.type));
  w.list_header(2, thrift::kI32, m.encodings.size());
  for (int32_t e : m.encodings) w.element_i32(e);
  w.list_header(3, thrift::kBinary, m.path.size());
  for (const auto& p : m.path) w.element_binary(p);
  w.field_i32(4, m.codec);
  w.field_i64(5, m.num_values);
  w.field_i64(6, m.total_uncompressed_size);
  w.field_i64(7, m.total_compressed_size);
  w.field_i64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w.field_i64(11, *m.dictionary_page_offset);
  if (m.statistics) write_statistics(w, *m.statistics);
  w.end_struct();
  w.end_struct();
}

}  // namespace

std::string serialize(const FileMetaData& m) {
  CompactWriter w;
  w.begin_struct();
  w.field_i32(1, m.version);
  w.list_header(2, thrift::kStruct, m.schema.size());
  for (const auto& e : m.schema) {
    w.begin_struct();
    if (e.type) w.field_i32(1, static_cast<int32_t>(*e.type));
    if (e.repetition) w.field_i32(3, *e.repetition);
    w.field_binary(4, e.name);
    if (e.num_children) w.field_i32(5, e.num_children);
    if (e.converted_type) w.field_i32(6, *e.converted_type);
    if (e.logical.kind != LogicalType::kNone) write_logical_type(w, e.logical);
    w.end_struct();
  }
  w.field_i64(3, m.num_rows);
  w.list_header(4, thrift::kStruct, m.row_groups.size());
  for (const auto& g : m.row_groups) {
    w.begin_struct();
    w.list_header(1, thrift::kStruct, g.columns.size());
    for (const auto& c : g.columns) write_column_chunk(w, c);
    w.field_i64(2, g.total_byte_size);
    w.field_i64(3, g.num_rows);
    w.end_struct();
  }
  if (!m.created_by.empty()) w.field_binary(6, m.created_by);
  // Each leaf's statistics (min_value, max_value) follow its type's order; without
  // column_orders readers such as pyarrow treat the order as undefined and ignore them.
  size_t leaves = std::count_if(m.schema.begin(), m.schema.end(), [](auto& e) { return e.type; });
  w.list_header(7, thrift::kStruct, leaves);
  for (size_t i = 0; i < leaves; ++i) {
    w.begin_struct();
    w.field(1, thrift::kStruct);  // ColumnOrder.TYPE_ORDER: an empty TypeDefinedOrder
    w.begin_struct();
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  return w.bytes();
}

std::string serialize(const PageHeader& h) {
  CompactWriter w;
  w.begin_struct();
  w.field_i32(1, h.type);
  w.field_i32(2, h.uncompressed_page_size);
  w.field_i32(3, h.compressed_page_size);
  if (h.crc) w.field_i32(4, static_cast<int32_t>(*h.crc));
  if (h.data_page) {
    w.field(5, thrift::kStruct);
    w.begin_struct();
    w.field_i32(1, h.data_page->num_values);
    w.field_i32(2, h.data_page->encoding);
    w.field_i32(3, h.data_page->definition_level_encoding);
    w.field_i32(4, kRle);
    w.end_struct();
  }
  if (h.dictionary_page) {
    w.field(7, thrift::kStruct);
    w.begin_struct();
    w.field_i32(1, h.dictionary_page->num_values);
    w.field_i32(2, h.dictionary_page->encoding);
    w.end_struct();
  }
  w.end_struct();
  return w.bytes();
}

}  // namespace plinth::table::parquet
