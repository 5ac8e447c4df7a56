// Parquet writer: one OPTIONAL column per table column, dictionary pages for low-cardinality
// strings and integers, v1 data pages with CRCs, statistics in the column metadata.
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

#include "core/error.h"
#include "core/file_io.h"
#include "core/thread_pool.h"
#include "table/internal/codecs.h"
#include "table/internal/encodings.h"
#include "table/internal/parquet_format.h"
#include "table/parquet.h"

namespace plinth::table {

using namespace parquet;

namespace {

constexpr size_t kPageRows = 64 * 1024;
constexpr size_t kMaxDictionaryValues = 32 * 1024;
constexpr size_t kMaxDictionaryBytes = 1 << 20;
constexpr size_t kDictionaryProbe = 8192;

Type physical_type(ColumnType t) {
  switch (t) {
    case ColumnType::kFloat64:
      return Type::kDouble;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      return Type::kInt64;
    case ColumnType::kBool:
      return Type::kBoolean;
    case ColumnType::kString:
      return Type::kByteArray;
  }
  return Type::kByteArray;
}

int codec_id(ParquetCodec c) {
  switch (c) {
    case ParquetCodec::kUncompressed:
      return kUncompressed;
    case ParquetCodec::kSnappy:
      return kSnappy;
    case ParquetCodec::kGzip:
      return kGzip;
    case ParquetCodec::kZstd:
      return kZstd;
    case ParquetCodec::kLz4Raw:
      return kLz4Raw;
    case ParquetCodec::kBrotli:
      return kBrotli;
  }
  return kUncompressed;
}

template <typename T>
void put_le(std::string& out, T v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  out.append(buf, sizeof v);
}

// PLAIN encoding of value `row` of `c` (strings with their 4-byte length when `framed`).
void plain_value(const Column& c, size_t row, bool framed, std::string& out) {
  switch (c.type) {
    case ColumnType::kFloat64:
      put_le(out, c.f64[row]);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      put_le(out, c.i64[row]);
      break;
    case ColumnType::kBool:
      out.push_back(static_cast<char>(c.b[row]));
      break;
    case ColumnType::kString: {
      std::string_view s = c.string_at(row);
      if (framed) put_le(out, static_cast<uint32_t>(s.size()));
      out.append(s);
      break;
    }
  }
}

// PLAIN encoding of the non-null values among `rows` (ascending row numbers).
std::string plain_values(const Column& c, const std::vector<uint32_t>& rows) {
  std::string out;
  auto fixed = [&](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    out.resize(rows.size() * sizeof(T));
    if (!rows.empty() && rows.back() - rows.front() + 1 == rows.size()) {  // no gaps
      std::memcpy(out.data(), v.data() + rows.front(), out.size());
      return;
    }
    for (size_t i = 0; i < rows.size(); ++i)
      std::memcpy(out.data() + i * sizeof(T), &v[rows[i]], sizeof(T));
  };
  switch (c.type) {
    case ColumnType::kBool:
      out.assign((rows.size() + 7) / 8, '\0');
      for (size_t i = 0; i < rows.size(); ++i)
        if (c.b[rows[i]]) out[i / 8] |= static_cast<char>(1 << (i % 8));
      break;
    case ColumnType::kFloat64:
      fixed(c.f64);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      fixed(c.i64);
      break;
    case ColumnType::kString:
      for (uint32_t r : rows) plain_value(c, r, true, out);
      break;
  }
  return out;
}

// Rows holding the min and max of the values among `rows` by `less`, leaving out rows for
// which `skip` is true.
template <typename Less, typename Skip>
void extremes(const std::vector<uint32_t>& rows, Less less, Skip skip, std::optional<uint32_t>& lo,
              std::optional<uint32_t>& hi) {
  for (uint32_t r : rows) {
    if (skip(r)) continue;
    if (!lo) lo = hi = r;
    if (less(r, *lo)) lo = r;
    if (less(*hi, r)) hi = r;
  }
}

// Min and max of the values at rows `present` (the caller sets null_count).
Statistics statistics(const Column& c, const std::vector<uint32_t>& present) {
  Statistics s;
  std::optional<uint32_t> lo, hi;
  auto keep = [](uint32_t) { return false; };
  switch (c.type) {
    case ColumnType::kFloat64:
      extremes(
          present, [&](uint32_t a, uint32_t b) { return c.f64[a] < c.f64[b]; },
          [&](uint32_t r) { return std::isnan(c.f64[r]); }, lo, hi);
      break;
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:
      extremes(
          present, [&](uint32_t a, uint32_t b) { return c.i64[a] < c.i64[b]; }, keep, lo, hi);
      break;
    case ColumnType::kBool:
      extremes(
          present, [&](uint32_t a, uint32_t b) { return c.b[a] < c.b[b]; }, keep, lo, hi);
      break;
    case ColumnType::kString:  // std::string_view compares bytes as unsigned char
      extremes(
          present, [&](uint32_t a, uint32_t b) { return c.string_at(a) < c.string_at(b); }, keep,
          lo, hi);
      break;
  }
  if (lo) {
    s.min_value.emplace();
    s.max_value.emplace();
    plain_value(c, *lo, false, *s.min_value);
    plain_value(c, *hi, false, *s.max_value);
    // The spec asks for -0.0 as a zero min and +0.0 as a zero max, whichever zeros are there.
    if (c.type == ColumnType::kFloat64) {
      if (c.f64[*lo] == 0) s.min_value->clear(), put_le(*s.min_value, -0.0);
      if (c.f64[*hi] == 0) s.max_value->clear(), put_le(*s.max_value, 0.0);
    }
  }
  return s;
}

// Dictionary indices per non-null row, or nullopt when the column has too many distinct
// values for a dictionary to pay.
struct Dictionary {
  Column values;
  std::vector<uint32_t> indices;
  bool all_used = true;  // false when taken from a categorical column: may hold unused values
};

// Dictionary-encodes the values at rows `present`, or gives up (nullopt) when there are too many
// distinct ones. The distinct values are found with an open-addressing table of dictionary
// indices (linear probing, at most half full, the hash kept beside the index): no node
// allocated per value as std::unordered_map did.
template <typename Key, typename GetKey, typename Hash>
std::optional<Dictionary> build_dictionary(const Column& c, const std::vector<uint32_t>& present,
                                           GetKey key, Hash hash) {
  Dictionary d{Column(c.name, c.type), {}};
  struct Slot {
    uint32_t index = UINT32_MAX;  // into `keys`; UINT32_MAX: empty
    uint32_t hash = 0;
  };
  std::vector<Slot> slots(1024);
  std::vector<Key> keys;
  size_t bytes = 0;
  size_t limit = std::min(kMaxDictionaryValues, present.size() / 2 + 1);
  auto insert = [&slots](Slot slot) -> Slot& {  // the slot for slot.hash: slot's own or empty
    size_t mask = slots.size() - 1;
    for (size_t i = slot.hash & mask;; i = (i + 1) & mask)
      if (slots[i].index == UINT32_MAX) return slots[i] = slot;
  };
  d.indices.reserve(present.size());
  for (uint32_t r : present) {
    Key k = key(r);
    uint32_t h = static_cast<uint32_t>(hash(k));
    size_t mask = slots.size() - 1, i = h & mask;
    while (slots[i].index != UINT32_MAX && !(slots[i].hash == h && keys[slots[i].index] == k))
      i = (i + 1) & mask;
    if (slots[i].index == UINT32_MAX) {  // a new value
      slots[i] = {static_cast<uint32_t>(keys.size()), h};
      keys.push_back(k);
      if (c.type == ColumnType::kString)
        d.values.str.push_back(c.string_at(r));
      else
        d.values.i64.push_back(c.i64[r]);
      bytes += c.type == ColumnType::kString ? c.string_at(r).size() + 4 : 8;
      if (keys.size() > limit || bytes > kMaxDictionaryBytes) return std::nullopt;
      if (keys.size() * 2 > slots.size()) {  // grow: rehash every value
        std::vector<Slot> old(slots.size() * 2);
        old.swap(slots);
        for (const Slot& s : old)
          if (s.index != UINT32_MAX) insert(s);
        i = SIZE_MAX;
      }
    }
    d.indices.push_back(i == SIZE_MAX ? static_cast<uint32_t>(keys.size() - 1) : slots[i].index);
    // Nearly every value new so far: a dictionary will not pay; stop hashing early.
    if (d.indices.size() == kDictionaryProbe && keys.size() > kDictionaryProbe * 9 / 10)
      return std::nullopt;
  }
  return d;
}

std::optional<Dictionary> dictionary_for(const Column& c, const std::vector<uint32_t>& present) {
  if (c.has_dictionary() && c.dict.size() <= kMaxDictionaryValues &&
      c.dict.byte_size() <= kMaxDictionaryBytes) {
    Dictionary d{Column(c.name, c.type), {}, false};
    d.values.str = c.dict;
    for (uint32_t r : present) d.indices.push_back(static_cast<uint32_t>(c.codes[r]));
    return d;
  }
  if (c.type == ColumnType::kString)
    return build_dictionary<std::string_view>(
        c, present, [&](uint32_t r) { return c.string_at(r); },
        [](std::string_view v) { return std::hash<std::string_view>()(v); });
  if (c.type == ColumnType::kInt64 || c.type == ColumnType::kTimestamp)
    return build_dictionary<int64_t>(
        c, present, [&](uint32_t r) { return c.i64[r]; },
        [](int64_t v) { return (static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ull) >> 32; });
  return std::nullopt;
}

struct EncodedChunk {
  std::string bytes;
  ColumnMetaData meta;
  bool has_dictionary = false;
  size_t dictionary_page_size = 0;  // bytes before the first data page
};

// Encodes rows [begin, end) of a column as one column chunk.
class ChunkEncoder {
 public:
  ChunkEncoder(const Column& c, size_t begin, size_t end, const ParquetWriteOptions& o)
      : c_(c), begin_(begin), end_(end), o_(o), codec_(codec_id(o.codec)) {}

  EncodedChunk encode() {
    std::vector<uint32_t> present;
    present.reserve(end_ - begin_);
    for (size_t r = begin_; r < end_; ++r)
      if (!c_.is_null(r)) present.push_back(static_cast<uint32_t>(r));
    EncodedChunk out;
    ColumnMetaData& m = out.meta;
    m.type = physical_type(c_.type);
    m.path = {c_.name};
    m.codec = codec_;
    m.num_values = static_cast<int64_t>(end_ - begin_);
    std::optional<Dictionary> dict = o_.dictionary ? dictionary_for(c_, present) : std::nullopt;
    std::vector<uint32_t> all(dict ? dict->values.size() : 0);
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint32_t>(i);
    // A dictionary of exactly the values present has the same min and max, in fewer values.
    m.statistics = dict && dict->all_used ? statistics(dict->values, all) : statistics(c_, present);
    m.statistics->null_count = static_cast<int64_t>(end_ - begin_ - present.size());
    if (dict) {
      PageHeader h;
      h.type = kDictionaryPage;
      h.dictionary_page = DictionaryPageHeader{static_cast<int32_t>(all.size()), kPlain};
      add_page(h, plain_values(dict->values, all), out);
      out.has_dictionary = true;
      out.dictionary_page_size = out.bytes.size();
      m.encodings = {kRleDictionary, kRle, kPlain};
    } else {
      m.encodings = {kPlain, kRle};
    }
    size_t next_present = 0;
    for (size_t begin = begin_; begin < end_ || begin == begin_; begin += kPageRows) {
      size_t end = std::min(end_, begin + kPageRows);
      std::vector<uint32_t> levels(end - begin);
      size_t first = next_present;
      for (size_t r = begin; r < end; ++r) {
        levels[r - begin] = !c_.is_null(r);
        next_present += levels[r - begin];
      }
      std::string body;
      std::string encoded_levels;
      encode_rle(levels.data(), levels.size(), 1, encoded_levels);
      put_le(body, static_cast<uint32_t>(encoded_levels.size()));
      body += encoded_levels;
      PageHeader h;
      h.type = kDataPage;
      if (dict) {
        int width = bit_width(dict->values.size() > 0 ? dict->values.size() - 1 : 0);
        body.push_back(static_cast<char>(width));
        encode_rle(dict->indices.data() + first, next_present - first, width, body);
        h.data_page = DataPageHeader{static_cast<int32_t>(levels.size()), kRleDictionary, kRle};
      } else {
        std::vector<uint32_t> rows(present.begin() + first, present.begin() + next_present);
        body += plain_values(c_, rows);
        h.data_page = DataPageHeader{static_cast<int32_t>(levels.size()), kPlain, kRle};
      }
      add_page(h, body, out);
      if (end == end_) break;
    }
    m.total_compressed_size = static_cast<int64_t>(out.bytes.size());
    return out;
  }

 private:
  void add_page(PageHeader& h, const std::string& body, EncodedChunk& out) {
    std::string compressed =
        codec_ == kUncompressed ? body : compress(codec_, body, o_.compression_level);
    h.uncompressed_page_size = static_cast<int32_t>(body.size());
    h.compressed_page_size = static_cast<int32_t>(compressed.size());
    h.crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()));
    std::string header = serialize(h);
    out.meta.total_uncompressed_size += static_cast<int64_t>(header.size() + body.size());
    out.bytes += header;
    out.bytes += compressed;
  }

  const Column& c_;
  size_t begin_, end_;
  const ParquetWriteOptions& o_;
  int codec_;
};

}  // namespace

ParquetCodec parse_codec(const std::string& name) {
  if (name == "none" || name == "uncompressed") return ParquetCodec::kUncompressed;
  if (name == "snappy") return ParquetCodec::kSnappy;
  if (name == "gzip") return ParquetCodec::kGzip;
  if (name == "zstd") return ParquetCodec::kZstd;
  if (name == "lz4" || name == "lz4_raw") return ParquetCodec::kLz4Raw;
  if (name == "brotli") return ParquetCodec::kBrotli;
  throw Error(ErrorCode::kInvalidInput,
              "unknown compression '" + name + "': use snappy, zstd, gzip, lz4, brotli or none");
}

struct ParquetWriter::Impl {
  core::AtomicFile file;
  Schema schema;
  ParquetWriteOptions options;
  core::ThreadPool pool;
  Table pending;
  FileMetaData meta;
  uint64_t offset = 0;

  Impl(const std::filesystem::path& path, Schema s, const ParquetWriteOptions& o)
      : file(path), schema(std::move(s)), options(o), pool(o.jobs ? o.jobs : core::default_jobs()) {
    if (options.row_group_rows == 0) options.row_group_rows = 1;
    file.write("PAR1");
    offset = 4;
    SchemaElement root;
    root.name = "schema";
    root.num_children = static_cast<int32_t>(schema.size());
    meta.schema.push_back(root);
    for (const auto& f : schema) {
      SchemaElement e;
      e.name = f.name;
      e.type = physical_type(f.type);
      e.repetition = kOptional;
      if (f.type == ColumnType::kString) {
        e.converted_type = kUtf8;
        e.logical.kind = LogicalType::kString;
      } else if (f.type == ColumnType::kTimestamp) {
        e.logical.kind = LogicalType::kTimestamp;
        e.logical.unit = TimeUnit::kNanos;
        e.logical.utc = true;
      }
      meta.schema.push_back(e);
    }
    meta.version = 1;
    meta.created_by = "plinth version 0.1.0";
  }

  // Writes row groups holding rows `ranges` of `t`, all their column chunks encoded in
  // parallel.
  void write_groups(const Table& t, const std::vector<std::pair<size_t, size_t>>& ranges) {
    size_t columns = t.num_columns();
    std::vector<EncodedChunk> chunks(ranges.size() * columns);
    pool.parallel_for(chunks.size(), [&](size_t i) {
      const auto& [begin, end] = ranges[i / columns];
      chunks[i] = ChunkEncoder(t.column(i % columns), begin, end, options).encode();
    });
    for (size_t g = 0; g < ranges.size(); ++g) {
      RowGroup group;
      group.num_rows = static_cast<int64_t>(ranges[g].second - ranges[g].first);
      for (size_t k = 0; k < columns; ++k) {
        EncodedChunk& c = chunks[g * columns + k];
        ColumnChunk cc;
        cc.file_offset = static_cast<int64_t>(offset);
        c.meta.data_page_offset = static_cast<int64_t>(offset + c.dictionary_page_size);
        if (c.has_dictionary) c.meta.dictionary_page_offset = static_cast<int64_t>(offset);
        file.write(c.bytes);
        offset += c.bytes.size();
        group.total_byte_size += c.meta.total_uncompressed_size;
        cc.meta = std::move(c.meta);
        group.columns.push_back(std::move(cc));
      }
      meta.num_rows += group.num_rows;
      meta.row_groups.push_back(std::move(group));
    }
  }

  void flush_pending() {
    write_groups(pending, {{0, pending.num_rows()}});
    pending = Table();
  }
};

ParquetWriter::ParquetWriter(const std::filesystem::path& path, Schema schema,
                             const ParquetWriteOptions& options)
    : impl_(std::make_unique<Impl>(path, std::move(schema), options)) {}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::write(const Table& batch) {
  if (batch.schema() != impl_->schema)
    throw Error(ErrorCode::kInternal, "Parquet writer got a batch with a different schema");
  const size_t rows = impl_->options.row_group_rows, n = batch.num_rows();
  size_t pos = 0;
  if (impl_->pending.num_rows() > 0) {  // complete the row group begun by earlier batches
    pos = std::min(n, rows - impl_->pending.num_rows());
    impl_->pending.append(batch.slice(0, pos));
    if (impl_->pending.num_rows() == rows) impl_->flush_pending();
  }
  std::vector<std::pair<size_t, size_t>> whole;  // whole row groups, straight from the batch
  for (; n - pos >= rows; pos += rows) whole.emplace_back(pos, pos + rows);
  if (!whole.empty()) impl_->write_groups(batch, whole);
  if (pos < n) impl_->pending = batch.slice(pos, n - pos);
}

void ParquetWriter::close() {
  if (impl_->pending.num_rows() > 0) impl_->flush_pending();
  std::string footer = serialize(impl_->meta);
  put_le(footer, static_cast<uint32_t>(footer.size()));
  footer += "PAR1";
  impl_->file.write(footer);
  impl_->file.commit(core::default_file_mode());
}

void write_parquet(const Table& table, const std::filesystem::path& path,
                   const ParquetWriteOptions& options) {
  ParquetWriter writer(path, table.schema(), options);
  writer.write(table);
  writer.close();
}

}  // namespace plinth::table
