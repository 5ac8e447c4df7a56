#include "monitor/live.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/prometheus_text.h"

namespace plinth::monitor {

LiveDrift::LiveDrift(std::vector<ProfiledColumn> reference, LiveDriftOptions options)
    : reference_(std::move(reference)), options_(std::move(options)) {
  if (options_.window_rows == 0)
    throw Error(ErrorCode::kInvalidInput, "live drift: the window must hold at least one row");
  windows_.resize(reference_.size());
  for (size_t i = 0; i < reference_.size(); ++i) {
    Window& w = windows_[i];
    w.numeric = profile_is_numeric(reference_[i]);
    if (w.numeric) {
      w.edges = profile_edges(reference_[i]);
      w.reference_counts = reference_[i].profile["bin_counts"].get<std::vector<double>>();
    } else {
      for (const auto& [label, n] : reference_[i].profile.at("frequencies").items()) {
        w.categories.emplace(label, static_cast<uint32_t>(w.labels.size()));
        w.labels.push_back(label);
        w.reference_counts.push_back(n.get<double>());
      }
    }
    w.counts.assign(w.reference_counts.size(), 0.0);
  }
}

void LiveDrift::expire(Window& w, Clock::time_point now) const {
  auto evict = [&w] {
    const Entry& e = w.entries.front();
    w.counts[e.bucket] -= 1;
    w.sum -= e.value;
    w.entries.pop_front();
  };
  while (w.entries.size() > options_.window_rows) evict();
  if (options_.window_seconds > 0) {
    auto oldest = now - std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(options_.window_seconds));
    while (!w.entries.empty() && w.entries.front().at < oldest) evict();
  }
}

void LiveDrift::push(Window& w, uint32_t bucket, double value, Clock::time_point now) {
  w.entries.push_back({bucket, value, now});
  w.counts[bucket] += 1;
  w.sum += value;
  expire(w, now);
}

namespace {
// The bucket unseen values beyond the cap share.
constexpr std::string_view kOtherUnseen = "(other unseen)";
}  // namespace

void LiveDrift::record_category(size_t column, std::string_view value, Clock::time_point now) {
  Window& w = windows_.at(column);
  if (w.numeric)
    throw Error(ErrorCode::kInvalidInput, "live drift: column '" + reference_.at(column).name +
                                              "' is numeric in the model's profile");
  auto it = w.categories.find(value);
  if (it == w.categories.end()) {  // unseen in training: a category of its own, up to the cap
    if (w.unseen >= kMaxUnseenCategories) value = kOtherUnseen;
    it = w.categories.find(value);
  }
  if (it == w.categories.end()) {
    it = w.categories.emplace(std::string(value), static_cast<uint32_t>(w.labels.size())).first;
    w.labels.emplace_back(value);
    w.reference_counts.push_back(0);
    w.counts.push_back(0);
    ++w.unseen;
  }
  push(w, it->second, 0, now);
}

void LiveDrift::record_number(size_t column, double value, Clock::time_point now) {
  if (!std::isfinite(value)) return;
  Window& w = windows_.at(column);
  if (!w.numeric) {  // a number-coded categorical column: its label is the number's text
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    std::string label = value == std::floor(value) && std::abs(value) < 1e15
                            ? std::to_string(static_cast<int64_t>(value))
                            : buf;
    record_category(column, label, now);
    return;
  }
  push(w, static_cast<uint32_t>(bucket_of(w.edges, value)), value, now);
}

void LiveDrift::observe_number(size_t column, double value) {
  std::lock_guard lock(mutex_);
  record_number(column, value, Clock::now());
}

void LiveDrift::observe_category(size_t column, std::string_view value) {
  std::lock_guard lock(mutex_);
  record_category(column, value, Clock::now());
}

void LiveDrift::observe(size_t column, const table::Column& c) {
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.is_null(i)) continue;
    switch (c.type) {
      case table::ColumnType::kString:
        record_category(column, c.string_at(i), now);
        break;
      case table::ColumnType::kInt64:
      case table::ColumnType::kTimestamp:
        record_number(column, static_cast<double>(c.i64[i]), now);
        break;
      case table::ColumnType::kBool:
        record_number(column, c.b[i], now);
        break;
      default:
        record_number(column, c.f64[i], now);
    }
  }
}

LiveDrift::Snapshot LiveDrift::snapshot() const {
  Snapshot s;
  s.report.drift_share = options_.drift.drift_share;
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  for (size_t i = 0; i < windows_.size(); ++i) {
    Window& w = windows_[i];
    expire(w, now);
    size_t rows = w.entries.size();
    s.features.push_back(reference_[i].name);
    s.window_rows.push_back(rows);
    s.window_mean.push_back(w.numeric && rows > 0 ? w.sum / static_cast<double>(rows) : NAN);
    s.reference_mean.push_back(w.numeric ? reference_[i].profile.value("mean", NAN) : NAN);
    if (rows < std::max<size_t>(options_.min_rows, 1)) continue;
    ColumnDrift d = binned_drift(reference_[i].name, w.numeric, reference_rows(reference_[i]),
                                 {w.reference_counts, w.counts}, options_.drift);
    if (w.numeric) d.distribution.edges = w.edges;
    d.distribution.categories = w.labels;
    d.distribution.reference = w.reference_counts;
    d.distribution.current = w.counts;
    s.report.columns.push_back(std::move(d));
  }
  summarize(s.report);
  return s;
}

std::string LiveDrift::prometheus(const Snapshot& s, const std::string& labels) {
  std::string extra = labels.empty() ? "" : "," + labels;
  std::string out;
  auto family = [&](const char* name, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
  };
  family("model_feature_drift_score",
         "Drift score of the feature's live window against the training profile.");
  for (const auto& c : s.report.columns)
    out += "model_feature_drift_score{feature=\"" + core::prometheus_label(c.column) +
           "\",stattest=\"" + c.stattest + "\"" + extra + "} " + core::prometheus_number(c.score) +
           "\n";
  family("model_feature_drift_detected", "1 while the feature's live window drifts.");
  for (const auto& c : s.report.columns)
    out += "model_feature_drift_detected{feature=\"" + core::prometheus_label(c.column) +
           "\",stattest=\"" + c.stattest + "\"" + extra + "} " + (c.drifted ? "1" : "0") + "\n";
  family("model_dataset_drift_share", "Share of the features whose live window drifts.");
  out += "model_dataset_drift_share" + (labels.empty() ? "" : "{" + labels + "}") + " " +
         core::prometheus_number(s.report.share_of_drifted_columns) + "\n";
  auto per_feature = [&](const char* name, const char* help, auto value) {
    family(name, help);
    for (size_t i = 0; i < s.features.size(); ++i) {
      double v = value(i);
      if (std::isnan(v)) continue;
      out += std::string(name) + "{feature=\"" + core::prometheus_label(s.features[i]) + "\"" +
             extra + "} " + core::prometheus_number(v) + "\n";
    }
  };
  per_feature("model_drift_window_rows", "Values in the feature's live window.",
              [&](size_t i) { return static_cast<double>(s.window_rows[i]); });
  per_feature("model_feature_mean", "Mean of the feature's live window.",
              [&](size_t i) { return s.window_mean[i]; });
  per_feature("model_feature_reference_mean", "Mean of the feature in the training data.",
              [&](size_t i) { return s.reference_mean[i]; });
  return out;
}

}  // namespace plinth::monitor
