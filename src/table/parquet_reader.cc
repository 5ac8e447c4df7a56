// Parquet reader: footer, schema and row groups; internal/chunk_decoder.cc decodes the pages.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "table/internal/byte_source.h"
#include "table/internal/chunk_decoder.h"
#include "table/internal/codecs.h"
#include "table/internal/parquet_format.h"
#include "table/parquet.h"

namespace plinth::table {

using namespace parquet;

namespace {

std::string logical_text(const SchemaElement& e) {
  static const char* units[] = {"MILLIS", "MICROS", "NANOS"};
  const LogicalType& lt = e.logical;
  switch (lt.kind) {
    case LogicalType::kString:
      return "STRING";
    case LogicalType::kDecimal:
      return "DECIMAL(" + std::to_string(lt.precision) + "," + std::to_string(lt.scale) + ")";
    case LogicalType::kDate:
      return "DATE";
    case LogicalType::kTimestamp:
    case LogicalType::kTime:
      return std::string(lt.kind == LogicalType::kTime ? "TIME(" : "TIMESTAMP(") +
             units[static_cast<int>(lt.unit)] + (lt.utc ? ", UTC)" : ")");
    case LogicalType::kInteger:
      return std::string(lt.is_signed ? "INT(" : "UINT(") + std::to_string(lt.bit_width) + ")";
    case LogicalType::kList:
      return "LIST";
    case LogicalType::kMap:
      return "MAP";
    case LogicalType::kEnum:
      return "ENUM";
    case LogicalType::kJson:
      return "JSON";
    case LogicalType::kBson:
      return "BSON";
    case LogicalType::kUuid:
      return "UUID";
    case LogicalType::kFloat16:
      return "FLOAT16";
    default:
      break;
  }
  if (!e.converted_type) return "";
  static const char* converted[] = {"UTF8",
                                    "MAP",
                                    "MAP_KEY_VALUE",
                                    "LIST",
                                    "ENUM",
                                    "DECIMAL",
                                    "DATE",
                                    "TIME_MILLIS",
                                    "TIME_MICROS",
                                    "TIMESTAMP_MILLIS",
                                    "TIMESTAMP_MICROS",
                                    "UINT_8",
                                    "UINT_16",
                                    "UINT_32",
                                    "UINT_64",
                                    "INT_8",
                                    "INT_16",
                                    "INT_32",
                                    "INT_64",
                                    "JSON",
                                    "BSON",
                                    "INTERVAL"};
  int ct = *e.converted_type;
  if (ct == kDecimalCt)
    return "DECIMAL(" + std::to_string(e.precision) + "," + std::to_string(e.scale) + ")";
  return ct >= 0 && ct <= 21 ? converted[ct] : "";
}

// Walks the schema tree depth-first, collecting leaves with their definition levels.
class SchemaWalker {
 public:
  SchemaWalker(const std::vector<SchemaElement>& schema, const std::string& context)
      : schema_(schema), context_(context) {}

  std::vector<Leaf> leaves() {
    if (schema_.empty()) fail("the schema is empty");
    size_t i = 1;
    int32_t n = schema_[0].num_children;
    for (int32_t c = 0; c < n; ++c) visit(i, "", 0, false, 0);
    if (i != schema_.size()) fail("the schema has elements outside its tree");
    return std::move(leaves_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw Error(ErrorCode::kCorrupted, context_ + ": bad Parquet schema: " + what);
  }

  void visit(size_t& i, const std::string& prefix, int def, bool nested, int depth) {
    if (i >= schema_.size()) fail("a group has more children than the schema has elements");
    if (depth > 64) fail("groups nested too deeply");
    const SchemaElement& e = schema_[i++];
    Repetition rep = e.repetition.value_or(kRequired);
    if (rep != kRequired) ++def;
    std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
    bool flat = !nested && rep != kRepeated;
    if (e.num_children > 0 || !e.type) {
      if (e.num_children < 0) fail("a negative number of children");
      for (int32_t c = 0; c < e.num_children; ++c) visit(i, path, def, true, depth + 1);
      return;
    }
    if (*e.type == Type::kFixedLenByteArray && (e.type_length <= 0 || e.type_length > (1 << 20)))
      fail("column '" + path + "' has a bad FIXED_LEN_BYTE_ARRAY length");
    Leaf leaf{path, &e, def, flat, column_type(e), leaves_.size()};
    leaves_.push_back(std::move(leaf));
  }

  const std::vector<SchemaElement>& schema_;
  const std::string& context_;
  std::vector<Leaf> leaves_;
};
}  // namespace

struct ParquetReader::Impl {
  std::string name;
  std::unique_ptr<ByteSource> file;
  FileMetaData meta;
  std::vector<Leaf> leaves;
  std::vector<size_t> selected;  // indices into leaves
  Schema schema;
  size_t next_group = 0;
  size_t prefetched = 0;  // row groups [0, prefetched) were loaded or are being prefetched
  size_t jobs;
  std::unique_ptr<core::ThreadPool> pool;  // made for the first decode, let go after the last
  Impl* successor = nullptr;               // the file read next (see prefetch_into)

  Impl(std::string n, std::unique_ptr<ByteSource> f, const ParquetReadOptions& options)
      : name(std::move(n)),
        file(std::move(f)),
        jobs(options.jobs ? options.jobs : core::default_jobs()) {
    read_footer();
    leaves = SchemaWalker(meta.schema, name).leaves();
    for (const auto& g : meta.row_groups) {
      if (g.columns.size() != leaves.size())
        corrupt("a row group has " + std::to_string(g.columns.size()) +
                " column chunks but the schema has " + std::to_string(leaves.size()) + " columns");
      if (g.num_rows < 0) corrupt("a row group has a negative row count");
    }
    select(options.columns);
  }

  [[noreturn]] void corrupt(const std::string& what) const {
    throw Error(ErrorCode::kCorrupted, name + ": " + what + "; the file is damaged");
  }

  // Reads the last 64 KiB (one request for a remote file, which holds the whole footer of
  // most files), then the rest of a longer footer. The first 4 bytes are read only to tell a
  // file that is no Parquet from a truncated one.
  void read_footer() {
    uint64_t size = file->size();
    if (size < 12) corrupt("too small to be a Parquet file (" + std::to_string(size) + " bytes)");
    uint64_t tail_len = std::min<uint64_t>(size - 4, 64 << 10);
    file->load({{size - tail_len, tail_len}});
    std::string_view tail = file->view(size - 8, 8);
    if (tail.substr(4) == "PARE")
      throw Error(ErrorCode::kInvalidInput,
                  name + ": the file is encrypted; Plinth cannot read encrypted Parquet");
    if (tail.substr(4) != "PAR1") {
      file->load({{0, 4}});
      if (file->view(0, 4) != "PAR1")
        throw Error(ErrorCode::kInvalidInput,
                    name + ": not a Parquet file (it does not start with PAR1)");
      corrupt("no PAR1 at the end: the file is truncated or was not completely written");
    }
    uint32_t len;
    std::memcpy(&len, tail.data(), 4);
    if (len > size - 12) corrupt("the footer length " + std::to_string(len) + " exceeds the file");
    if (len + 8 > tail_len) file->load({{size - 8 - len, len}});
    meta = parse_file_metadata(file->view(size - 8 - len, len), name);
    file->release(size - tail_len, tail_len);
    if (len + 8 > tail_len) file->release(size - 8 - len, len);
  }

  // Where a column chunk's bytes are (dictionary page first), clamped to the file; nullopt
  // when the metadata is unusable (read_chunk says why).
  std::optional<ByteSource::Range> chunk_range(const ColumnMetaData& m) const {
    int64_t start = m.data_page_offset;
    if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
        *m.dictionary_page_offset < start)
      start = *m.dictionary_page_offset;
    uint64_t data_end = file->size() - 8;
    if (start < 4 || static_cast<uint64_t>(start) >= data_end || m.total_compressed_size < 0)
      return std::nullopt;
    uint64_t offset = static_cast<uint64_t>(start);
    return ByteSource::Range{offset,
                             std::min<uint64_t>(m.total_compressed_size, data_end - offset)};
  }

  // The chunks of the selected columns in row group g.
  std::vector<ByteSource::Range> group_ranges(size_t g) const {
    std::vector<ByteSource::Range> ranges;
    if (meta.row_groups[g].num_rows == 0) return ranges;
    for (size_t i : selected)
      if (const auto& m = meta.row_groups[g].columns[leaves[i].chunk_index].meta)
        if (auto r = chunk_range(*m)) ranges.push_back(*r);
    return ranges;
  }

  // Starts fetching the row groups from `from` on in the background while the bytes ahead of
  // them stay under `budget` (so the window overshoots by less than a row group), then those
  // of the successor's. Returns the budget the remaining row groups leave unused.
  // Neighbouring row groups go in one prefetch of about kPrefetchPiece bytes, so that a
  // store sees a few large requests rather than many small ones: the window refills by whole
  // pieces.
  uint64_t prefetch_from(size_t from, uint64_t budget) {
    uint64_t ahead = 0, piece = 0;
    std::vector<ByteSource::Range> batch;
    auto flush = [&] {
      if (!batch.empty()) file->prefetch(batch);
      batch.clear(), piece = 0;
    };
    size_t g = from;
    for (; g < meta.row_groups.size() && ahead < budget; ++g) {
      auto ranges = group_ranges(g);
      uint64_t bytes = 0;
      for (const auto& r : ranges) bytes += r.length;
      if (g >= prefetched) {
        if (piece > 0 && piece + bytes > kPrefetchPiece) flush();
        // A piece starts only when the window has room for a whole one.
        if (piece == 0 && budget - ahead < kPrefetchPiece) return 0;
        batch.insert(batch.end(), ranges.begin(), ranges.end());
        piece += bytes;
        prefetched = g + 1;
      }
      ahead += bytes;
    }
    flush();
    if (ahead >= budget) return 0;
    uint64_t left = budget - ahead;
    return successor ? successor->prefetch_from(successor->next_group, left) : left;
  }

  // Fetches row group g, then starts fetching the ones after it (and the next file's), up to
  // kPrefetchBytes ahead, so they download while this one decodes.
  static constexpr uint64_t kPrefetchBytes = 64ull << 20, kPrefetchPiece = 16ull << 20;
  void load_group(size_t g) {
    file->load(group_ranges(g));
    prefetched = std::max(prefetched, g + 1);
    prefetch_from(g + 1, kPrefetchBytes);
  }

  void select(const std::vector<std::string>& names) {
    std::vector<std::string> unsupported;
    for (const auto& l : leaves)
      if (!l.supported) unsupported.push_back(l.path);
    if (names.empty()) {
      for (size_t i = 0; i < leaves.size(); ++i)
        if (leaves[i].supported) selected.push_back(i);
    } else {
      Schema all;
      for (const auto& l : leaves) all.push_back({l.path, l.type});
      check_columns_exist(all, names, name);
      for (const auto& n : names) {
        size_t i = 0;
        while (leaves[i].path != n) ++i;
        if (!leaves[i].supported)
          throw Error(ErrorCode::kInvalidInput,
                      name + ": column '" + n +
                          "' is nested (a list, map or struct), which Plinth cannot read yet");
        selected.push_back(i);
      }
    }
    for (size_t i : selected) schema.push_back({leaves[i].path, leaves[i].type});
    if (names.empty() && !unsupported.empty()) {
      std::string list;
      for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
      spdlog::warn("{}: skipping nested columns Plinth cannot read yet: {}", name, list);
    }
  }

  // Appends column chunk (group, leaf) to `out`.
  void read_chunk(size_t group, size_t leaf_index, Column& out) {
    const RowGroup& g = meta.row_groups[group];
    const Leaf& leaf = leaves[leaf_index];
    const ColumnChunk& chunk = g.columns[leaf.chunk_index];
    std::string where = "column '" + leaf.path + "', row group " + std::to_string(group);
    std::string context = name + ": " + where;
    if (!chunk.meta)
      corrupt("column '" + leaf.path + "' has no metadata in row group " + std::to_string(group));
    if (!chunk.file_path.empty())
      throw Error(ErrorCode::kInvalidInput, context + ": the data is in another file ('" +
                                                chunk.file_path +
                                                "'), which Plinth does not follow");
    const ColumnMetaData& m = *chunk.meta;
    if (!codec_supported(m.codec))
      throw Error(ErrorCode::kInvalidInput,
                  context + ": compression codec " + std::string(codec_name(m.codec)) +
                      " is not supported; rewrite the file with " + std::string(kSupportedCodecs));
    if (m.type != *leaf.element->type)
      corrupt(where + ": the chunk's type differs from the schema's");
    // An empty row group has nothing to read; pyarrow writes its chunks with a
    // data_page_offset of 0.
    if (g.num_rows == 0) return;
    auto range = chunk_range(m);
    if (!range) corrupt(where + ": the column chunk's offset is outside the file");
    decode_column_chunk(leaf, m, file->view(range->offset, range->length), context, g.num_rows,
                        out);
  }

  // Lets go of the fetched or mapped bytes of row group `g`, for streaming in bounded memory.
  void release_group(size_t g) {
    for (const auto& c : meta.row_groups[g].columns)
      if (c.meta)
        if (auto r = chunk_range(*c.meta)) file->release(r->offset, r->length);
  }

  // What row groups [first, last) hold, added to `size`.
  void add_size(size_t first, size_t last, ParquetSize& size) const {
    size.string_bytes.resize(selected.size());
    size.dictionary.resize(selected.size());
    for (size_t g = first; g < last; ++g) {
      size.rows += static_cast<size_t>(meta.row_groups[g].num_rows);
      for (size_t k = 0; k < selected.size(); ++k)
        if (const auto& m = meta.row_groups[g].columns[leaves[selected[k]].chunk_index].meta) {
          size.string_bytes[k] +=
              static_cast<uint64_t>(std::max<int64_t>(0, m->total_uncompressed_size));
          size.dictionary[k] = size.dictionary[k] || m->dictionary_page_offset.has_value();
        }
    }
  }

  std::vector<Column> empty_columns() const {
    std::vector<Column> cols;
    for (size_t i : selected) cols.emplace_back(leaves[i].path, leaves[i].type);
    return cols;
  }

  // Decodes row groups [next_group, last), appending each column to cols[k], columns in
  // parallel; each row group is released once decoded.
  void append_groups(size_t last, std::vector<Column>& cols) {
    if (cols.size() != selected.size())
      throw Error(ErrorCode::kInternal, name + ": asked to append " +
                                            std::to_string(selected.size()) + " columns to " +
                                            std::to_string(cols.size()));
    for (; next_group < last; ++next_group) {
      size_t g = next_group;
      load_group(g);
      if (!pool) pool = std::make_unique<core::ThreadPool>(std::min(jobs, selected.size()));
      pool->parallel_for(selected.size(), [&](size_t k) { read_chunk(g, selected[k], cols[k]); });
      release_group(g);
    }
    if (next_group >= meta.row_groups.size()) pool.reset();
    for (Column& c : cols) {
      if (c.has_dictionary() && c.dict.size() == 0) c.materialize_strings();
      if (!c.valid.empty() && c.null_count() == 0) c.valid.clear();
    }
  }
};

namespace {
std::unique_ptr<ByteSource> open_source(const std::filesystem::path& path) {
  if (storage::is_s3_uri(path.string()))
    return std::make_unique<RemoteSource>(storage::open_s3_file(path.string()));
  return std::make_unique<MappedSource>(std::make_unique<MappedFile>(path));
}
}  // namespace

ParquetReader::ParquetReader(const std::filesystem::path& path, const ParquetReadOptions& options)
    : impl_(std::make_unique<Impl>(path.string(), open_source(path), options)) {}

ParquetReader::ParquetReader(std::unique_ptr<storage::RandomAccessFile> file,
                             const ParquetReadOptions& options)
    : impl_(nullptr) {
  std::string uri = file->uri();  // before the move below
  impl_ = std::make_unique<Impl>(uri, std::make_unique<RemoteSource>(std::move(file)), options);
}

ParquetReader::~ParquetReader() = default;

const Schema& ParquetReader::schema() const { return impl_->schema; }

std::optional<Table> ParquetReader::next() {
  if (impl_->next_group >= impl_->meta.row_groups.size()) return std::nullopt;
  std::vector<Column> cols = impl_->empty_columns();
  ParquetSize size;
  impl_->add_size(impl_->next_group, impl_->next_group + 1, size);
  size.reserve(cols);
  impl_->append_groups(impl_->next_group + 1, cols);
  return Table(std::move(cols));
}

std::optional<size_t> ParquetReader::skip() {
  if (impl_->next_group >= impl_->meta.row_groups.size()) return std::nullopt;
  size_t g = impl_->next_group++;
  impl_->release_group(g);  // in case it was prefetched
  return static_cast<size_t>(impl_->meta.row_groups[g].num_rows);
}

Table ParquetReader::read_remaining() {
  std::vector<Column> cols = impl_->empty_columns();
  ParquetSize size;
  impl_->add_size(impl_->next_group, impl_->meta.row_groups.size(), size);
  size.reserve(cols);
  append_remaining(cols);
  return Table(std::move(cols));
}

void ParquetReader::add_remaining_size(ParquetSize& size) const {
  impl_->add_size(impl_->next_group, impl_->meta.row_groups.size(), size);
}

void ParquetReader::append_remaining(std::vector<Column>& columns) {
  impl_->append_groups(impl_->meta.row_groups.size(), columns);
}

void ParquetReader::prefetch_into(ParquetReader* next) {
  impl_->successor = next ? next->impl_.get() : nullptr;
  // Once reading has begun the window is open: widen it now (else the first load will).
  if (impl_->next_group > 0) impl_->prefetch_from(impl_->next_group, Impl::kPrefetchBytes);
}

size_t ParquetReader::remaining_rows() const {
  size_t rows = 0;
  for (size_t g = impl_->next_group; g < impl_->meta.row_groups.size(); ++g)
    rows += static_cast<size_t>(impl_->meta.row_groups[g].num_rows);
  return rows;
}

void ParquetSize::reserve(std::vector<Column>& columns) const {
  // Untouched reserved memory costs nothing, so reserve for every row up front, and for
  // strings as many bytes as the pages hold uncompressed (capped: the footer is untrusted).
  constexpr size_t kMaxRows = size_t{1} << 28;
  constexpr uint64_t kMaxBytes = uint64_t{1} << 32;
  for (size_t k = 0; k < columns.size() && k < string_bytes.size(); ++k) {
    Column& c = columns[k];
    c.reserve(c.size() + std::min(rows, kMaxRows),
              c.str.byte_size() + std::min(string_bytes[k], kMaxBytes), dictionary[k]);
  }
}

size_t ParquetReader::num_rows() const {
  return static_cast<size_t>(std::max<int64_t>(0, impl_->meta.num_rows));
}
size_t ParquetReader::num_row_groups() const { return impl_->meta.row_groups.size(); }
std::string ParquetReader::created_by() const { return impl_->meta.created_by; }

std::optional<double> ParquetReader::fraction_read() const {
  const auto& groups = impl_->meta.row_groups;
  size_t passed_groups = std::min(impl_->next_group, groups.size());
  if (groups.empty()) return 1.0;
  if (impl_->meta.num_rows <= 0) return static_cast<double>(passed_groups) / groups.size();
  int64_t passed = 0;  // computed when asked: once per batch, over the footer's row groups
  for (size_t g = 0; g < passed_groups; ++g) passed += groups[g].num_rows;
  return std::min(1.0, static_cast<double>(passed) / impl_->meta.num_rows);
}

std::vector<ParquetColumnInfo> ParquetReader::columns() const {
  std::vector<ParquetColumnInfo> out;
  for (const auto& l : impl_->leaves) {
    const SchemaElement& e = *l.element;
    std::string physical(type_name(*e.type));
    if (*e.type == Type::kFixedLenByteArray) physical += "(" + std::to_string(e.type_length) + ")";
    out.push_back({l.path, physical, logical_text(e), l.max_def > 0, l.supported});
  }
  return out;
}

Table read_parquet(const std::filesystem::path& path, const ParquetReadOptions& options) {
  return ParquetReader(path, options).read_remaining();
}

ParquetReader::ParquetReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Table parse_parquet(std::string bytes, const ParquetReadOptions& options) {
  ParquetReader reader(std::make_unique<ParquetReader::Impl>(
      "<memory>", std::make_unique<MappedSource>(std::make_unique<MappedFile>(std::move(bytes))),
      options));
  return reader.read_remaining();
}

}  // namespace plinth::table
