#include "table/internal/thrift_compact.h"

#include <cstring>

#include "core/error.h"

namespace plinth::table::thrift {

namespace {
constexpr int kMaxDepth = 32;
}

void CompactReader::fail(const std::string& what) const {
  throw Error(ErrorCode::kCorrupted, context_ + ": corrupt Thrift metadata at byte " +
                                         std::to_string(pos_) + ": " + what +
                                         "; the file is damaged or not Parquet");
}

uint8_t CompactReader::byte() {
  if (pos_ >= data_.size()) fail("unexpected end of data");
  return static_cast<uint8_t>(data_[pos_++]);
}

uint64_t CompactReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = byte();
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail("a variable-length integer is too long");
}

int64_t CompactReader::zigzag() {
  uint64_t v = varint();
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

void CompactReader::expect(uint8_t actual, uint8_t wanted) {
  if (actual != wanted)
    fail("field of wire type " + std::to_string(actual) + " where type " + std::to_string(wanted) +
         " belongs");
}

void CompactReader::enter() {
  if (++depth_ > kMaxDepth) fail("structures nested too deeply");
}

bool CompactReader::read_bool(uint8_t type) {
  if (type == kTrue) return true;
  if (type == kFalse) return false;
  // Inside lists a bool is a whole byte.
  return byte() == kTrue;
}

int32_t CompactReader::read_i32(uint8_t type) {
  if (type == kByte) return static_cast<int8_t>(byte());
  if (type != kI16) expect(type, kI32);
  int64_t v = zigzag();
  if (v < INT32_MIN || v > INT32_MAX) fail("a 32-bit integer is out of range");
  return static_cast<int32_t>(v);
}

int64_t CompactReader::read_i64(uint8_t type) {
  if (type != kI32 && type != kI16) expect(type, kI64);
  return zigzag();
}

double CompactReader::read_double(uint8_t type) {
  expect(type, kDouble);
  if (data_.size() - pos_ < 8) fail("unexpected end of data");
  double v;
  std::memcpy(&v, data_.data() + pos_, 8);
  pos_ += 8;
  return v;
}

std::string CompactReader::read_binary(uint8_t type) {
  expect(type, kBinary);
  uint64_t n = varint();
  if (n > data_.size() - pos_) fail("a string is longer than the data");
  std::string s(data_.substr(pos_, n));
  pos_ += n;
  return s;
}

void CompactReader::skip(uint8_t type) {
  switch (type) {
    case kTrue:
    case kFalse:
      return;
    case kByte:
      byte();
      return;
    case kI16:
    case kI32:
    case kI64:
      varint();
      return;
    case kDouble:
      read_double(type);
      return;
    case kBinary:
      read_binary(type);
      return;
    case kList:
    case kSet:
      read_list(kList, [&](uint8_t elem) {
        if (elem == kTrue || elem == kFalse)
          byte();
        else
          skip(elem);
      });
      return;
    case kMap: {
      enter();
      uint64_t n = varint();
      if (n > data_.size() - pos_) fail("a map claims more entries than there are bytes");
      if (n > 0) {
        uint8_t kv = byte();
        for (uint64_t i = 0; i < n; ++i) {
          skip(kv >> 4);
          skip(kv & 0x0f);
        }
      }
      --depth_;
      return;
    }
    case kStruct:
      read_struct([&](int16_t, uint8_t t) { skip(t); });
      return;
    default:
      fail("unknown wire type " + std::to_string(type));
  }
}

void CompactWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void CompactWriter::field(int16_t id, WireType type) {
  int16_t delta = id - last_ids_.back();
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | type));
  } else {
    out_.push_back(static_cast<char>(type));
    zigzag(id);
  }
  last_ids_.back() = id;
}

void CompactWriter::field_bool(int16_t id, bool v) { field(id, v ? kTrue : kFalse); }

void CompactWriter::field_i32(int16_t id, int32_t v) {
  field(id, kI32);
  zigzag(v);
}

void CompactWriter::field_i64(int16_t id, int64_t v) {
  field(id, kI64);
  zigzag(v);
}

void CompactWriter::field_binary(int16_t id, std::string_view v) {
  field(id, kBinary);
  element_binary(v);
}

void CompactWriter::element_binary(std::string_view v) {
  varint(v.size());
  out_.append(v);
}

void CompactWriter::list_header(int16_t id, WireType type, size_t n) {
  field(id, kList);
  if (n < 15) {
    out_.push_back(static_cast<char>((n << 4) | type));
  } else {
    out_.push_back(static_cast<char>(0xf0 | type));
    varint(n);
  }
}

}  // namespace plinth::table::thrift
