#include "table/internal/codecs.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "table/internal/encodings.h"
#include "table/internal/parquet_format.h"

namespace plinth::table::parquet {

namespace {

void inflate_gzip(std::string_view in, size_t size, std::string& out) {
  out.resize(size);
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) decode_error("zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = Z_OK;
  // Concatenated gzip members are one stream to Parquet.
  while (rc == Z_OK || (rc == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0)) {
    if (rc == Z_STREAM_END) inflateReset(&zs);
    rc = inflate(&zs, Z_FINISH);
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) break;
  }
  size_t got = out.size() - zs.avail_out;
  inflateEnd(&zs);
  if ((rc != Z_STREAM_END && rc != Z_BUF_ERROR) || got != size)
    decode_error("GZIP data is corrupt or does not expand to the page size");
}

std::string deflate_gzip(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    decode_error("zlib initialisation failed");
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

std::string_view decompress(int codec, std::string_view in, size_t size, std::string& out) {
  // resize() keeps the capacity, so pages of a chunk reuse one buffer.
  switch (codec) {
    case kUncompressed:
      if (in.size() != size) decode_error("an uncompressed page's sizes disagree");
      return in;
    case kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != size)
        decode_error("SNAPPY data does not expand to the page size");
      out.resize(size);
      if (!snappy::RawUncompress(in.data(), in.size(), out.data()))
        decode_error("SNAPPY data is corrupt");
      return out;
    }
    case kGzip:
      inflate_gzip(in, size, out);
      return out;
    case kZstd: {
      out.resize(size);
      size_t got = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(got) || got != size)
        decode_error("ZSTD data is corrupt or does not expand to the page size");
      return out;
    }
    case kLz4Raw: {
      out.resize(size);
      int got = LZ4_decompress_safe(in.data(), out.data(), static_cast<int>(in.size()),
                                    static_cast<int>(out.size()));
      if (got < 0 || static_cast<size_t>(got) != size)
        decode_error("LZ4_RAW data is corrupt or does not expand to the page size");
      return out;
    }
    case kBrotli: {
      out.resize(size);
      size_t got = out.size();
      if (BrotliDecoderDecompress(in.size(), reinterpret_cast<const uint8_t*>(in.data()), &got,
                                  reinterpret_cast<uint8_t*>(out.data())) !=
              BROTLI_DECODER_RESULT_SUCCESS ||
          got != size)
        decode_error("BROTLI data is corrupt or does not expand to the page size");
      return out;
    }
    default:
      decode_error("compression codec " + std::string(codec_name(codec)) +
                   " is not supported; rewrite the file with " + std::string(kSupportedCodecs));
  }
}

bool codec_supported(int codec) {
  return codec == kUncompressed || codec == kSnappy || codec == kGzip || codec == kZstd ||
         codec == kLz4Raw || codec == kBrotli;
}

std::string compress(int codec, std::string_view in, int level) {
  switch (codec) {
    case kSnappy: {
      std::string out;
      snappy::Compress(in.data(), in.size(), &out);
      return out;
    }
    case kGzip:
      return deflate_gzip(in, level > 0 ? std::min(level, 9) : Z_DEFAULT_COMPRESSION);
    case kZstd: {
      std::string out(ZSTD_compressBound(in.size()), '\0');
      size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level ? level : 3);
      if (ZSTD_isError(n))
        decode_error(std::string("ZSTD compression failed: ") + ZSTD_getErrorName(n));
      out.resize(n);
      return out;
    }
    case kLz4Raw: {
      std::string out(LZ4_compressBound(static_cast<int>(in.size())), '\0');
      int n = LZ4_compress_default(in.data(), out.data(), static_cast<int>(in.size()),
                                   static_cast<int>(out.size()));
      out.resize(n);
      return out;
    }
    case kBrotli: {
      // Arrow's default quality for Parquet pages; 11 is the most Brotli offers.
      int quality = level > 0 ? std::min(level, BROTLI_MAX_QUALITY) : 8;
      std::string out(BrotliEncoderMaxCompressedSize(in.size()), '\0');
      size_t n = out.size();
      if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
                                 reinterpret_cast<const uint8_t*>(in.data()), &n,
                                 reinterpret_cast<uint8_t*>(out.data())))
        decode_error("BROTLI compression failed");
      out.resize(n);
      return out;
    }
    default:
      return std::string(in);
  }
}

}  // namespace plinth::table::parquet
