#pragma once

#include <string>
#include <string_view>

namespace plinth::core {

// `s` as a JSON string literal exactly as Python's json.dumps (ensure_ascii=True) writes it:
// short escapes for \" \\ \n \r \t \b \f, \uXXXX (lowercase hex) for every other character
// outside 0x20-0x7E, UTF-16 surrogate pairs above U+FFFF. Bytes that are not valid UTF-8 are
// written as Python's surrogateescape does for file names (\udc80-\udcff). DVC hashes
// directory manifests in this form, so it must match byte for byte.
std::string python_json_quote(std::string_view s);

}  // namespace plinth::core
