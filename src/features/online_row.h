#pragma once

// What the online store keeps per entity: the feature values of one row, encoded compactly
// with their names (so a view that gains or loses a feature still reads its old rows), and
// the entity key the row is stored under.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "features/definitions.h"
#include "table/table.h"

namespace plinth::features {

// One feature value: null, an integer (Int32/Int64/UnixTimestamp nanoseconds), a float, a
// string (String/Bytes) or a bool.
using Value = std::variant<std::monostate, int64_t, double, std::string, bool>;

struct NamedValue {
  std::string_view name;  // points into the encoded row
  Value value;
};

std::string encode_row(const std::vector<std::string>& names, const std::vector<Value>& values);
// Throws Error(kCorrupted) when `bytes` is not an encoded row.
std::vector<NamedValue> decode_row(std::string_view bytes);

// The value at `row` of `column` as a feature of type `type` (NaN floats are null, as Feast
// returns them).
Value cell_value(const table::Column& column, size_t row, ValueType type);

// Feast's JSON for a value: numbers, strings, booleans, null; UnixTimestamp as ISO 8601 text;
// Bytes as base64.
nlohmann::ordered_json value_json(const Value& value, ValueType type);

// A request's JSON value as a value of `type`: integers for Int32/Int64 (an integral float is
// accepted), any number for floats, strings, booleans, ISO 8601 text or integer seconds for
// UnixTimestamp. nullopt when the JSON value has another type (null is a null Value).
std::optional<Value> json_value(const nlohmann::json& j, ValueType type);

// The key an entity's row is stored under: the join-key values (in the view's join-key
// order) as text, separated by U+001F. Two requests naming the same entity with the same
// typed values get the same key.
std::string entity_key(const std::vector<Value>& join_values);

}  // namespace plinth::features
