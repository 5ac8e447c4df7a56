#include "monitor/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace plinth::monitor {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::vector<double> shares(const std::vector<double>& counts) {
  double total = 0;
  for (double c : counts) total += c;
  std::vector<double> out(counts);
  for (double& v : out) v = total > 0 ? v / total : 0;
  return out;
}

// Bars of one or two series over the same bins, as an inline SVG.
std::string bars_svg(const std::vector<double>& a, const std::vector<double>* b, int width,
                     int height, bool axis_labels, const Distribution* dist) {
  std::vector<double> sa = shares(a), sb = b ? shares(*b) : std::vector<double>{};
  double top = 0;
  for (double v : sa) top = std::max(top, v);
  for (double v : sb) top = std::max(top, v);
  if (top == 0) top = 1;
  int bottom_pad = axis_labels ? 18 : 0;
  double plot_h = height - bottom_pad,
         slot = static_cast<double>(width) / std::max<size_t>(sa.size(), 1);
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(width) +
                    "' height='" + std::to_string(height) + "' viewBox='0 0 " +
                    std::to_string(width) + " " + std::to_string(height) + "'>";
  auto bar = [&](double x, double w, double v, const char* cls) {
    double h = v / top * (plot_h - 2);
    svg += "<rect class='" + std::string(cls) + "' x='" + fixed(x, 2) + "' y='" +
           fixed(plot_h - h, 2) + "' width='" + fixed(std::max(w, 0.5), 2) + "' height='" +
           fixed(h, 2) + "'/>";
  };
  for (size_t i = 0; i < sa.size(); ++i) {
    double x = static_cast<double>(i) * slot;
    if (b) {
      bar(x + slot * 0.1, slot * 0.4, sa[i], "ref");
      bar(x + slot * 0.5, slot * 0.4, sb[i], "cur");
    } else {
      bar(x + slot * 0.05, slot * 0.9, sa[i], "cur");
    }
  }
  if (axis_labels && dist) {
    auto label = [&](double x, const std::string& text, const char* anchor) {
      svg += "<text x='" + fixed(x, 1) + "' y='" + std::to_string(height - 4) + "' text-anchor='" +
             anchor + "'>" + escape(text) + "</text>";
    };
    if (!dist->edges.empty()) {
      label(0, fixed(dist->edges.front(), 2), "start");
      label(width, fixed(dist->edges.back(), 2), "end");
    } else {
      for (size_t i = 0; i < dist->categories.size() && i < 12; ++i)
        label((static_cast<double>(i) + 0.5) * slot, dist->categories[i], "middle");
    }
  }
  return svg + "</svg>";
}

}  // namespace

std::vector<QualityRow> quality_rows(const QualityComparison& q) {
  std::vector<QualityRow> rows = {{"accuracy", q.reference.accuracy, q.current.accuracy},
                                  {"precision", q.reference.precision, q.current.precision},
                                  {"recall", q.reference.recall, q.current.recall},
                                  {"f1", q.reference.f1, q.current.f1}};
  if (q.reference.roc_auc && q.current.roc_auc)
    rows.push_back({"roc_auc", *q.reference.roc_auc, *q.current.roc_auc});
  return rows;
}

nlohmann::json report_json(const DriftReport& report) {
  nlohmann::json columns = nlohmann::json::object();
  for (const auto& c : report.columns)
    columns[c.column] = {{"stattest", c.stattest},
                         {"stattest_name", c.stattest_name},
                         {"score", c.score},
                         {"threshold", c.threshold},
                         {"drifted", c.drifted},
                         {"column_type", c.column_type},
                         {"reference_rows", c.reference_rows},
                         {"current_rows", c.current_rows}};
  nlohmann::json out = {{"dataset_drift", report.dataset_drift},
                        {"share_of_drifted_columns", report.share_of_drifted_columns},
                        {"number_of_drifted_columns", report.number_of_drifted_columns},
                        {"number_of_columns", report.number_of_columns},
                        {"drift_share", report.drift_share},
                        {"columns", columns}};
  for (const auto& c : report.columns)
    if (!c.role.empty()) out["columns"][c.column]["role"] = c.role;
  if (report.quality) {
    const QualityComparison& q = *report.quality;
    auto metrics = [](const BinaryQuality& b) {
      nlohmann::json m = {{"rows", b.rows},
                          {"accuracy", b.accuracy},
                          {"precision", b.precision},
                          {"recall", b.recall},
                          {"f1", b.f1},
                          {"roc_auc", nullptr}};
      if (b.roc_auc) m["roc_auc"] = *b.roc_auc;
      return m;
    };
    nlohmann::json ref = metrics(q.reference), cur = metrics(q.current), change;
    for (const char* k : {"accuracy", "precision", "recall", "f1", "roc_auc"})
      change[k] = ref[k].is_null() || cur[k].is_null()
                      ? nlohmann::json(nullptr)
                      : nlohmann::json(cur[k].get<double>() - ref[k].get<double>());
    out["quality"] = {{"target", q.target},
                      {"prediction", q.prediction},
                      {"reference", ref},
                      {"current", cur},
                      {"change", change}};
  }
  return out;
}

std::string report_html(const DriftReport& report, const ReportSources& sources) {
  std::vector<const ColumnDrift*> rows;
  for (const auto& c : report.columns) rows.push_back(&c);
  // Target, then prediction, then features by score, as Evidently orders them.
  auto rank = [](const ColumnDrift* c) {
    return c->role == "target" ? 0 : c->role == "prediction" ? 1 : 2;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const ColumnDrift* a, const ColumnDrift* b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a->score > b->score;
  });
  std::string html =
      "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
      "<title>Data drift report</title><style>"
      "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
      ".verdict{padding:1rem 1.25rem;border-radius:6px;font-size:1.25rem;font-weight:600}"
      ".drift{background:#fde2e1;color:#8a1c17}.nodrift{background:#dff3e3;color:#17602a}"
      ".counters{display:flex;gap:2rem;margin:1rem 0}.counters div{font-size:.9rem;color:#555}"
      ".counters b{display:block;font-size:1.6rem;color:#222}"
      "table{border-collapse:collapse;margin-top:1rem}th,td{padding:.35rem .7rem;"
      "border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}"
      "td.num{text-align:right;font-variant-numeric:tabular-nums}"
      ".yes{color:#b3261e;font-weight:600}.no{color:#17602a}"
      "rect.ref{fill:#8da0cb}rect.cur{fill:#fc8d62}text{font-size:10px;fill:#555}"
      "details{margin:.6rem 0}summary{cursor:pointer;font-weight:600}"
      ".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}"
      "</style></head><body>\n<h1>Data drift report</h1>\n";
  html += "<p>Reference: <code>" + escape(sources.reference) + "</code> &middot; Current: <code>" +
          escape(sources.current) + "</code>" +
          (sources.generated_at.empty() ? "" : " &middot; " + escape(sources.generated_at)) +
          "</p>\n";
  html += std::string("<div class='verdict ") + (report.dataset_drift ? "drift" : "nodrift") +
          "'>Dataset drift is " + (report.dataset_drift ? "detected" : "NOT detected") +
          ". Dataset drift detection threshold is " + fixed(report.drift_share, 2) + "</div>\n";
  html += "<div class='counters'><div><b>" + std::to_string(report.number_of_columns) +
          "</b>Columns</div><div><b>" + std::to_string(report.number_of_drifted_columns) +
          "</b>Drifted columns</div><div><b>" + fixed(report.share_of_drifted_columns, 3) +
          "</b>Share of drifted columns</div></div>\n";
  if (report.quality) {
    const QualityComparison& q = *report.quality;
    html += "<h2>Classification quality: " + escape(q.prediction) + " against " + escape(q.target) +
            "</h2>\n<table><thead><tr><th>Metric</th><th>Reference</th><th>Current</th>"
            "<th>Change</th></tr></thead><tbody>\n";
    for (const auto& [name, r, c] : quality_rows(q))
      html += "<tr><td>" + name + "</td><td class='num'>" + fixed(r, 4) + "</td><td class='num'>" +
              fixed(c, 4) + "</td><td class='num'>" + (c - r >= 0 ? "+" : "") + fixed(c - r, 4) +
              "</td></tr>\n";
    html += "</tbody></table>\n";
  }
  double pct = 100.0 * report.share_of_drifted_columns;
  html += "<h2>Drift is detected for " + fixed(pct, 2) + "% of columns (" +
          std::to_string(report.number_of_drifted_columns) + " out of " +
          std::to_string(report.number_of_columns) + ")</h2>\n";
  html +=
      "<table><thead><tr><th>Column</th><th>Type</th><th>Reference distribution</th>"
      "<th>Current distribution</th><th>Data drift</th><th>Stat test</th><th>Drift score</th>"
      "<th>Threshold</th></tr></thead><tbody>\n";
  for (const ColumnDrift* c : rows) {
    html += "<tr><td>" + escape(c->column) +
            (c->role.empty() ? "" : " <small>(" + c->role + ")</small>") + "</td><td>" +
            c->column_type + "</td><td>" +
            bars_svg(c->distribution.reference, nullptr, 120, 30, false, nullptr) + "</td><td>" +
            bars_svg(c->distribution.current, nullptr, 120, 30, false, nullptr) +
            "</td><td class='" + (c->drifted ? "yes'>Detected" : "no'>Not Detected") + "</td><td>" +
            escape(c->stattest_name) + "</td><td class='num'>" + fixed(c->score, 6) +
            "</td><td class='num'>" + fixed(c->threshold, 3) + "</td></tr>\n";
  }
  html += "</tbody></table>\n<h2>Distributions</h2>\n";
  for (const ColumnDrift* c : rows) {
    html += std::string("<details") + (c->drifted ? " open" : "") + "><summary>" +
            escape(c->column) + " &mdash; " + escape(c->stattest_name) + " " + fixed(c->score, 6) +
            (c->drifted ? " (drift)" : "") +
            "</summary><div class='legend'><span style='background:#8da0cb'></span>reference (" +
            std::to_string(c->reference_rows) +
            " rows)<span style='background:#fc8d62'></span>current (" +
            std::to_string(c->current_rows) + " rows)</div>" +
            bars_svg(c->distribution.reference, &c->distribution.current, 640, 200, true,
                     &c->distribution) +
            "</details>\n";
  }
  return html + "</body></html>\n";
}

}  // namespace plinth::monitor
