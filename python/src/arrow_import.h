#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "table/table.h"

// Arrow data to Plinth tables through the Arrow C data interface
// (https://arrow.apache.org/docs/format/CDataInterface.html): the two structs below are that
// ABI, so any producer (pyarrow, pandas, polars, DuckDB, Spark's mapInArrow batches) hands its
// buffers over without a Python-side conversion. Values are read in place from the producer's
// buffers; each column is copied once into Plinth's column type.
namespace plinth::python {

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  ArrowSchema** children;
  ArrowSchema* dictionary;
  void (*release)(ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  ArrowArray** children;
  ArrowArray* dictionary;
  void (*release)(ArrowArray*);
  void* private_data;
};

struct ArrowArrayStream {
  int (*get_schema)(ArrowArrayStream*, ArrowSchema* out);
  int (*get_next)(ArrowArrayStream*, ArrowArray* out);
  const char* (*get_last_error)(ArrowArrayStream*);
  void (*release)(ArrowArrayStream*);
  void* private_data;
};

// A record batch (a struct array whose children are the columns) as a table. Columns of a type
// Plinth has no column for (lists, decimals, dates, ...) throw Error(kInvalidInput) naming the
// column and its Arrow format. Does not release `schema` or `array`.
table::Table import_record_batch(const ArrowSchema& schema, const ArrowArray& array);

}  // namespace plinth::python
