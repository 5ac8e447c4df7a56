#pragma once

#include <string>
#include <string_view>

namespace plinth::table::parquet {

// Page compression. decompress() throws DecodeError when the bytes are not valid for the codec
// or do not expand to exactly `size` bytes; unsupported codecs (LZO, Hadoop's framed LZ4)
// throw DecodeError naming the codec.
// The result is `in` itself for UNCOMPRESSED, else a view of `scratch`, which is reused.
std::string_view decompress(int codec, std::string_view in, size_t size, std::string& scratch);
// The codecs decompress() reads, for error messages that suggest one.
inline constexpr std::string_view kSupportedCodecs = "SNAPPY, ZSTD, GZIP, LZ4_RAW or BROTLI";
// Whether decompress() reads `codec`.
bool codec_supported(int codec);
std::string compress(int codec, std::string_view in, int level);

}  // namespace plinth::table::parquet
