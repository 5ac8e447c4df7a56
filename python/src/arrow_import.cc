#include "arrow_import.h"

#include <cstring>
#include <string_view>

#include "core/error.h"

namespace plinth::python {
using table::Column;
using table::ColumnType;

namespace {

[[noreturn]] void unsupported(const std::string& column, const std::string& format) {
  throw Error(ErrorCode::kInvalidInput,
              "column '" + column + "' has Arrow type '" + format +
                  "', which Plinth cannot score; cast it to a number, bool, string or timestamp");
}

bool bit(const void* bitmap, int64_t i) {
  return (static_cast<const uint8_t*>(bitmap)[i >> 3] >> (i & 7)) & 1;
}

// `valid` from the validity bitmap (empty when every value is present).
void read_validity(const ArrowArray& a, Column& c) {
  if (a.null_count == 0 || a.n_buffers == 0 || !a.buffers[0]) return;
  c.valid.resize(a.length);
  for (int64_t i = 0; i < a.length; ++i) c.valid[i] = bit(a.buffers[0], a.offset + i);
}

template <typename T, typename Out>
void copy_values(const ArrowArray& a, std::vector<Out>& out) {
  const T* v = static_cast<const T*>(a.buffers[1]) + a.offset;
  out.resize(a.length);
  for (int64_t i = 0; i < a.length; ++i) out[i] = static_cast<Out>(v[i]);
}

template <typename Offset>
void copy_strings(const ArrowArray& a, table::Strings& out) {
  const Offset* offsets = static_cast<const Offset*>(a.buffers[1]) + a.offset;
  const char* data = static_cast<const char*>(a.buffers[2]);
  out.reserve(a.length, static_cast<size_t>(offsets[a.length] - offsets[0]));
  for (int64_t i = 0; i < a.length; ++i)
    out.push_back(std::string_view(data + offsets[i], offsets[i + 1] - offsets[i]));
}

// Arrow's string_view layout: 16-byte views, short strings inline, long ones in data buffers.
void copy_string_views(const ArrowArray& a, table::Strings& out) {
  const uint8_t* views = static_cast<const uint8_t*>(a.buffers[1]) + 16 * a.offset;
  out.reserve(a.length, 0);
  for (int64_t i = 0; i < a.length; ++i) {
    const uint8_t* view = views + 16 * i;
    int32_t length, buffer, offset;
    std::memcpy(&length, view, 4);
    if (length <= 12) {
      out.push_back(std::string_view(reinterpret_cast<const char*>(view + 4), length));
      continue;
    }
    std::memcpy(&buffer, view + 8, 4);
    std::memcpy(&offset, view + 12, 4);
    const char* data = static_cast<const char*>(a.buffers[2 + buffer]);
    out.push_back(std::string_view(data + offset, length));
  }
}

// Plain strings of a utf8, large_utf8 or utf8_view array; false for another format.
bool read_strings(std::string_view format, const ArrowArray& a, table::Strings& out) {
  if (format == "u")
    copy_strings<int32_t>(a, out);
  else if (format == "U")
    copy_strings<int64_t>(a, out);
  else if (format == "vu")
    copy_string_views(a, out);
  else
    return false;
  return true;
}

// Integer dictionary indices as int32 codes (-1 stays for nulls, which `valid` marks).
void read_codes(std::string_view format, const ArrowArray& a, std::vector<int32_t>& codes,
                const std::string& name) {
  std::vector<int64_t> wide;
  switch (format.size() == 1 ? format[0] : '?') {
    case 'c':
      copy_values<int8_t>(a, wide);
      break;
    case 'C':
      copy_values<uint8_t>(a, wide);
      break;
    case 's':
      copy_values<int16_t>(a, wide);
      break;
    case 'S':
      copy_values<uint16_t>(a, wide);
      break;
    case 'i':
      copy_values<int32_t>(a, wide);
      break;
    case 'I':
      copy_values<uint32_t>(a, wide);
      break;
    case 'l':
      copy_values<int64_t>(a, wide);
      break;
    case 'L':
      copy_values<uint64_t>(a, wide);
      break;
    default:
      unsupported(name, std::string(format));
  }
  codes.assign(wide.begin(), wide.end());
}

Column import_column(const ArrowSchema& s, const ArrowArray& a) {
  std::string name = s.name ? s.name : "";
  std::string_view format = s.format;
  if (s.dictionary) {
    Column c(name, ColumnType::kString);
    if (!read_strings(s.dictionary->format, *a.dictionary, c.dict))
      unsupported(name, "dictionary of " + std::string(s.dictionary->format));
    read_codes(format, a, c.codes, name);
    read_validity(a, c);
    for (size_t i = 0; i < c.codes.size(); ++i)
      if (c.is_null(i)) c.codes[i] = 0;
    if (c.dict.size() == 0 && !c.codes.empty()) {  // all null: plain empty strings
      c.codes.clear();
      for (size_t i = 0; i < c.valid.size(); ++i) c.str.push_back("");
    }
    return c;
  }
  if (format == "n") {
    Column c(name, ColumnType::kFloat64);
    c.f64.assign(a.length, 0.0);
    c.valid.assign(a.length, 0);
    return c;
  }
  if (format == "b") {
    Column c(name, ColumnType::kBool);
    c.b.resize(a.length);
    for (int64_t i = 0; i < a.length; ++i) c.b[i] = bit(a.buffers[1], a.offset + i);
    read_validity(a, c);
    return c;
  }
  if (format == "g" || format == "f") {
    Column c(name, ColumnType::kFloat64);
    if (format == "g")
      copy_values<double>(a, c.f64);
    else
      copy_values<float>(a, c.f64);
    read_validity(a, c);
    return c;
  }
  if (format.size() == 1 && std::string_view("cCsSiIlL").find(format[0]) != std::string::npos) {
    Column c(name, ColumnType::kInt64);
    switch (format[0]) {
      case 'c':
        copy_values<int8_t>(a, c.i64);
        break;
      case 'C':
        copy_values<uint8_t>(a, c.i64);
        break;
      case 's':
        copy_values<int16_t>(a, c.i64);
        break;
      case 'S':
        copy_values<uint16_t>(a, c.i64);
        break;
      case 'i':
        copy_values<int32_t>(a, c.i64);
        break;
      case 'I':
        copy_values<uint32_t>(a, c.i64);
        break;
      case 'l':
        copy_values<int64_t>(a, c.i64);
        break;
      default:
        copy_values<uint64_t>(a, c.i64);
        break;
    }
    read_validity(a, c);
    return c;
  }
  if (format.substr(0, 2) == "ts" && format.size() >= 4 && format[3] == ':') {
    Column c(name, ColumnType::kTimestamp);
    copy_values<int64_t>(a, c.i64);
    int64_t scale = format[2] == 's'   ? 1000000000
                    : format[2] == 'm' ? 1000000
                    : format[2] == 'u' ? 1000
                                       : 1;
    if (scale != 1)
      for (auto& v : c.i64) v *= scale;
    read_validity(a, c);
    return c;
  }
  Column c(name, ColumnType::kString);
  if (!read_strings(format, a, c.str)) unsupported(name, std::string(format));
  read_validity(a, c);
  return c;
}

}  // namespace

table::Table import_record_batch(const ArrowSchema& schema, const ArrowArray& array) {
  if (std::string_view(schema.format) != "+s")
    throw Error(ErrorCode::kInvalidInput, "expected a record batch (Arrow struct array), got '" +
                                              std::string(schema.format) + "'");
  std::vector<Column> columns;
  columns.reserve(schema.n_children);
  for (int64_t k = 0; k < schema.n_children; ++k) {
    ArrowArray child = *array.children[k];
    // A sliced batch offsets the struct; its children carry their own offsets besides.
    child.offset += array.offset;
    child.length = array.length;
    columns.push_back(import_column(*schema.children[k], child));
  }
  return table::Table(std::move(columns));
}

}  // namespace plinth::python
