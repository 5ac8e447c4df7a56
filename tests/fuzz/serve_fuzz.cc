// libFuzzer target: any bytes sent to plinth serve, parsed as the server parses a request and
// handed to the model service, either answer a response or are refused as malformed; nothing
// crashes, hangs or answers 5xx. The model is a rules package written once at start (no
// XGBoost), with the fraud example's signature and constraints.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "http/server.h"
#include "model/package.h"
#include "serving/service.h"

namespace {

std::unique_ptr<plinth::serving::Service> service;

plinth::model::ModelPackage rules_package() {
  using plinth::model::FeatureSpec;
  using plinth::table::ColumnType;
  plinth::model::ModelPackage p;
  p.flavor = "rules";
  p.algorithm = "rules";
  p.task = plinth::model::Task::kBinary;
  p.target = "is_fraud";
  p.classes = {"0", "1"};
  p.outputs = {"is_fraud", "fraud_probability", 0.5};
  p.rule = "amount > 500 and hour_of_day <= 5";
  p.model_uuid = "0123456789abcdef0123456789abcdef";
  for (const char* c : {"amount", "transaction_velocity", "distance_from_home"})
    p.preprocessing.push_back({c, FeatureSpec::Kind::kNumeric, ColumnType::kFloat64, {}, 0, 1, {}});
  for (const char* c : {"hour_of_day", "day_of_week"})
    p.preprocessing.push_back({c, FeatureSpec::Kind::kNumeric, ColumnType::kInt64, {}, 0, 1, {}});
  p.preprocessing.push_back({"merchant_category",
                             FeatureSpec::Kind::kOneHot,
                             ColumnType::kString,
                             {"gas", "online", "travel"},
                             0,
                             1,
                             {}});
  p.constraints["amount"].gt = 0;
  p.constraints["hour_of_day"].ge = 0;
  p.constraints["hour_of_day"].le = 23;
  p.constraints["merchant_category"].in = {"gas", "online", "travel", "other"};
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  auto dir =
      std::filesystem::temp_directory_path() / ("plinth-serve-fuzz-" + std::to_string(::getpid()));
  plinth::model::write_package(rules_package(), {}, dir, true);
  plinth::serving::ServiceOptions options;
  service = std::make_unique<plinth::serving::Service>(
      plinth::serving::load_model({dir, "fraud", "1"}, options), options);
  std::filesystem::remove_all(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!service) LLVMFuzzerInitialize(nullptr, nullptr);
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  std::optional<plinth::http::ServerRequest> request;
  try {
    request = plinth::http::parse_request(raw, 1 << 20);
  } catch (const plinth::Error&) {
    return 0;  // a malformed escape: serve() answers 400
  }
  if (!request) return 0;
  plinth::http::ServerResponse response = service->handle(*request);
  if (response.status >= 500) std::abort();
  return 0;
}
