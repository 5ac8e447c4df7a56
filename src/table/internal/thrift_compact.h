#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::table::thrift {

// The Thrift compact protocol, just as much as Parquet metadata needs. The reader trusts
// nothing: every length is checked against the bytes left, nesting is limited, and any
// violation throws Error(kCorrupted) starting with the reader's context (the file name).
enum WireType : uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class CompactReader {
 public:
  CompactReader(std::string_view data, std::string context)
      : data_(data), context_(std::move(context)) {}

  size_t position() const { return pos_; }

  // Calls on_field(id, type) for each field until the stop field. on_field reads the value
  // with one of the typed readers below, or calls skip(type).
  template <typename OnField>
  void read_struct(OnField&& on_field) {
    enter();
    int16_t last_id = 0;
    for (;;) {
      uint8_t header = byte();
      uint8_t type = header & 0x0f;
      if (type == kStop) break;
      int16_t delta = header >> 4;
      int16_t id = delta ? static_cast<int16_t>(last_id + delta) : static_cast<int16_t>(zigzag());
      last_id = id;
      on_field(id, type);
    }
    --depth_;
  }

  // Calls on_element(type) for each element of a list or set.
  template <typename OnElement>
  void read_list(uint8_t type, OnElement&& on_element) {
    expect(type, kList);
    enter();
    uint8_t header = byte();
    uint64_t n = header >> 4;
    if (n == 15) n = varint();
    uint8_t elem = header & 0x0f;
    if (n > data_.size() - pos_) fail("a list claims more elements than there are bytes");
    for (uint64_t i = 0; i < n; ++i) on_element(elem);
    --depth_;
  }

  bool read_bool(uint8_t type);
  int32_t read_i32(uint8_t type);
  int64_t read_i64(uint8_t type);
  double read_double(uint8_t type);
  std::string read_binary(uint8_t type);
  void skip(uint8_t type);

  [[noreturn]] void fail(const std::string& what) const;

 private:
  uint8_t byte();
  uint64_t varint();
  int64_t zigzag();
  void expect(uint8_t actual, uint8_t wanted);
  void enter();

  std::string_view data_;
  std::string context_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// Writes the compact protocol. Field ids must increase within a struct.
class CompactWriter {
 public:
  const std::string& bytes() const { return out_; }

  void begin_struct() { last_ids_.push_back(0); }
  void end_struct() {
    out_.push_back(kStop);
    last_ids_.pop_back();
  }
  void field(int16_t id, WireType type);
  void field_bool(int16_t id, bool v);
  void field_i32(int16_t id, int32_t v);
  void field_i64(int16_t id, int64_t v);
  void field_binary(int16_t id, std::string_view v);
  // A list header; the caller then writes `n` elements of `type`.
  void list_header(int16_t id, WireType type, size_t n);
  void element_i32(int32_t v) { zigzag(v); }
  void element_binary(std::string_view v);

 private:
  void varint(uint64_t v);
  void zigzag(int64_t v) {
    varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }

  std::string out_;
  std::vector<int16_t> last_ids_;
};

}  // namespace plinth::table::thrift
