#include "table/internal/encodings.h"

#include <cstring>

namespace plinth::table::parquet {

namespace {

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// `width` bits (<= 64) starting at bit `bit` of `data`; the caller checked the bounds.
uint64_t read_bits(std::string_view data, uint64_t bit, int width) {
  if (width == 0) return 0;
  const auto* base = reinterpret_cast<const uint8_t*>(data.data());
  size_t byte = bit >> 3;
  int shift = static_cast<int>(bit & 7);
  uint64_t v;
  if (width <= 56 && byte + 8 <= data.size()) {
    std::memcpy(&v, base + byte, 8);
    v >>= shift;
  } else {
    size_t avail = std::min<size_t>(9, data.size() - byte);
    uint64_t lo = load_le(base + byte, std::min<size_t>(8, avail));
    v = lo >> shift;
    if (avail == 9 && shift) v |= static_cast<uint64_t>(base[byte + 8]) << (64 - shift);
  }
  return width == 64 ? v : v & ((uint64_t{1} << width) - 1);
}

uint64_t read_varint(std::string_view data, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= data.size()) decode_error("data ends inside a variable-length integer");
    uint8_t b = static_cast<uint8_t>(data[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  decode_error("a variable-length integer is too long");
}

int64_t read_zigzag(std::string_view data, size_t& pos) {
  uint64_t v = read_varint(data, pos);
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

void put_varint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

int bit_width(uint64_t max_value) {
  int w = 0;
  while (max_value) ++w, max_value >>= 1;
  return w;
}

RleDecoder::RleDecoder(std::string_view data, int bit_width) : data_(data), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32)
    decode_error("bit width " + std::to_string(bit_width) + " is over 32");
}

void RleDecoder::decode(uint32_t* out, size_t n) {
  while (n > 0) {
    if (rle_left_ > 0) {
      size_t m = std::min<uint64_t>(n, rle_left_);
      std::fill(out, out + m, rle_value_);
      out += m, n -= m, rle_left_ -= m;
    } else if (literal_left_ > 0) {
      size_t m = std::min<uint64_t>(n, literal_left_);
      if ((literal_bit_ + m * bit_width_ + 7) / 8 > data_.size())
        decode_error("bit-packed values run past the end of the page");
      for (size_t i = 0; i < m; ++i, literal_bit_ += bit_width_)
        out[i] = static_cast<uint32_t>(read_bits(data_, literal_bit_, bit_width_));
      out += m, n -= m, literal_left_ -= m;
    } else {
      if (pos_ >= data_.size()) decode_error("RLE data ends before all values were read");
      uint64_t header = read_varint(data_, pos_);
      if (header & 1) {
        uint64_t groups = header >> 1;
        if (groups == 0 || groups > data_.size()) decode_error("bad bit-packed run length");
        literal_left_ = groups * 8;
        literal_bit_ = pos_ * 8;
        // The last run may stop short of its padding; the check above guards each read.
        pos_ = std::min<uint64_t>(data_.size(), pos_ + groups * bit_width_);
      } else {
        rle_left_ = header >> 1;
        if (rle_left_ == 0) decode_error("an RLE run of length 0");
        size_t bytes = (bit_width_ + 7) / 8;
        if (data_.size() - pos_ < bytes) decode_error("RLE data ends inside a run value");
        uint64_t v = load_le(reinterpret_cast<const uint8_t*>(data_.data()) + pos_, bytes);
        if (bit_width_ < 32 && (v >> bit_width_) != 0)
          decode_error("an RLE run value is wider than its bit width");
        rle_value_ = static_cast<uint32_t>(v);
        pos_ += bytes;
      }
    }
  }
}

void encode_rle(const uint32_t* v, size_t n, int width, std::string& out) {
  size_t value_bytes = (width + 7) / 8;
  auto run_at = [&](size_t i) {
    size_t j = i + 1;
    while (j < n && v[j] == v[i]) ++j;
    return j - i;
  };
  size_t i = 0;
  while (i < n) {
    size_t run = run_at(i);
    if (run >= 8) {
      put_varint(static_cast<uint64_t>(run) << 1, out);
      for (size_t b = 0; b < value_bytes; ++b) out.push_back(static_cast<char>(v[i] >> (8 * b)));
      i += run;
      continue;
    }
    // Literal groups of 8 until a long run starts at a group boundary.
    size_t start = i;
    while (i < n && (i == start || run_at(i) < 8)) i = std::min(n, i + 8);
    size_t groups = (i - start + 7) / 8;
    put_varint((groups << 1) | 1, out);
    uint64_t acc = 0;  // bits not yet written, lowest first
    int bits = 0;
    for (size_t k = 0; k < groups * 8; ++k) {
      acc |= static_cast<uint64_t>(start + k < i ? v[start + k] : 0) << bits;
      for (bits += width; bits >= 8; bits -= 8, acc >>= 8) out.push_back(static_cast<char>(acc));
    }
  }
}

std::vector<int64_t> decode_delta_binary_packed(std::string_view data, size_t max_values,
                                                size_t& used) {
  size_t pos = 0;
  uint64_t block_size = read_varint(data, pos);
  uint64_t miniblocks = read_varint(data, pos);
  uint64_t total = read_varint(data, pos);
  uint64_t last = static_cast<uint64_t>(read_zigzag(data, pos));
  if (block_size == 0 || block_size % 128 || miniblocks == 0 || block_size % miniblocks ||
      (block_size / miniblocks) % 32 || block_size > (1 << 20))
    decode_error("bad DELTA_BINARY_PACKED block header");
  if (total > max_values)
    decode_error("DELTA_BINARY_PACKED holds " + std::to_string(total) + " values, expected " +
                 std::to_string(max_values));
  uint64_t per_mini = block_size / miniblocks;
  std::vector<int64_t> out;
  out.reserve(total);
  if (total > 0) out.push_back(static_cast<int64_t>(last));
  std::vector<uint8_t> widths(miniblocks);
  while (out.size() < total) {
    uint64_t min_delta = static_cast<uint64_t>(read_zigzag(data, pos));
    if (data.size() - pos < miniblocks) decode_error("DELTA_BINARY_PACKED block header cut short");
    std::memcpy(widths.data(), data.data() + pos, miniblocks);
    pos += miniblocks;
    for (uint64_t m = 0; m < miniblocks && out.size() < total; ++m) {
      int w = widths[m];
      if (w > 64) decode_error("DELTA_BINARY_PACKED bit width over 64");
      uint64_t take = std::min<uint64_t>(per_mini, total - out.size());
      if ((take * w + 7) / 8 > data.size() - pos)
        decode_error("DELTA_BINARY_PACKED values run past the end of the page");
      std::string_view mini = data.substr(pos);
      for (uint64_t k = 0; k < take; ++k) {
        last += min_delta + read_bits(mini, k * w, w);
        out.push_back(static_cast<int64_t>(last));
      }
      pos += std::min<uint64_t>(data.size() - pos, per_mini * w / 8);
    }
  }
  used = pos;
  return out;
}

std::string byte_stream_join(std::string_view data, size_t width, size_t n) {
  if (width == 0 || data.size() / width < n) decode_error("BYTE_STREAM_SPLIT data is too short");
  std::string out(n * width, '\0');
  for (size_t b = 0; b < width; ++b)
    for (size_t i = 0; i < n; ++i) out[i * width + b] = data[b * n + i];
  return out;
}

std::vector<std::string_view> decode_delta_length_byte_array(std::string_view data, size_t n) {
  size_t used = 0;
  std::vector<int64_t> lengths = decode_delta_binary_packed(data, n, used);
  if (lengths.size() != n) decode_error("DELTA_LENGTH_BYTE_ARRAY holds too few lengths");
  std::vector<std::string_view> out;
  out.reserve(n);
  size_t pos = used;
  for (int64_t len : lengths) {
    if (len < 0 || static_cast<uint64_t>(len) > data.size() - pos)
      decode_error("a DELTA_LENGTH_BYTE_ARRAY value runs past the end of the page");
    out.push_back(data.substr(pos, len));
    pos += len;
  }
  return out;
}

std::vector<std::string_view> decode_delta_byte_array(std::string_view data, size_t n,
                                                      std::string& storage) {
  size_t used = 0;
  std::vector<int64_t> prefixes = decode_delta_binary_packed(data, n, used);
  if (prefixes.size() != n) decode_error("DELTA_BYTE_ARRAY holds too few prefix lengths");
  std::vector<std::string_view> suffixes = decode_delta_length_byte_array(data.substr(used), n);
  std::vector<size_t> ends;
  size_t prev_begin = 0, prev_len = 0;
  for (size_t i = 0; i < n; ++i) {
    if (prefixes[i] < 0 || static_cast<uint64_t>(prefixes[i]) > prev_len)
      decode_error("a DELTA_BYTE_ARRAY prefix is longer than the previous value");
    if (storage.size() + prefixes[i] + suffixes[i].size() > (size_t{1} << 30))
      decode_error("DELTA_BYTE_ARRAY values add up to more than 1 GiB");
    size_t begin = storage.size();
    storage.append(storage, prev_begin, prefixes[i]);
    storage.append(suffixes[i]);
    prev_begin = begin;
    prev_len = storage.size() - begin;
    ends.push_back(storage.size());
  }
  std::vector<std::string_view> out;
  size_t begin = 0;
  for (size_t e : ends) {
    out.emplace_back(storage.data() + begin, e - begin);
    begin = e;
  }
  return out;
}

}  // namespace plinth::table::parquet
