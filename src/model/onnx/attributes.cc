#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>

#include "core/error.h"
#include "model/onnx/kernel.h"

namespace plinth::model::onnx {
namespace {

const ::onnx::AttributeProto* find(const ::onnx::NodeProto& node, const std::string& name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

template <typename T>
void copy_raw(const std::string& raw, size_t n, std::vector<T>& out, const std::string& where) {
  if (raw.size() != n * sizeof(T))
    throw Error(ErrorCode::kInvalidInput, where + ": raw_data holds " + std::to_string(raw.size()) +
                                              " bytes, the dims need " +
                                              std::to_string(n * sizeof(T)));
  out.resize(n);
  if (n) std::memcpy(out.data(), raw.data(), raw.size());  // x86-64 is little-endian, as ONNX
}

std::string read_external(const ::onnx::TensorProto& proto, const std::string& where,
                          const std::string& base_dir) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() == "offset") offset = std::stoll(kv.value());
    if (kv.key() == "length") length = std::stoll(kv.value());
  }
  if (location.empty() || location.find("..") != std::string::npos || location[0] == '/')
    throw Error(ErrorCode::kInvalidInput,
                where + ": external data location '" + location +
                    "' must be a file name relative to the model's folder");
  std::string path = base_dir + "/" + location;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorCode::kInvalidInput, where + ": its external data file " + path +
                                              " is missing; copy it next to the model");
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (length < 0) length = size - offset;
  if (offset < 0 || offset + length > size)
    throw Error(ErrorCode::kInvalidInput, where + ": external data " + path + " is " +
                                              std::to_string(size) + " bytes, shorter than " +
                                              "offset + length " + std::to_string(offset + length));
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  return bytes;
}

}  // namespace

std::string element_type_name(ElementType type) {
  switch (type) {
    case ElementType::kFloat:
      return "float";
    case ElementType::kUint8:
      return "uint8";
    case ElementType::kInt8:
      return "int8";
    case ElementType::kInt32:
      return "int32";
    case ElementType::kInt64:
      return "int64";
    case ElementType::kString:
      return "string";
    case ElementType::kBool:
      return "bool";
    case ElementType::kDouble:
      return "double";
    case ElementType::kUndefined:
      break;
  }
  // ONNX types Plinth does not hold, named so a refusal says which one it met.
  static const char* const kOthers[] = {nullptr,      nullptr,   nullptr,  nullptr,  "uint16",
                                        "int16",      nullptr,   nullptr,  nullptr,  nullptr,
                                        "float16",    nullptr,   "uint32", "uint64", "complex64",
                                        "complex128", "bfloat16"};
  int code = static_cast<int>(type);
  if (code >= 0 && code < 17 && kOthers[code]) return kOthers[code];
  return "type " + std::to_string(code);
}

size_t Tensor::elements() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(std::max<int64_t>(d, 0));
  return n;
}

std::string NodeContext::where() const {
  std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
  return "node '" + node.name() + "' (" + node.op_type() + ", domain " + domain + ", opset " +
         std::to_string(opset) + ")";
}

Attributes::Attributes(const NodeContext& ctx) : ctx_(ctx) {}

bool Attributes::has(const std::string& name) const { return find(ctx_.node, name) != nullptr; }

int64_t Attributes::get_int(const std::string& name, int64_t fallback) const {
  const auto* a = find(ctx_.node, name);
  return a ? a->i() : fallback;
}

int64_t Attributes::require_int(const std::string& name) const {
  const auto* a = find(ctx_.node, name);
  if (!a)
    throw Error(ErrorCode::kInvalidInput, ctx_.where() + ": attribute '" + name + "' is missing");
  return a->i();
}

float Attributes::get_float(const std::string& name, float fallback) const {
  const auto* a = find(ctx_.node, name);
  return a ? a->f() : fallback;
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  const auto* a = find(ctx_.node, name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name) const {
  const auto* a = find(ctx_.node, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

std::vector<float> Attributes::get_floats(const std::string& name) const {
  const auto* a = find(ctx_.node, name);
  return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>{};
}

std::vector<std::string> Attributes::get_strings(const std::string& name) const {
  const auto* a = find(ctx_.node, name);
  return a ? std::vector<std::string>(a->strings().begin(), a->strings().end())
           : std::vector<std::string>{};
}

std::optional<Tensor> Attributes::get_tensor(const std::string& name) const {
  const auto* a = find(ctx_.node, name);
  if (!a || !a->has_t()) return std::nullopt;
  return tensor_from_proto(a->t(), ctx_.where() + " attribute '" + name + "'", "");
}

Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& where,
                         const std::string& base_dir) {
  Tensor t;
  t.type = static_cast<ElementType>(proto.data_type());
  t.shape.assign(proto.dims().begin(), proto.dims().end());
  uint64_t product = 1;
  for (int64_t d : t.shape)
    if (d < 0 || __builtin_mul_overflow(product, static_cast<uint64_t>(d), &product) ||
        product > (uint64_t{1} << 40))
      throw Error(ErrorCode::kInvalidInput, where + ": dimension " + std::to_string(d) +
                                                " is negative or makes the tensor too large");
  size_t n = t.elements();
  bool external = proto.data_location() == ::onnx::TensorProto::EXTERNAL;
  if (external && base_dir.empty())
    throw Error(ErrorCode::kInvalidInput, where + ": external data is not allowed here");
  const std::string raw = external ? read_external(proto, where, base_dir) : proto.raw_data();
  bool has_raw = external || proto.has_raw_data();
  auto check = [&](size_t got) {
    if (got != n)
      throw Error(ErrorCode::kInvalidInput, where + ": holds " + std::to_string(got) +
                                                " values but its dims say " + std::to_string(n));
  };
  switch (t.type) {
    case ElementType::kFloat:
      if (has_raw)
        copy_raw(raw, n, t.f, where);
      else
        t.f.assign(proto.float_data().begin(), proto.float_data().end());
      check(t.f.size());
      break;
    case ElementType::kDouble:
      if (has_raw)
        copy_raw(raw, n, t.d, where);
      else
        t.d.assign(proto.double_data().begin(), proto.double_data().end());
      check(t.d.size());
      break;
    case ElementType::kInt64:
      if (has_raw)
        copy_raw(raw, n, t.i, where);
      else
        t.i.assign(proto.int64_data().begin(), proto.int64_data().end());
      check(t.i.size());
      break;
    case ElementType::kInt32:
    case ElementType::kInt8:
    case ElementType::kUint8:
    case ElementType::kBool: {
      if (has_raw) {
        size_t width = t.type == ElementType::kInt32 ? 4 : 1;
        if (raw.size() != n * width)
          throw Error(ErrorCode::kInvalidInput, where + ": raw_data size does not match dims");
        t.i.resize(n);
        for (size_t k = 0; k < n; ++k) {
          if (width == 4) {
            int32_t v;
            std::memcpy(&v, raw.data() + 4 * k, 4);
            t.i[k] = v;
          } else {
            t.i[k] = t.type == ElementType::kInt8 ? static_cast<int8_t>(raw[k])
                                                  : static_cast<uint8_t>(raw[k]);
          }
        }
      } else {
        t.i.assign(proto.int32_data().begin(), proto.int32_data().end());
      }
      check(t.i.size());
      break;
    }
    case ElementType::kString:
      t.s.assign(proto.string_data().begin(), proto.string_data().end());
      check(t.s.size());
      break;
    default:
      throw Error(ErrorCode::kInvalidInput,
                  where + ": element type " + element_type_name(t.type) +
                      " is not supported (float, double, int64, int32, int8, uint8, bool, "
                      "string are)");
  }
  return t;
}

}  // namespace plinth::model::onnx
