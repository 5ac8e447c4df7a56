#include "pipeline/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::pipeline {
namespace fs = std::filesystem;

namespace {

// A plot as declared: which files, and its properties (x, y, template, title, ...).
struct PlotSpec {
  std::string id;
  std::vector<std::string> files;
  Value props = Value::object();
};

// Rows of a data file, every cell as text.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const {
    auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? -1 : static_cast<int>(it - columns.begin());
  }
};

std::vector<std::string> split_line(const std::string& line, char sep) {
  std::vector<std::string> cells;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == sep && !quoted)
      cells.push_back(std::move(cur)), cur.clear();
    else if (c != '\r')
      cur += c;
  }
  cells.push_back(cur);
  return cells;
}

Table parse_table(const std::string& text, const std::string& file) {
  Table t;
  if (file.ends_with(".csv") || file.ends_with(".tsv")) {
    char sep = file.ends_with(".tsv") ? '\t' : ',';
    size_t pos = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string line = text.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.empty()) continue;
      if (t.columns.empty())
        t.columns = split_line(line, sep);
      else
        t.rows.push_back(split_line(line, sep));
    }
    return t;
  }
  Value v = parse_structured(text, file);
  if (v.is_object())  // {"train": [...]}: the first list in the file, as DVC takes it
    for (auto it = v.begin(); it != v.end(); ++it)
      if (it->is_array()) {
        v = *it;
        break;
      }
  if (!v.is_array())
    throw Error(ErrorCode::kInvalidInput,
                file + ": plot data must be a list of records (or a mapping holding one)");
  for (const auto& rec : v) {
    if (!rec.is_object()) continue;
    for (auto it = rec.begin(); it != rec.end(); ++it)
      if (t.column(it.key()) < 0) t.columns.push_back(it.key());
    std::vector<std::string> row;
    for (const auto& c : t.columns)
      row.push_back(rec.contains(c)
                        ? (rec[c].is_string() ? rec[c].get<std::string>() : python_str(rec[c]))
                        : "");
    t.rows.push_back(row);
  }
  return t;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::optional<double> to_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string> strings_of(const Value& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array())
    for (const auto& s : v)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                          "#9467bd", "#8c564b", "#e377c2", "#17becf"};

struct Series {
  std::string label;
  std::vector<std::pair<double, double>> points;
};

// Round-number ticks covering [lo, hi].
std::vector<double> ticks(double lo, double hi) {
  double span = hi - lo;
  double step = std::pow(10.0, std::floor(std::log10(span / 5)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (span / (step * m) <= 6) {
      step *= m;
      break;
    }
  std::vector<double> out;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

std::string line_chart(const std::vector<Series>& series, const std::string& x_label,
                       const std::string& y_label) {
  const double w = 640, h = 360, left = 60, right = 160, top = 20, bottom = 50;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (!(x0 <= x1)) return "<p>No numeric data.</p>";
  if (x1 == x0) x0 -= 1, x1 += 1;
  if (y1 == y0) y0 -= 1, y1 += 1;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); };
  std::string svg = "<svg class=\"line\" width=\"" + num(w) + "\" height=\"" + num(h) +
                    "\" viewBox=\"0 0 " + num(w) + " " + num(h) + "\">\n";
  for (double t : ticks(y0, y1))
    svg += "<line class=\"grid\" x1=\"" + num(left) + "\" x2=\"" + num(w - right) + "\" y1=\"" +
           num(py(t)) + "\" y2=\"" + num(py(t)) + "\"/><text x=\"" + num(left - 6) + "\" y=\"" +
           num(py(t) + 4) + "\" text-anchor=\"end\">" + num(t) + "</text>\n";
  for (double t : ticks(x0, x1))
    svg += "<text x=\"" + num(px(t)) + "\" y=\"" + num(h - bottom + 18) +
           "\" text-anchor=\"middle\">" + num(t) + "</text>\n";
  svg += "<rect class=\"frame\" x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" +
         num(w - left - right) + "\" height=\"" + num(h - top - bottom) + "\"/>\n";
  svg += "<text x=\"" + num((left + w - right) / 2) + "\" y=\"" + num(h - 8) +
         "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  svg += "<text transform=\"rotate(-90)\" x=\"" + num(-(top + h - bottom) / 2) +
         "\" y=\"14\" text-anchor=\"middle\">" + escape(y_label) + "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    std::string color = kPalette[i % 8], points;
    for (auto [x, y] : series[i].points) points += num(px(x)) + "," + num(py(y)) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\" points=\"" +
           points + "\"/>\n";
    double ly = top + 14 + 18 * i;
    svg += "<line x1=\"" + num(w - right + 10) + "\" x2=\"" + num(w - right + 28) + "\" y1=\"" +
           num(ly - 4) + "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + color +
           "\" stroke-width=\"2\"/><text x=\"" + num(w - right + 32) + "\" y=\"" + num(ly) + "\">" +
           escape(series[i].label) + "</text>\n";
  }
  return svg + "</svg>\n";
}

// Counts of (actual, predicted) pairs as a grid: predicted across, actual down.
std::string heatmap(const Table& t, const std::string& x, const std::string& y,
                    const std::string& caption) {
  int xc = t.column(x), yc = t.column(y);
  if (xc < 0 || yc < 0)
    return "<p>Columns '" + escape(x) + "' and '" + escape(y) + "' not found.</p>";
  std::set<std::string> labels;
  std::map<std::pair<std::string, std::string>, int> counts;
  int max = 0;
  for (const auto& r : t.rows) {
    if (static_cast<int>(r.size()) <= std::max(xc, yc)) continue;
    labels.insert(r[xc]), labels.insert(r[yc]);
    max = std::max(max, ++counts[{r[yc], r[xc]}]);
  }
  std::vector<std::string> l(labels.begin(), labels.end());
  const double cell = 60, left = 80, top = 30;
  double size = cell * l.size();
  std::string svg = "<figure><svg class=\"heatmap\" width=\"" + num(left + size + 20) +
                    "\" height=\"" + num(top + size + 50) + "\">\n";
  for (size_t r = 0; r < l.size(); ++r) {
    svg += "<text x=\"" + num(left - 8) + "\" y=\"" + num(top + cell * r + cell / 2 + 4) +
           "\" text-anchor=\"end\">" + escape(l[r]) + "</text>\n";
    for (size_t c = 0; c < l.size(); ++c) {
      int n = counts.count({l[r], l[c]}) ? counts[{l[r], l[c]}] : 0;
      double a = max ? static_cast<double>(n) / max : 0;
      int red = static_cast<int>(247 - a * (247 - 8)),
          green = static_cast<int>(251 - a * (251 - 81)),
          blue = static_cast<int>(255 - a * (255 - 156));
      char fill[16];
      std::snprintf(fill, sizeof fill, "#%02x%02x%02x", red, green, blue);
      svg += "<rect class=\"cell\" data-actual=\"" + escape(l[r]) + "\" data-predicted=\"" +
             escape(l[c]) + "\" data-count=\"" + std::to_string(n) + "\" x=\"" +
             num(left + cell * c) + "\" y=\"" + num(top + cell * r) + "\" width=\"" + num(cell) +
             "\" height=\"" + num(cell) + "\" fill=\"" + fill + "\"/><text x=\"" +
             num(left + cell * c + cell / 2) + "\" y=\"" + num(top + cell * r + cell / 2 + 5) +
             "\" text-anchor=\"middle\" fill=\"" + (a > 0.5 ? "#fff" : "#000") + "\">" +
             std::to_string(n) + "</text>\n";
    }
  }
  for (size_t c = 0; c < l.size(); ++c)
    svg += "<text x=\"" + num(left + cell * c + cell / 2) + "\" y=\"" + num(top - 8) +
           "\" text-anchor=\"middle\">" + escape(l[c]) + "</text>\n";
  svg += "<text x=\"" + num(left + size / 2) + "\" y=\"" + num(top + size + 24) +
         "\" text-anchor=\"middle\">" + escape(x) + "</text>\n<text x=\"10\" y=\"" +
         num(top + size / 2) + "\">" + escape(y) + "</text>\n";
  return svg + "</svg><figcaption>" + escape(caption) + "</figcaption></figure>\n";
}

std::vector<PlotSpec> plot_specs(const PipelineFile& pipeline,
                                 const std::vector<std::string>& targets) {
  std::vector<PlotSpec> specs;
  for (const auto& stage : pipeline.stages)
    for (const auto& out : stage.outs)
      if (out.kind == StageOut::Kind::kPlot) specs.push_back({out.rel, {out.rel}, out.plot_props});
  for (const auto& def : pipeline.plots) {
    PlotSpec spec{def.id, {}, def.props};
    if (def.props.contains("y") && def.props["y"].is_object()) {
      for (auto it = def.props["y"].begin(); it != def.props["y"].end(); ++it)
        spec.files.push_back(it.key());
    } else {
      spec.files.push_back(def.id);
    }
    specs.push_back(spec);
  }
  if (targets.empty()) return specs;
  std::vector<PlotSpec> chosen;
  for (const auto& t : targets) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](const PlotSpec& s) {
      return s.id == t || std::find(s.files.begin(), s.files.end(), t) != s.files.end();
    });
    chosen.push_back(it != specs.end() ? *it : PlotSpec{t, {t}, Value::object()});
  }
  return chosen;
}

std::string render_plot(const PlotSpec& spec, const std::vector<Revision>& revisions,
                        const std::vector<RevisionView>& views) {
  std::string title = spec.props.value("title", spec.id);
  std::string html = "<section class=\"plot\"><h2>" + escape(title) + "</h2>\n";
  std::string tmpl = spec.props.value("template", "linear");
  bool confusion = tmpl.starts_with("confusion");
  std::vector<Series> series;
  std::string x_label = "step", y_label;
  for (size_t r = 0; r < views.size(); ++r)
    for (const auto& file : spec.files) {
      auto text = views[r].read_output(file);
      if (!text) continue;
      Table t = parse_table(*text, file);
      std::string x = spec.props.contains("x") && spec.props["x"].is_string()
                          ? spec.props["x"].get<std::string>()
                          : "";
      std::vector<std::string> ys;
      if (spec.props.contains("y"))
        ys = strings_of(spec.props["y"].is_object() ? spec.props["y"][file] : spec.props["y"]);
      if (confusion) {
        html += heatmap(t, x.empty() ? "predicted" : x, ys.empty() ? "actual" : ys[0],
                        revisions[r].name + ": " + file);
        continue;
      }
      if (ys.empty() && !t.columns.empty()) ys.push_back(t.columns.back());
      int xc = x.empty() ? -1 : t.column(x);
      if (xc >= 0) x_label = x;
      for (const auto& y : ys) {
        int yc = t.column(y);
        if (yc < 0) continue;
        y_label = y;
        Series s{(views.size() > 1 ? revisions[r].name + ": " : "") +
                     (spec.files.size() > 1 ? file + ": " : "") + y,
                 {}};
        for (size_t i = 0; i < t.rows.size(); ++i) {
          auto yv =
              yc < static_cast<int>(t.rows[i].size()) ? to_number(t.rows[i][yc]) : std::nullopt;
          auto xv = xc >= 0 && xc < static_cast<int>(t.rows[i].size()) ? to_number(t.rows[i][xc])
                                                                       : std::optional<double>(i);
          if (xv && yv) s.points.emplace_back(*xv, *yv);
        }
        series.push_back(std::move(s));
      }
    }
  if (!confusion) {
    if (series.empty()) return "";
    html += line_chart(series, spec.props.value("x_label", x_label),
                       spec.props.value("y_label", y_label));
  }
  return html + "</section>\n";
}

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222}"
    "section.plot{display:inline-block;vertical-align:top;margin:0 24px 24px 0}"
    "h2{font-size:16px}svg text{font-size:12px}figure{display:inline-block;margin:0 16px 0 0}"
    "rect.frame{fill:none;stroke:#888}line.grid{stroke:#e4e4e4}"
    "rect.cell{stroke:#fff}figcaption{font-size:12px;text-align:center}";

}  // namespace

std::optional<fs::path> render_plots(const fs::path& root, const PlotsOptions& options) {
  std::vector<RevisionView> views;
  for (const auto& rev : options.revisions) views.emplace_back(root, rev);
  // Plots declared at any of the revisions, the workspace's (last) definitions first.
  std::vector<PlotSpec> specs;
  for (auto it = views.rbegin(); it != views.rend(); ++it)
    for (auto& spec : plot_specs(it->pipeline(), options.targets))
      if (std::none_of(specs.begin(), specs.end(),
                       [&](const PlotSpec& s) { return s.id == spec.id; }))
        specs.push_back(std::move(spec));
  std::string body;
  for (const auto& spec : specs) body += render_plot(spec, options.revisions, views);
  if (body.empty()) return std::nullopt;
  std::string html = std::string("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n") +
                     "<title>Plinth plots</title>\n<style>" + kStyle +
                     "</style>\n</head>\n<body>\n<h1>Plots</h1>\n" + body + "</body>\n</html>\n";
  fs::create_directories(options.out_dir);
  fs::path file = options.out_dir / "index.html";
  core::write_file_atomic(file, html);
  return file;
}

}  // namespace plinth::pipeline
