#include "features/online_row.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "table/timestamp.h"

namespace plinth::features {
using nlohmann::json;

namespace {

// Encoding: u16 count, then per value: u8 name length, name, u8 tag, payload
// (tag 0 null; 1 int64 LE; 2 double LE; 3 u32 length + bytes; 4 u8 bool).
enum Tag : uint8_t { kNull = 0, kInt = 1, kFloat = 2, kText = 3, kBool = 4 };

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

struct Cursor {
  std::string_view s;
  size_t at = 0;
  template <typename T>
  T get() {
    if (at + sizeof(T) > s.size()) bad();
    T v;
    std::memcpy(&v, s.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  std::string_view bytes(size_t n) {
    if (at + n > s.size()) bad();
    auto v = s.substr(at, n);
    at += n;
    return v;
  }
  [[noreturn]] static void bad() {
    throw Error(ErrorCode::kCorrupted,
                "an online-store record is truncated or not a Plinth row; "
                "re-run `plinth features materialize` to rewrite it");
  }
};

std::string base64(std::string_view in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += k[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += k[(n >> 18) & 63];
    out += k[(n >> 12) & 63];
    out += k[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

std::string encode_row(const std::vector<std::string>& names, const std::vector<Value>& values) {
  std::string out;
  put<uint16_t>(out, static_cast<uint16_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    out += static_cast<char>(names[i].size());
    out += names[i];
    const Value& v = values[i];
    if (auto* n = std::get_if<int64_t>(&v)) {
      out += char(kInt);
      put(out, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      out += char(kFloat);
      put(out, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      out += char(kText);
      put<uint32_t>(out, static_cast<uint32_t>(s->size()));
      out += *s;
    } else if (auto* b = std::get_if<bool>(&v)) {
      out += char(kBool);
      out += char(*b ? 1 : 0);
    } else {
      out += char(kNull);
    }
  }
  return out;
}

std::vector<NamedValue> decode_row(std::string_view bytes) {
  Cursor c{bytes};
  size_t n = c.get<uint16_t>();
  std::vector<NamedValue> out(n);
  for (auto& nv : out) {
    nv.name = c.bytes(c.get<uint8_t>());
    switch (c.get<uint8_t>()) {
      case kNull:
        break;
      case kInt:
        nv.value = c.get<int64_t>();
        break;
      case kFloat:
        nv.value = c.get<double>();
        break;
      case kText:
        nv.value = std::string(c.bytes(c.get<uint32_t>()));
        break;
      case kBool:
        nv.value = c.get<uint8_t>() != 0;
        break;
      default:
        Cursor::bad();
    }
  }
  return out;
}

Value cell_value(const table::Column& column, size_t row, ValueType type) {
  if (column.is_null(row)) return {};
  switch (column.type) {
    case table::ColumnType::kFloat64: {
      double d = column.f64[row];
      if (std::isnan(d)) return {};
      if (type == ValueType::kInt32 || type == ValueType::kInt64) return int64_t(d);
      if (type == ValueType::kFloat32) return double(float(d));
      return d;
    }
    case table::ColumnType::kInt64:
    case table::ColumnType::kTimestamp:
      if (type == ValueType::kFloat32 || type == ValueType::kFloat64)
        return double(column.i64[row]);
      return column.i64[row];
    case table::ColumnType::kBool:
      return column.b[row] != 0;
    case table::ColumnType::kString:
      return std::string(column.string_at(row));
  }
  return {};
}

nlohmann::ordered_json value_json(const Value& value, ValueType type) {
  if (auto* n = std::get_if<int64_t>(&value)) {
    if (type == ValueType::kUnixTimestamp) return table::format_timestamp(*n);
    return *n;
  }
  if (auto* d = std::get_if<double>(&value)) {
    if (type == ValueType::kFloat32) return float(*d);
    return *d;
  }
  if (auto* s = std::get_if<std::string>(&value)) {
    if (type == ValueType::kBytes) return base64(*s);
    return *s;
  }
  if (auto* b = std::get_if<bool>(&value)) return *b;
  return nullptr;
}

std::optional<Value> json_value(const json& j, ValueType type) {
  if (j.is_null()) return Value{};
  switch (type) {
    case ValueType::kInt32:
    case ValueType::kInt64:
      if (j.is_number_integer()) return Value{j.get<int64_t>()};
      if (j.is_number_float()) {
        double d = j.get<double>();
        if (std::floor(d) == d && std::abs(d) < 9.2e18) return Value{int64_t(d)};
      }
      return std::nullopt;
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      if (j.is_number()) return Value{j.get<double>()};
      return std::nullopt;
    case ValueType::kString:
    case ValueType::kBytes:
      if (j.is_string()) return Value{j.get<std::string>()};
      return std::nullopt;
    case ValueType::kBool:
      if (j.is_boolean()) return Value{j.get<bool>()};
      return std::nullopt;
    case ValueType::kUnixTimestamp:
      if (j.is_number_integer()) return Value{j.get<int64_t>() * 1'000'000'000};
      if (j.is_string())
        if (auto t = table::parse_timestamp(j.get<std::string>())) return Value{*t};
      return std::nullopt;
  }
  return std::nullopt;
}

std::string entity_key(const std::vector<Value>& join_values) {
  std::string key;
  for (size_t i = 0; i < join_values.size(); ++i) {
    if (i) key += '\x1f';
    const Value& v = join_values[i];
    if (auto* n = std::get_if<int64_t>(&v))
      key += std::to_string(*n);
    else if (auto* s = std::get_if<std::string>(&v))
      key += *s;
    else if (auto* b = std::get_if<bool>(&v))
      key += *b ? "true" : "false";
    else if (auto* d = std::get_if<double>(&v))
      key += std::to_string(*d);
  }
  return key;
}

}  // namespace plinth::features
