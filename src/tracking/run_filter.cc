#include "tracking/internal/run_filter.h"

#include <map>

#include "core/error.h"

namespace plinth::tracking::internal {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidInput, message);
}

bool numeric_run_attribute(const std::string& a) { return a == "start_time" || a == "end_time"; }

SortValue run_attribute(const RunInfo& info, const std::string& a) {
  if (a == "start_time") return SortValue::of(static_cast<double>(info.start_time));
  if (a == "end_time")
    return info.end_time ? SortValue::of(static_cast<double>(*info.end_time)) : SortValue{};
  if (a == "run_id") return SortValue::of(info.run_id);
  if (a == "run_name") return SortValue::of(info.run_name);
  if (a == "status") return SortValue::of(info.status);
  if (a == "user_id") return SortValue::of(info.user_id);
  if (a == "artifact_uri") return SortValue::of(info.artifact_uri);
  return SortValue::of(info.lifecycle_stage);
}

}  // namespace

std::string canonical_run_attribute(const std::string& key) {
  static const std::map<std::string, std::string> kAliases = {
      {"run_id", "run_id"},
      {"run_name", "run_name"},
      {"run name", "run_name"},
      {"Run name", "run_name"},
      {"Run Name", "run_name"},
      {"status", "status"},
      {"user_id", "user_id"},
      {"artifact_uri", "artifact_uri"},
      {"start_time", "start_time"},
      {"end_time", "end_time"},
      {"created", "start_time"},
      {"Created", "start_time"},
      {"lifecycle_stage", "lifecycle_stage"}};
  auto it = kAliases.find(key);
  if (it == kAliases.end())
    invalid("Invalid attribute key '" + key +
            "' specified. Valid keys are '['run_id', 'run_name', 'status', 'user_id', "
            "'artifact_uri', 'start_time', 'end_time', 'created']'");
  return it->second;
}

void validate_run_clause(Clause& c) {
  if (c.entity == "metric") {
    check_comparator(c, kNumericComparators);
    if (!c.numeric) invalid("Invalid filter: metric '" + c.key + "' must be compared to a number");
  } else if (c.entity == "param" || c.entity == "tag") {
    check_comparator(c, kStringComparators);
    if (c.numeric)
      invalid("Invalid filter: " + c.entity + " '" + c.key +
              "' must be compared to a quoted string");
  } else if (c.entity == "attribute") {
    c.key = canonical_run_attribute(c.key);
    if (numeric_run_attribute(c.key)) {
      check_comparator(c, kNumericComparators);
      if (!c.numeric) invalid("Invalid filter: attribute '" + c.key + "' needs a number");
    } else {
      check_comparator(c, c.key == "run_id" ? kStringListComparators : kStringComparators);
    }
  } else if (c.entity == "dataset") {
    if (c.key != "name" && c.key != "digest" && c.key != "context")
      invalid("Invalid dataset key '" + c.key + "': use name, digest or context");
    check_comparator(c, kStringListComparators);
  }
}

SortValue run_value(const Run& run, const std::string& entity, const std::string& key) {
  if (entity == "metric") {
    for (const auto& m : run.metrics)
      if (m.key == key) return SortValue::of(m.value);
    return {};
  }
  if (entity == "param" || entity == "tag") {
    const Tag* t = find_tag(entity == "param" ? run.params : run.tags, key);
    return t ? SortValue::of(t->value) : SortValue{};
  }
  return run_attribute(run.info, key);
}

bool run_matches(const Run& run, const Clause& c) {
  if (c.entity == "dataset") {
    for (const auto& in : run.dataset_inputs) {
      std::string actual = c.key == "name"     ? in.dataset.name
                           : c.key == "digest" ? in.dataset.digest
                                               : "";
      if (c.key == "context") {
        const Tag* t = find_tag(in.tags, "mlflow.data.context");
        if (!t) continue;
        actual = t->value;
      }
      if (match_string(c, actual)) return true;
    }
    return false;
  }
  SortValue v = run_value(run, c.entity, c.key);
  if (!v.present) return false;
  return v.numeric ? match_number(c, v.number) : match_string(c, v.text);
}

}  // namespace plinth::tracking::internal
