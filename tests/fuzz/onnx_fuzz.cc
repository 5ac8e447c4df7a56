// libFuzzer target: any bytes given to the ONNX loader either load or are refused with
// plinth::Error; a model that loads then runs on a small batch built from its declared inputs
// and either answers or refuses the batch with plinth::Error. Nothing crashes or leaks.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "model/onnx/model.h"

namespace {

using plinth::model::onnx::ElementType;
using plinth::model::onnx::Tensor;

// A tensor for a declared input: dynamic dimensions become 2, values cycle through a few
// numbers (NaN among them) or strings. Nullopt-like empty shape when it would be large.
bool make_input(const plinth::model::onnx::ValueInfo& info, Tensor& t) {
  t.type = info.type;
  size_t n = 1;
  for (int64_t d : info.shape) {
    t.shape.push_back(d < 0 ? 2 : d);
    n *= static_cast<size_t>(t.shape.back());
    if (n > 4096) return false;
  }
  static const float kValues[] = {0.5f, -1.0f, 3.0f, __builtin_nanf(""), 0.0f};
  for (size_t k = 0; k < n; ++k) {
    float v = kValues[k % 5];
    switch (info.type) {
      case ElementType::kFloat:
        t.f.push_back(v);
        break;
      case ElementType::kDouble:
        t.d.push_back(v);
        break;
      case ElementType::kString:
        t.s.push_back(k % 2 ? "a" : "b");
        break;
      default:
        t.i.push_back(static_cast<int64_t>(k % 3));
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto model = plinth::model::onnx::OnnxModel::parse(bytes, "fuzz.onnx", "/nonexistent");
    std::vector<Tensor> inputs(model.inputs().size());
    for (size_t k = 0; k < inputs.size(); ++k)
      if (!make_input(model.inputs()[k], inputs[k])) return 0;
    model.run(std::move(inputs));
  } catch (const plinth::Error&) {
  }
  return 0;
}
