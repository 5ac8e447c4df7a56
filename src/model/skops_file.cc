#include "model/skops_file.h"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::model {
namespace {
using nlohmann::json;

struct Reader {
  const std::string& bytes;
  std::string source;

  [[noreturn]] void bad(const std::string& what) const {
    throw Error(ErrorCode::kInvalidInput, source + ": " + what);
  }
  uint32_t u32(size_t at) const {
    if (at + 4 > bytes.size()) bad("truncated zip archive");
    uint32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  }
  uint16_t u16(size_t at) const {
    if (at + 2 > bytes.size()) bad("truncated zip archive");
    uint16_t v;
    std::memcpy(&v, bytes.data() + at, 2);
    return v;
  }
};

std::string inflate_raw(const Reader& r, std::string_view in, size_t size) {
  std::string out(size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) r.bad("zlib");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  if (rc != Z_STREAM_END || z.total_out != size) r.bad("a compressed member does not inflate");
  return out;
}

// The members of a zip archive (stored or deflated; no zip64), by name.
std::map<std::string, std::string> unzip(const Reader& r) {
  const std::string& b = r.bytes;
  if (b.size() < 22) r.bad("not a zip archive (skops file)");
  size_t eocd = std::string::npos;
  for (size_t at = b.size() - 22;; --at) {
    if (r.u32(at) == 0x06054b50) {
      eocd = at;
      break;
    }
    if (at == 0 || b.size() - at > 65557) break;
  }
  if (eocd == std::string::npos) r.bad("not a zip archive (skops file)");
  size_t entries = r.u16(eocd + 10), at = r.u32(eocd + 16);
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < entries; ++i) {
    if (r.u32(at) != 0x02014b50) r.bad("corrupt zip central directory");
    uint16_t method = r.u16(at + 10);
    size_t packed = r.u32(at + 20), size = r.u32(at + 24);
    size_t name_len = r.u16(at + 28), extra = r.u16(at + 30), comment = r.u16(at + 32);
    size_t local = r.u32(at + 42);
    if (at + 46 + name_len > b.size()) r.bad("truncated zip archive");
    std::string name = b.substr(at + 46, name_len);
    at += 46 + name_len + extra + comment;
    if (r.u32(local) != 0x04034b50) r.bad("corrupt zip member " + name);
    size_t data = local + 30 + r.u16(local + 26) + r.u16(local + 28);
    if (data + packed > b.size()) r.bad("truncated zip member " + name);
    std::string_view raw(b.data() + data, packed);
    if (method == 0)
      out[name] = std::string(raw);
    else if (method == 8)
      out[name] = inflate_raw(r, raw, size);
    else
      r.bad("zip member " + name + " uses compression method " + std::to_string(method));
  }
  return out;
}

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A one-dimensional .npy array of numbers, booleans or fixed-width unicode, as text.
std::vector<std::string> npy_text(const Reader& r, const std::string& npy,
                                  const std::string& name) {
  if (npy.size() < 10 || npy.compare(0, 6, "\x93NUMPY") != 0) r.bad(name + " is not a .npy array");
  size_t header_len = static_cast<unsigned char>(npy[8]) | static_cast<unsigned char>(npy[9]) << 8;
  size_t data = 10 + header_len;
  if (npy[6] != 1) r.bad(name + ": .npy version " + std::to_string(npy[6]) + " is not supported");
  std::string header = npy.substr(10, header_len);
  auto field = [&](const std::string& key) {
    auto at = header.find("'" + key + "':");
    if (at == std::string::npos) r.bad(name + ": .npy header lacks " + key);
    at = header.find_first_not_of(' ', at + key.size() + 3);
    return at;
  };
  size_t d = field("descr");
  std::string descr = header.substr(d + 1, header.find('\'', d + 1) - d - 1);
  if (header.find("True", field("fortran_order")) == field("fortran_order"))
    r.bad(name + ": Fortran-ordered arrays are not supported");
  size_t s = field("shape");
  std::string shape = header.substr(s + 1, header.find(')', s) - s - 1);
  size_t n = shape.empty() ? 1 : std::stoul(shape);
  if (descr.empty() || (descr[0] != '<' && descr[0] != '|'))
    r.bad(name + ": .npy dtype " + descr + " is not supported");
  char kind = descr[1];
  size_t width = std::stoul(descr.substr(2));
  size_t item = kind == 'U' ? 4 * width : width;
  if (data + n * item > npy.size()) r.bad(name + " is truncated");
  std::vector<std::string> out;
  const char* p = npy.data() + data;
  for (size_t i = 0; i < n; ++i, p += item) {
    if (kind == 'i' && width == 8) {
      int64_t v;
      std::memcpy(&v, p, 8);
      out.push_back(std::to_string(v));
    } else if (kind == 'i' && width == 4) {
      int32_t v;
      std::memcpy(&v, p, 4);
      out.push_back(std::to_string(v));
    } else if (kind == 'f' && width == 8) {
      double v;
      std::memcpy(&v, p, 8);
      out.push_back(number_text(v));
    } else if (kind == 'f' && width == 4) {
      float v;
      std::memcpy(&v, p, 4);
      out.push_back(number_text(v));
    } else if (kind == 'b' && width == 1) {
      out.push_back(*p ? "true" : "false");
    } else if (kind == 'U') {
      std::string text;
      for (size_t c = 0; c < width; ++c) {
        uint32_t cp;
        std::memcpy(&cp, p + 4 * c, 4);
        if (cp == 0) break;
        // UTF-8 encode.
        if (cp < 0x80) {
          text += static_cast<char>(cp);
        } else if (cp < 0x800) {
          text += static_cast<char>(0xC0 | cp >> 6);
          text += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          text += static_cast<char>(0xE0 | cp >> 12);
          text += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
          text += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
          text += static_cast<char>(0xF0 | cp >> 18);
          text += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
          text += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
          text += static_cast<char>(0x80 | (cp & 0x3F));
        }
      }
      out.push_back(text);
    } else {
      r.bad(name + ": .npy dtype " + descr + " is not supported");
    }
  }
  return out;
}

// The value of a skops node that holds plain JSON (str, int, float, bool, None).
const json& child(const Reader& r, const json& node, const std::string& key) {
  const json* dict = &node.at("content");
  if (dict->is_object() && dict->contains("content")) dict = &dict->at("content");
  if (!dict->is_object() || !dict->contains(key)) r.bad("schema.json lacks " + key);
  return dict->at(key);
}

}  // namespace

SkopsLightgbm read_skops_lightgbm(const std::filesystem::path& file) {
  std::string bytes = core::read_file(file);
  Reader r{bytes, file.string()};
  auto members = unzip(r);
  auto schema_it = members.find("schema.json");
  if (schema_it == members.end()) r.bad("no schema.json: not a skops file");
  SkopsLightgbm out;
  try {
    json schema = json::parse(schema_it->second);
    out.estimator = schema.value("__class__", "");
    if (schema.value("__module__", "") != "lightgbm.sklearn" ||
        (out.estimator != "LGBMClassifier" && out.estimator != "LGBMRegressor"))
      r.bad("holds " + schema.value("__module__", "?") + "." + out.estimator +
            ", not a LightGBM scikit-learn estimator");
    const json& booster = child(r, schema, "_Booster");
    const json& handle = child(r, booster, "_handle");
    json text = json::parse(handle.at("content").get<std::string>());
    if (!text.is_string()) r.bad("_Booster._handle is not the model text");
    out.model_text = text.get<std::string>();
    if (out.estimator == "LGBMClassifier") {
      const json& classes = child(r, schema, "_classes");
      if (classes.value("type", "") == "numpy") {
        std::string npy = classes.at("file").get<std::string>();
        auto it = members.find(npy);
        if (it == members.end()) r.bad("classes_ array " + npy + " is missing");
        out.classes = npy_text(r, it->second, npy);
      } else if (classes.value("type", "") == "json") {
        // An object array (e.g. strings from a pandas column): one JSON node per element.
        for (const auto& element : classes.at("content")) {
          json v = json::parse(element.at("content").get<std::string>());
          out.classes.push_back(v.is_string()    ? v.get<std::string>()
                                : v.is_boolean() ? (v.get<bool>() ? "true" : "false")
                                : v.is_number()  ? number_text(v.get<double>())
                                                 : v.dump());
        }
      } else {
        r.bad("classes_ stored as '" + classes.value("type", "?") +
              "' is not supported: train with numeric, boolean or string labels");
      }
    }
  } catch (const json::exception& e) {
    r.bad(std::string("schema.json: ") + e.what());
  }
  return out;
}

}  // namespace plinth::model
