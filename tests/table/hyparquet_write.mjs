// Writes a Parquet file with hyparquet-writer (an independent JavaScript implementation) and
// prints the rows it wrote in the same JSON form as hyparquet_dump.mjs, for the conformance
// tests to compare with what Plinth reads from the file. The columns cover the physical types
// and the encodings hyparquet-writer offers, with nulls, several row groups and small pages.
//
// With the third argument "logical" it writes logical types instead, with an explicit schema:
// DATE, DECIMAL on INT32, INT64 and FIXED_LEN_BYTE_ARRAY, FLOAT16 and UINT_32.
//
// Usage: node tests/table/hyparquet_write.mjs OUT.parquet CODEC [logical]
//        (CODEC: SNAPPY, UNCOMPRESSED)
import { parquetWriteFile } from 'hyparquet-writer'

const [out, codec = 'SNAPPY', mode = 'physical'] = process.argv.slice(2)
const n = 2500
let seed = 12345
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
const col = f => Array.from({ length: n }, (_, i) => f(i))
const words = ['alpha', 'beta', 'gamma', 'delta', 'épsilon', 'zeta "z"', 'eta,\n']

const physical = [
  { name: 'i32_delta', type: 'INT32', encoding: 'DELTA_BINARY_PACKED',
    data: col(i => (i % 17 === 0 ? null : Math.floor((rand() - 0.5) * 2 ** 31))) },
  { name: 'i64_delta', type: 'INT64', encoding: 'DELTA_BINARY_PACKED',
    data: col(i => BigInt(i) * 1000003n - 5000000000n) },
  { name: 'i64_plain', type: 'INT64', encoding: 'PLAIN',
    data: col(i => (i % 5 === 0 ? null : BigInt(Math.floor(rand() * 1e15)) * (i % 2 ? 1n : -1n))) },
  { name: 'f64_split', type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT',
    data: col(i => (i % 11 === 0 ? null : (rand() - 0.5) * 1e6)) },
  { name: 'f32', type: 'FLOAT', data: col(() => Math.fround(rand() * 100)) },
  { name: 'f64_plain', type: 'DOUBLE', data: col(i => [0, -0.5, 1e308, 5e-324, rand()][i % 5]) },
  { name: 's_dict', type: 'STRING', data: col(i => (i % 13 === 0 ? null : words[i % words.length])) },
  { name: 's_delta', type: 'STRING', encoding: 'DELTA_BYTE_ARRAY',
    data: col(i => `user-${Math.floor(i / 3)}-${i % 7 === 0 ? '' : 'x'.repeat(i % 40)}`) },
  { name: 's_len', type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY',
    data: col(i => (i % 9 === 0 ? null : String(rand()).slice(0, i % 15))) },
  { name: 'flag', type: 'BOOLEAN', data: col(i => (i % 7 === 0 ? null : rand() < 0.3)) },
  { name: 'ts', type: 'TIMESTAMP', data: col(i => (i % 6 === 0 ? null : new Date(1.7e12 + i * 86400123))) },
]
const NANOS_PER_DAY = 86400000000000n
const logical = [
  { name: 'day', data: col(i => (i % 10 === 0 ? null : new Date(Date.UTC(1960 + (i % 120), i % 12, 1 + (i % 28))))) },
  { name: 'price', data: col(i => (i % 8 === 0 ? null : (i * 7919 % 200000 - 100000) / 100)) },
  { name: 'big_price', data: col(i => (i * 104729 % 2000000000 - 1000000000) / 1000) },
  { name: 'fixed_price', data: col(i => (i * 15485863 % 2e9 - 1e9) / 1000) },
  { name: 'half', data: col(i => [0.5, -2, 65504, 1.5, 0, 0.0999755859375][i % 6]) },
  { name: 'unsigned', data: col(i => (i * 2654435761) % 4294967296) },
]
const logicalSchema = [
  { name: 'root', num_children: logical.length },
  { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
  { name: 'price', type: 'INT32', converted_type: 'DECIMAL', scale: 2, precision: 9, repetition_type: 'OPTIONAL' },
  { name: 'big_price', type: 'INT64', converted_type: 'DECIMAL', scale: 3, precision: 18, repetition_type: 'REQUIRED' },
  { name: 'fixed_price', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 6, converted_type: 'DECIMAL', scale: 3, precision: 14, repetition_type: 'REQUIRED' },
  { name: 'half', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' }, repetition_type: 'REQUIRED' },
  { name: 'unsigned', type: 'INT32', converted_type: 'UINT_32', repetition_type: 'REQUIRED' },
]
const columnData = mode === 'logical' ? logical : physical
const schema = mode === 'logical' ? logicalSchema : undefined
parquetWriteFile({ filename: out, columnData, schema, codec, rowGroupSize: 1000, pageSize: 4096 })

function token(v) {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) {
    const nanos = BigInt(v.getTime()) * 1000000n
    return (mode === 'logical' ? nanos / NANOS_PER_DAY * NANOS_PER_DAY : nanos).toString()
  }
  return JSON.stringify(v)
}
const names = columnData.map(c => c.name)
const lines = Array.from({ length: n }, (_, i) => '[' + columnData.map(c => token(c.data[i])).join(',') + ']')
process.stdout.write(`{"columns":${JSON.stringify(names)},"rows":[\n${lines.join(',\n')}\n]}\n`)
