#pragma once

// Decoding the pages of one Parquet column chunk into a Column: levels, every value encoding,
// codecs, CRCs and logical types. The bytes are untrusted: every count and length is checked.

#include <cstdint>
#include <string>
#include <string_view>

#include "table/internal/parquet_format.h"
#include "table/table.h"

namespace plinth::table::parquet {

// A leaf column of the file's schema.
struct Leaf {
  std::string path;              // dotted, e.g. "a" or "b_struct.b_c_int"
  const SchemaElement* element;  // in the file's FileMetaData
  int max_def = 0;               // 1 for an OPTIONAL flat column
  bool supported = false;        // flat (not inside a group, not repeated)
  ColumnType type = ColumnType::kString;
  size_t chunk_index = 0;  // its column chunk in every row group
};

// The Column type a leaf reads as (see parquet.h for the mapping).
ColumnType column_type(const SchemaElement& e);

// Appends the `rows` rows of the column chunk in `bytes` to `out` (named and typed for
// `leaf`). Throws Error(kCorrupted) starting with `context` when the chunk is damaged.
void decode_column_chunk(const Leaf& leaf, const ColumnMetaData& meta, std::string_view bytes,
                         std::string context, int64_t rows, Column& out);

}  // namespace plinth::table::parquet
