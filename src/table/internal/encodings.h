#pragma once

// Parquet's value and level encodings, on untrusted bytes: every decoder checks lengths and
// throws DecodeError (caught by the page reader, which adds the file and column).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::table::parquet {

struct DecodeError {
  std::string what;
};

[[noreturn]] inline void decode_error(std::string what) { throw DecodeError{std::move(what)}; }

// Bits needed for values up to `max_value`.
int bit_width(uint64_t max_value);

// The RLE/bit-packed hybrid encoding (levels, dictionary indices, RLE booleans), without a
// length prefix.
class RleDecoder {
 public:
  RleDecoder(std::string_view data, int bit_width);
  // Decodes exactly `n` values; throws when the data runs out.
  void decode(uint32_t* out, size_t n);

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int bit_width_;
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t literal_left_ = 0;
  uint64_t literal_bit_ = 0;  // bit offset of the next literal value in data_
};

void encode_rle(const uint32_t* values, size_t n, int bit_width, std::string& out);

// DELTA_BINARY_PACKED: decodes the values at the start of `data` (at most `max_values`,
// else an error) and sets `used` to the bytes they took.
std::vector<int64_t> decode_delta_binary_packed(std::string_view data, size_t max_values,
                                                size_t& used);

// BYTE_STREAM_SPLIT: reassembles `n` values of `width` bytes into plain little-endian order.
std::string byte_stream_join(std::string_view data, size_t width, size_t n);

// Byte arrays of DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY; `n` values expected. Views
// point into `data` or, for DELTA_BYTE_ARRAY, into `storage`.
std::vector<std::string_view> decode_delta_length_byte_array(std::string_view data, size_t n);
std::vector<std::string_view> decode_delta_byte_array(std::string_view data, size_t n,
                                                      std::string& storage);

}  // namespace plinth::table::parquet
