// Reads a Parquet file with hyparquet (an independent JavaScript implementation) and prints
// its flat columns as JSON: {"columns": [names], "rows": [[values]]}. The conformance tests
// compare this with what Plinth reads. Values are normalised so both sides can be compared
// exactly: timestamps and dates as integer nanoseconds since the epoch, 64-bit integers as
// JSON integers, NaN and infinities as strings, byte arrays without a string annotation as
// {"hex": "..."}; nested columns are left out.
//
// Usage: node tests/table/hyparquet_dump.mjs FILE
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const NANOS_PER_DAY = 86400000000000n
const parsers = {
  timestampFromMilliseconds: v => BigInt(v) * 1000000n,
  timestampFromMicroseconds: v => BigInt(v) * 1000n,
  timestampFromNanoseconds: v => BigInt(v),
  dateFromDays: v => BigInt(v) * NANOS_PER_DAY,
}

function token(v) {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '"NaN"'
    if (!Number.isFinite(v)) return v > 0 ? '"Infinity"' : '"-Infinity"'
    return JSON.stringify(v)
  }
  if (v instanceof Uint8Array) return JSON.stringify({ hex: Buffer.from(v).toString('hex') })
  return JSON.stringify(v)
}

const file = await asyncBufferFromFile(process.argv[2])
const metadata = await parquetMetadataAsync(file)
const flat = parquetSchema(metadata).children
  .filter(c => c.children.length === 0 && c.element.repetition_type !== 'REPEATED')
  .map(c => c.element.name)
const rows = await parquetReadObjects({ file, metadata, columns: flat, parsers, utf8: false, compressors })
const lines = rows.map(r => '[' + flat.map(name => token(r[name])).join(',') + ']')
process.stdout.write(`{"columns":${JSON.stringify(flat)},"rows":[\n${lines.join(',\n')}\n]}\n`)
