#include "table/internal/chunk_decoder.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "table/internal/codecs.h"
#include "table/internal/encodings.h"

namespace plinth::table::parquet {

namespace {

constexpr int64_t kMaxPageValues = int64_t{1} << 26;
constexpr int64_t kMaxPageBytes = int64_t{1} << 30;
constexpr int64_t kNanosPerDay = 86'400'000'000'000;
constexpr int64_t kJulianEpochDay = 2'440'588;  // Julian day number of 1970-01-01

bool is_decimal(const SchemaElement& e) {
  return e.logical.kind == LogicalType::kDecimal || e.converted_type == kDecimalCt;
}
int decimal_scale(const SchemaElement& e) {
  return e.logical.kind == LogicalType::kDecimal ? e.logical.scale : e.scale;
}
bool is_unsigned(const SchemaElement& e) {
  return (e.logical.kind == LogicalType::kInteger && !e.logical.is_signed) ||
         (e.converted_type && *e.converted_type >= kUint8 && *e.converted_type <= kUint64);
}

// Values of one page in their physical form, before logical conversion.
struct PhysicalValues {
  std::vector<int64_t> ints;  // INT32 (sign-extended), INT64, INT96 as nanoseconds
  std::vector<uint8_t> int96_out_of_range;
  std::vector<double> doubles;
  std::vector<uint8_t> bools;
  std::vector<std::string_view> bytes;
  std::string storage;  // backs `bytes` where they are not in the page
};

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The double nearest to `digits` (decimal, no sign) * 10^-scale, negated if `negative`.
double decimal_text_to_double(bool negative, std::string digits, int scale) {
  digits = (negative ? "-" : "") + digits + "e" + std::to_string(-scale);
  double v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

// DECIMAL to the nearest double. Exact operands give one correctly rounded division; wider
// values go through their decimal digits, so that no digit is lost on the way.
double decimal_to_double(int64_t unscaled, int scale) {
  constexpr int64_t kExact = int64_t{1} << 53;
  if (unscaled >= -kExact && unscaled <= kExact && scale >= 0 && scale <= 22) {
    static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    return static_cast<double>(unscaled) / kPow10[scale];
  }
  uint64_t magnitude = unscaled < 0 ? 0 - static_cast<uint64_t>(unscaled) : unscaled;
  return decimal_text_to_double(unscaled < 0, std::to_string(magnitude), scale);
}

// DECIMAL stored as a big-endian two's complement integer of any width.
double decimal_bytes_to_double(std::string_view b, int scale) {
  bool negative = !b.empty() && (static_cast<unsigned char>(b[0]) & 0x80);
  if (b.size() <= 8) {
    uint64_t v = negative ? ~uint64_t{0} : 0;
    for (unsigned char c : b) v = v << 8 | c;
    return decimal_to_double(static_cast<int64_t>(v), scale);
  }
  // The magnitude (two's complement negated), then its decimal digits by long division.
  std::vector<uint8_t> mag(b.begin(), b.end());
  if (negative) {
    for (auto& x : mag) x = static_cast<uint8_t>(~x);
    for (size_t i = mag.size(); i-- > 0 && ++mag[i] == 0;) {
    }
  }
  std::string digits;
  size_t first = 0;
  while (first < mag.size() && mag[first] == 0) ++first;
  while (first < mag.size()) {
    unsigned rem = 0;
    for (size_t i = first; i < mag.size(); ++i) {
      unsigned cur = rem * 256 + mag[i];
      mag[i] = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
    while (first < mag.size() && mag[first] == 0) ++first;
  }
  if (digits.empty()) digits = "0";
  std::reverse(digits.begin(), digits.end());
  return decimal_text_to_double(negative, std::move(digits), scale);
}

double half_to_double(std::string_view b) {
  if (b.size() != 2) return NAN;
  uint16_t h = static_cast<uint8_t>(b[0]) | static_cast<uint8_t>(b[1]) << 8;
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v = exp == 0    ? std::ldexp(mant, -24)
             : exp == 31 ? (mant ? NAN : INFINITY)
                         : std::ldexp(mant + 1024, exp - 25);
  return h & 0x8000 ? -v : v;
}

// Decodes one column chunk of one row group.
class ChunkDecoder {
 public:
  // Appends the chunk's rows to `out`, which has the leaf's name and type.
  ChunkDecoder(const Leaf& leaf, const ColumnMetaData& meta, std::string_view bytes,
               std::string context, int64_t rows, Column& out)
      : leaf_(leaf),
        e_(*leaf.element),
        meta_(meta),
        bytes_(bytes),
        context_(std::move(context)),
        rows_(rows),
        out_(out) {}

  void decode() {
    try {
      read_pages();
    } catch (const DecodeError& d) {
      throw Error(ErrorCode::kCorrupted, context_ + ": " + d.what);
    }
    if (out_of_range_ > 0)
      spdlog::warn("{}: {} timestamps are outside the years 1677-2262 and read as null", context_,
                   out_of_range_);
  }

 private:
  void read_pages() {
    size_t pos = 0;
    int64_t read = 0;
    while (read < rows_) {
      if (pos >= bytes_.size())
        decode_error("the column chunk ends after " + std::to_string(read) + " of " +
                     std::to_string(rows_) + " rows");
      size_t used = 0;
      PageHeader h = parse_page_header(bytes_.substr(pos), used, context_);
      pos += used;
      if (h.compressed_page_size < 0 ||
          static_cast<uint64_t>(h.compressed_page_size) > bytes_.size() - pos)
        decode_error("a page runs past the end of its column chunk");
      if (h.uncompressed_page_size < 0 || h.uncompressed_page_size > kMaxPageBytes)
        decode_error("a page has a bad uncompressed size");
      std::string_view page = bytes_.substr(pos, h.compressed_page_size);
      pos += h.compressed_page_size;
      if (h.crc && crc32(0, reinterpret_cast<const Bytef*>(page.data()), page.size()) != *h.crc)
        throw Error(ErrorCode::kCorrupted,
                    context_ + ": page checksum (CRC) mismatch: the file is damaged");
      if (h.type == kDictionaryPage) {
        read_dictionary(h, page);
      } else if (h.type == kDataPage || h.type == kDataPageV2) {
        read += read_data_page(h, page);
        if (read > rows_) decode_error("the pages hold more rows than the row group");
      }
    }
  }

  void read_dictionary(const PageHeader& h, std::string_view page) {
    if (!h.dictionary_page) decode_error("a dictionary page without its header");
    if (have_dict_) decode_error("a second dictionary page");
    int32_t n = h.dictionary_page->num_values;
    if (n < 0) decode_error("a dictionary with a negative size");
    PhysicalValues pv;
    decode_plain(decompress(meta_.codec, page, h.uncompressed_page_size, scratch()), n, pv);
    dict_ = Column(leaf_.path, leaf_.type);
    convert(pv, dict_);
    have_dict_ = true;
    // Strings stay dictionary-encoded across chunks: a chunk's dictionary is merged into the
    // column's while the merged one stays small next to the rows.
    if (leaf_.type == ColumnType::kString && dict_.size() > 0) {
      if (out_.size() == 0) {
        out_.str = Strings();
        out_.dict = dict_.str;
        use_codes_ = true;
      } else if (out_.has_dictionary()) {
        use_codes_ = out_.dict == dict_.str || merge_dictionary();
      }
    }
  }

  // Adds this chunk's dictionary entries to the column's and sets remap_ from chunk codes to
  // column codes; false (nothing changed) when the merged dictionary would be too large.
  bool merge_dictionary() {
    if (out_.dict.size() + dict_.size() > out_.size() / 2 + 4096) return false;
    std::unordered_map<std::string, int32_t> codes;
    for (size_t i = 0; i < out_.dict.size(); ++i)
      codes.emplace(out_.dict[i], static_cast<int32_t>(i));
    remap_.resize(dict_.size());
    for (size_t i = 0; i < dict_.size(); ++i) {
      auto [it, added] = codes.emplace(dict_.str[i], static_cast<int32_t>(out_.dict.size()));
      if (added) out_.dict.push_back(dict_.str[i]);
      remap_[i] = it->second;
    }
    return true;
  }

  // Returns the number of rows in the page.
  int64_t read_data_page(const PageHeader& h, std::string_view page) {
    int64_t n;
    int32_t encoding;
    std::string_view levels, values;
    if (h.type == kDataPage) {
      if (!h.data_page) decode_error("a data page without its header");
      n = h.data_page->num_values;
      encoding = h.data_page->encoding;
      values = decompress(meta_.codec, page, h.uncompressed_page_size, scratch());
      if (leaf_.max_def > 0) {
        if (h.data_page->definition_level_encoding != kRle)
          decode_error("definition levels in an encoding other than RLE");
        if (values.size() < 4) decode_error("a data page too short for its levels");
        uint32_t len = load<uint32_t>(values.data());
        if (len > values.size() - 4) decode_error("definition levels run past the page");
        levels = values.substr(4, len);
        values = values.substr(4 + len);
      }
    } else {
      if (!h.data_page_v2) decode_error("a v2 data page without its header");
      const DataPageHeaderV2& v2 = *h.data_page_v2;
      n = v2.num_values;
      encoding = v2.encoding;
      int64_t rep_len = v2.repetition_levels_byte_length,
              def_len = v2.definition_levels_byte_length;
      if (rep_len < 0 || def_len < 0 || rep_len + def_len > static_cast<int64_t>(page.size()) ||
          rep_len + def_len > h.uncompressed_page_size)
        decode_error("a v2 page's level lengths do not fit the page");
      levels = page.substr(rep_len, def_len);
      std::string_view body = page.substr(rep_len + def_len);
      size_t body_size = h.uncompressed_page_size - rep_len - def_len;
      // A page whose values are all null may have an empty values section and still be
      // flagged compressed: there is nothing to decompress then.
      if (v2.is_compressed && meta_.codec != kUncompressed && !(body.empty() && body_size == 0)) {
        values = decompress(meta_.codec, body, body_size, scratch());
      } else {
        values = body;
      }
    }
    if (n < 0 || n > kMaxPageValues) decode_error("a page with a bad number of values");
    std::vector<uint8_t> defs;
    size_t present = static_cast<size_t>(n);
    if (leaf_.max_def > 0) {
      std::vector<uint32_t> raw(n);
      RleDecoder(levels, bit_width(leaf_.max_def)).decode(raw.data(), n);
      defs.resize(n);
      present = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (raw[i] > static_cast<uint32_t>(leaf_.max_def))
          decode_error("a definition level out of range");
        defs[i] = raw[i] == static_cast<uint32_t>(leaf_.max_def);
        present += defs[i];
      }
    }
    if (present == static_cast<size_t>(n)) {
      if (encoding == kPlain && append_plain(values, n)) return n;
      if ((encoding == kRleDictionary || encoding == kPlainDictionary) &&
          append_dictionary(values, n))
        return n;
    }
    Column vals(leaf_.path, leaf_.type);
    decode_values(encoding, values, present, vals);
    if (vals.size() != present) decode_error("a page holds fewer values than its levels say");
    scatter(vals, defs, n);
    return n;
  }

  // PLAIN DOUBLE, INT64 and STRING pages without nulls, copied straight into the output.
  // False for other columns.
  bool append_plain(std::string_view data, size_t n) {
    bool f64 = *e_.type == Type::kDouble && out_.type == ColumnType::kFloat64;
    bool i64 = *e_.type == Type::kInt64 && out_.type == ColumnType::kInt64;
    bool str = *e_.type == Type::kByteArray && out_.type == ColumnType::kString;
    if (!(f64 || i64 || str) || use_codes_ || out_.has_dictionary()) return false;
    if (str) {
      for (size_t i = 0, pos = 0; i < n; ++i) {
        if (data.size() - pos < 4) decode_error("PLAIN byte arrays run past the end of the page");
        uint32_t len = load<uint32_t>(data.data() + pos);
        pos += 4;
        if (len > data.size() - pos)
          decode_error("a PLAIN byte array runs past the end of the page");
        out_.str.push_back(data.substr(pos, len));
        pos += len;
      }
    } else {
      need(data, n, 8);
      auto append = [&](auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        // Aligned values (the usual case: the levels before them take a multiple of 8 bytes)
        // are appended as they are; others through zero-filled room.
        if (reinterpret_cast<uintptr_t>(data.data()) % alignof(T) == 0) {
          const T* values = reinterpret_cast<const T*>(data.data());
          v.insert(v.end(), values, values + n);
          return;
        }
        size_t old = v.size();
        v.resize(old + n);
        if (n) std::memcpy(v.data() + old, data.data(), 8 * n);
      };
      f64 ? append(out_.f64) : append(out_.i64);
    }
    if (!out_.valid.empty()) out_.valid.resize(out_.valid.size() + n, 1);
    return true;
  }

  // Dictionary-encoded numbers without nulls, looked up straight into the output. False for
  // other columns.
  bool append_dictionary(std::string_view data, size_t n) {
    bool f64 = out_.type == ColumnType::kFloat64,
         i64 = out_.type == ColumnType::kInt64 || out_.type == ColumnType::kTimestamp;
    if (!(f64 || i64) || !have_dict_ || !dict_.valid.empty() || data.empty()) return false;
    std::vector<uint32_t> idx(n);
    RleDecoder(data.substr(1), static_cast<uint8_t>(data[0])).decode(idx.data(), n);
    const size_t dict_size = dict_.size();
    for (uint32_t i : idx)
      if (i >= dict_size)
        decode_error("dictionary index " + std::to_string(i) + " is beyond the dictionary's " +
                     std::to_string(dict_size) + " values");
    auto gather = [&](auto& to, const auto& from) {
      for (uint32_t i : idx) to.push_back(from[i]);
    };
    f64 ? gather(out_.f64, dict_.f64) : gather(out_.i64, dict_.i64);
    if (!out_.valid.empty()) out_.valid.resize(out_.valid.size() + n, 1);
    return true;
  }

  void decode_values(int32_t encoding, std::string_view data, size_t n, Column& vals) {
    if (encoding == kPlainDictionary || encoding == kRleDictionary) {
      if (!have_dict_) decode_error("dictionary-encoded values without a dictionary page");
      if (data.empty()) {
        if (n) decode_error("dictionary indices are missing");
        return;
      }
      int width = static_cast<uint8_t>(data[0]);
      std::vector<uint32_t> idx(n);
      RleDecoder(data.substr(1), width).decode(idx.data(), n);
      const size_t dict_size = dict_.size();  // Column::size() is a call: once, not per value
      for (uint32_t i : idx)
        if (i >= dict_size)
          decode_error("dictionary index " + std::to_string(i) + " is beyond the dictionary's " +
                       std::to_string(dict_size) + " values");
      if (use_codes_) {
        vals.codes.resize(n);
        for (size_t i = 0; i < n; ++i)
          vals.codes[i] = remap_.empty() ? static_cast<int32_t>(idx[i]) : remap_[idx[i]];
      } else {
        gather(dict_, idx, vals);
      }
      return;
    }
    if (use_codes_) {
      out_.materialize_strings();
      use_codes_ = false;
    }
    PhysicalValues pv;
    Type t = *e_.type;
    switch (encoding) {
      case kPlain:
        decode_plain(data, n, pv);
        break;
      case kRle: {
        if (t != Type::kBoolean) decode_error("RLE encoding for a non-boolean column");
        if (data.size() < 4) decode_error("RLE booleans without their length");
        uint32_t len = load<uint32_t>(data.data());
        if (len > data.size() - 4) decode_error("RLE booleans run past the page");
        std::vector<uint32_t> bits(n);
        RleDecoder(data.substr(4, len), 1).decode(bits.data(), n);
        pv.bools.assign(bits.begin(), bits.end());
        break;
      }
      case kDeltaBinaryPacked: {
        if (t != Type::kInt32 && t != Type::kInt64)
          decode_error("DELTA_BINARY_PACKED for a column that is not INT32 or INT64");
        size_t used;
        pv.ints = decode_delta_binary_packed(data, n, used);
        if (t == Type::kInt32)
          for (auto& v : pv.ints) v = static_cast<int32_t>(v);
        break;
      }
      case kDeltaLengthByteArray:
        if (t != Type::kByteArray)
          decode_error("DELTA_LENGTH_BYTE_ARRAY for a non-BYTE_ARRAY column");
        pv.bytes = decode_delta_length_byte_array(data, n);
        break;
      case kDeltaByteArray:
        if (t != Type::kByteArray && t != Type::kFixedLenByteArray)
          decode_error("DELTA_BYTE_ARRAY for a column that is not a byte array");
        pv.bytes = decode_delta_byte_array(data, n, pv.storage);
        break;
      case kByteStreamSplit: {
        size_t width = physical_width();
        if (width == 0 || t == Type::kInt96) decode_error("BYTE_STREAM_SPLIT for this column type");
        std::string joined = byte_stream_join(data, width, n);
        decode_plain(joined, n, pv);
        if (!pv.bytes.empty()) {  // views into `joined`: copy them out
          pv.storage = std::move(joined);
          for (size_t i = 0; i < n; ++i)
            pv.bytes[i] = std::string_view(pv.storage).substr(i * width, width);
        }
        break;
      }
      default:
        decode_error("value encoding " + std::to_string(encoding) + " is not supported");
    }
    convert(pv, vals);
  }

  // vals = dict[idx[0]], dict[idx[1]], ... (indices checked).
  static void gather(const Column& dict, const std::vector<uint32_t>& idx, Column& vals) {
    auto take = [&](const auto& from, auto& to) {
      to.resize(idx.size());
      for (size_t i = 0; i < idx.size(); ++i) to[i] = from[idx[i]];
    };
    switch (dict.type) {
      case ColumnType::kFloat64:
        take(dict.f64, vals.f64);
        break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp:
        take(dict.i64, vals.i64);
        break;
      case ColumnType::kBool:
        take(dict.b, vals.b);
        break;
      case ColumnType::kString:
        for (uint32_t i : idx) vals.str.push_back(dict.str[i]);
        break;
    }
    if (!dict.valid.empty()) {
      vals.valid.resize(idx.size());
      for (size_t i = 0; i < idx.size(); ++i) vals.valid[i] = dict.valid[idx[i]];
    }
  }

  size_t physical_width() const {
    switch (*e_.type) {
      case Type::kInt32:
      case Type::kFloat:
        return 4;
      case Type::kInt64:
      case Type::kDouble:
        return 8;
      case Type::kFixedLenByteArray:
        return e_.type_length;
      default:
        return 0;
    }
  }

  void need(std::string_view data, size_t n, size_t width) {
    if (data.size() / width < n) decode_error("PLAIN values run past the end of the page");
  }

  void decode_plain(std::string_view data, size_t n, PhysicalValues& pv) {
    const char* p = data.data();
    switch (*e_.type) {
      case Type::kBoolean:
        if ((n + 7) / 8 > data.size()) decode_error("PLAIN booleans run past the end of the page");
        pv.bools.resize(n);
        for (size_t i = 0; i < n; ++i) pv.bools[i] = (p[i / 8] >> (i % 8)) & 1;
        break;
      case Type::kInt32:
        need(data, n, 4);
        pv.ints.resize(n);
        for (size_t i = 0; i < n; ++i) pv.ints[i] = load<int32_t>(p + 4 * i);
        break;
      case Type::kInt64:
        need(data, n, 8);
        pv.ints.resize(n);
        if (n) std::memcpy(pv.ints.data(), p, 8 * n);
        break;
      case Type::kInt96:
        need(data, n, 12);
        pv.ints.resize(n);
        pv.int96_out_of_range.resize(n);
        for (size_t i = 0; i < n; ++i) {
          int64_t nanos_of_day = load<int64_t>(p + 12 * i);
          int64_t day = static_cast<int64_t>(load<uint32_t>(p + 12 * i + 8)) - kJulianEpochDay;
          int64_t v;
          bool bad = __builtin_mul_overflow(day, kNanosPerDay, &v) ||
                     __builtin_add_overflow(v, nanos_of_day, &v);
          pv.ints[i] = bad ? 0 : v;
          pv.int96_out_of_range[i] = bad;
        }
        break;
      case Type::kFloat:
        need(data, n, 4);
        pv.doubles.resize(n);
        for (size_t i = 0; i < n; ++i) pv.doubles[i] = load<float>(p + 4 * i);
        break;
      case Type::kDouble:
        need(data, n, 8);
        pv.doubles.resize(n);
        if (n) std::memcpy(pv.doubles.data(), p, 8 * n);
        break;
      case Type::kByteArray: {
        need(data, n, 4);
        pv.bytes.resize(n);
        size_t pos = 0;
        for (size_t i = 0; i < n; ++i) {
          if (data.size() - pos < 4) decode_error("PLAIN byte arrays run past the end of the page");
          uint32_t len = load<uint32_t>(p + pos);
          pos += 4;
          if (len > data.size() - pos)
            decode_error("a PLAIN byte array runs past the end of the page");
          pv.bytes[i] = data.substr(pos, len);
          pos += len;
        }
        break;
      }
      case Type::kFixedLenByteArray: {
        size_t w = e_.type_length;
        need(data, n, w);
        pv.bytes.resize(n);
        for (size_t i = 0; i < n; ++i) pv.bytes[i] = data.substr(i * w, w);
        break;
      }
    }
  }

  // Physical values to the column's type, applying the logical type.
  void convert(PhysicalValues& pv, Column& c) {
    switch (c.type) {
      case ColumnType::kBool:
        c.b = std::move(pv.bools);
        break;
      case ColumnType::kInt64:
        c.i64 = std::move(pv.ints);
        if (*e_.type == Type::kInt32 && is_unsigned(e_))
          for (auto& v : c.i64) v = static_cast<uint32_t>(v);
        if (*e_.type == Type::kInt64 && is_unsigned(e_))
          for (int64_t v : c.i64)
            if (v < 0)
              throw Error(ErrorCode::kInvalidInput,
                          context_ + ": UINT64 value " + std::to_string(static_cast<uint64_t>(v)) +
                              " does not fit Plinth's int64 (at most 9223372036854775807); "
                              "leave the column out with --columns");
        break;
      case ColumnType::kTimestamp:
        convert_timestamps(pv, c);
        break;
      case ColumnType::kFloat64:
        if (is_decimal(e_)) {
          for (int64_t v : pv.ints) c.f64.push_back(decimal_to_double(v, decimal_scale(e_)));
          for (auto b : pv.bytes) c.f64.push_back(decimal_bytes_to_double(b, decimal_scale(e_)));
        } else if (e_.logical.kind == LogicalType::kFloat16) {
          for (auto b : pv.bytes) c.f64.push_back(half_to_double(b));
        } else {
          c.f64 = std::move(pv.doubles);
        }
        break;
      case ColumnType::kString: {
        size_t total = 0;
        for (auto b : pv.bytes) total += b.size();
        c.str.reserve(pv.bytes.size(), total);
        for (auto b : pv.bytes) c.str.push_back(b);
        break;
      }
    }
  }

  void convert_timestamps(PhysicalValues& pv, Column& c) {
    int64_t scale = 1;
    if (*e_.type == Type::kInt32) {
      scale = kNanosPerDay;  // DATE
    } else if (*e_.type == Type::kInt64) {
      TimeUnit unit = e_.logical.kind == LogicalType::kTimestamp ? e_.logical.unit
                      : e_.converted_type == kTimestampMillis    ? TimeUnit::kMillis
                                                                 : TimeUnit::kMicros;
      scale = unit == TimeUnit::kMillis ? 1'000'000 : unit == TimeUnit::kMicros ? 1'000 : 1;
    }
    c.i64.resize(pv.ints.size());
    for (size_t i = 0; i < pv.ints.size(); ++i) {
      bool bad = !pv.int96_out_of_range.empty() && pv.int96_out_of_range[i];
      bad = bad || __builtin_mul_overflow(pv.ints[i], scale, &c.i64[i]);
      if (bad) {
        if (c.valid.empty()) c.valid.assign(pv.ints.size(), 1);
        c.valid[i] = 0;
        c.i64[i] = 0;
        ++out_of_range_;
      }
    }
  }

  // Appends a page's values to the output, with nulls where the levels say so.
  void scatter(Column& vals, const std::vector<uint8_t>& defs, int64_t n) {
    size_t before = out_.size();
    bool any_null = !vals.valid.empty() || std::find(defs.begin(), defs.end(), 0) != defs.end();
    if (any_null && out_.valid.empty()) out_.valid.assign(before, 1);
    if (!any_null) {
      if (use_codes_)
        out_.codes.insert(out_.codes.end(), vals.codes.begin(), vals.codes.end());
      else
        out_.append(vals, 0, vals.size());
      if (!out_.valid.empty()) out_.valid.resize(out_.size(), 1);
      return;
    }
    if (defs.empty()) {  // required column with out-of-range timestamps
      out_.append(vals, 0, vals.size());
      return;
    }
    size_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
      bool present = defs[i];
      if (use_codes_) {
        out_.codes.push_back(present ? vals.codes[k] : 0);
      } else if (present) {
        out_.append(vals, k, k + 1);
      } else {
        out_.push_null();
      }
      if (use_codes_ && any_null) out_.valid.push_back(present && !vals.is_null(k));
      k += present;
    }
    if (!out_.valid.empty()) out_.valid.resize(out_.size(), 1);
  }

  const Leaf& leaf_;
  const SchemaElement& e_;
  const ColumnMetaData& meta_;
  std::string_view bytes_;
  std::string context_;
  int64_t rows_;
  // One decompression buffer per thread, reused across pages and chunks.
  static std::string& scratch() {
    thread_local std::string buffer;
    return buffer;
  }

  Column& out_;
  Column dict_;
  bool have_dict_ = false;
  bool use_codes_ = false;
  std::vector<int32_t> remap_;  // this chunk's dictionary codes -> the column's; empty: same
  size_t out_of_range_ = 0;
};

}  // namespace

ColumnType column_type(const SchemaElement& e) {
  switch (*e.type) {
    case Type::kBoolean:
      return ColumnType::kBool;
    case Type::kInt32:
      if (is_decimal(e)) return ColumnType::kFloat64;
      if (e.logical.kind == LogicalType::kDate || e.converted_type == kDateCt)
        return ColumnType::kTimestamp;
      return ColumnType::kInt64;
    case Type::kInt64:
      if (is_decimal(e)) return ColumnType::kFloat64;
      if (e.logical.kind == LogicalType::kTimestamp || e.converted_type == kTimestampMillis ||
          e.converted_type == kTimestampMicros)
        return ColumnType::kTimestamp;
      return ColumnType::kInt64;
    case Type::kInt96:
      return ColumnType::kTimestamp;
    case Type::kFloat:
    case Type::kDouble:
      return ColumnType::kFloat64;
    case Type::kByteArray:
      return is_decimal(e) ? ColumnType::kFloat64 : ColumnType::kString;
    case Type::kFixedLenByteArray:
      return is_decimal(e) || e.logical.kind == LogicalType::kFloat16 ? ColumnType::kFloat64
                                                                      : ColumnType::kString;
  }
  return ColumnType::kString;
}

void decode_column_chunk(const Leaf& leaf, const ColumnMetaData& meta, std::string_view bytes,
                         std::string context, int64_t rows, Column& out) {
  ChunkDecoder(leaf, meta, bytes, std::move(context), rows, out).decode();
}

}  // namespace plinth::table::parquet
