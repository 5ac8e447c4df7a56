#include "pipeline/dag.h"

#include <algorithm>
#include <functional>
#include <set>

#include "core/error.h"

namespace plinth::pipeline {

bool paths_overlap(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return true;  // the repository root holds everything
  auto inside = [](const std::string& x, const std::string& dir) {
    return x.size() > dir.size() && x.compare(0, dir.size(), dir) == 0 && x[dir.size()] == '/';
  };
  return a == b || inside(a, b) || inside(b, a);
}

Dag::Dag(const PipelineFile& pipeline) {
  for (const auto& s : pipeline.stages) stages_.push_back(&s);
  size_t n = stages_.size();
  upstream_.assign(n, {});
  downstream_.assign(n, {});
  for (size_t a = 0; a < n; ++a)
    for (size_t b = a + 1; b < n; ++b)
      for (const auto& oa : stages_[a]->outs)
        for (const auto& ob : stages_[b]->outs)
          if (paths_overlap(oa.rel, ob.rel))
            throw Error(ErrorCode::kInvalidInput,
                        "dvc.yaml: output '" + oa.rel + "' of stage '" + stages_[a]->name +
                            "' overlaps output '" + ob.rel + "' of stage '" + stages_[b]->name +
                            "'; each file may be written by one stage only");
  for (size_t b = 0; b < n; ++b) {
    std::set<size_t> ups;
    for (const auto& dep : stages_[b]->dep_rels)
      for (size_t a = 0; a < n; ++a)
        for (const auto& out : stages_[a]->outs)
          if (paths_overlap(dep, out.rel)) ups.insert(a);
    for (const auto& p : stages_[b]->params)
      for (size_t a = 0; a < n; ++a)
        for (const auto& out : stages_[a]->outs)
          if (p.rel == out.rel) ups.insert(a);
    for (size_t a : ups) {
      upstream_[b].push_back(a);
      downstream_[a].push_back(b);
    }
  }
  // Depth-first topological sort; a grey node reached again closes a cycle.
  std::vector<int> color(n, 0);
  std::vector<size_t> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    if (color[i] == 2) return;
    if (color[i] == 1) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), i);
      for (auto it = from; it != path.end(); ++it) cycle += stages_[*it]->name + " -> ";
      throw Error(ErrorCode::kInvalidInput,
                  "dvc.yaml: the stages form a cycle: " + cycle + stages_[i]->name +
                      "; a stage cannot depend, directly or not, on its own outputs");
    }
    color[i] = 1;
    path.push_back(i);
    for (size_t u : upstream_[i]) visit(u);
    path.pop_back();
    color[i] = 2;
    order_.push_back(i);
  };
  for (size_t i = 0; i < n; ++i) visit(i);
}

size_t Dag::index_of(const std::string& name) const {
  for (size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i]->name == name) return i;
  std::string names;
  for (const auto* s : stages_) names += (names.empty() ? "" : ", ") + s->name;
  throw Error(ErrorCode::kNotFound, "no stage named '" + name + "' in dvc.yaml; stages: " +
                                        (names.empty() ? "(none)" : names));
}

std::vector<size_t> Dag::plan(const std::vector<std::string>& targets, bool single,
                              bool downstream) const {
  std::vector<bool> chosen(stages_.size(), targets.empty());
  std::function<void(size_t)> up = [&](size_t i) {
    if (chosen[i]) return;
    chosen[i] = true;
    if (!stages_[i]->frozen)
      for (size_t u : upstream_[i]) up(u);
  };
  std::function<void(size_t)> down = [&](size_t i) {
    if (chosen[i]) return;
    chosen[i] = true;
    for (size_t d : downstream_[i]) down(d);
  };
  for (const auto& t : targets) {
    size_t i = index_of(t.starts_with("dvc.yaml:") ? t.substr(9) : t);
    if (single)
      chosen[i] = true;
    else if (downstream)
      down(i);
    else
      up(i);
  }
  std::vector<size_t> out;
  for (size_t i : order_)
    if (chosen[i]) out.push_back(i);
  return out;
}

std::string Dag::ascii(const std::vector<size_t>& subset) const {
  // One line per stage in run order, with the stages it waits for.
  std::string out;
  std::set<size_t> in(subset.begin(), subset.end());
  for (size_t i : subset) {
    out += stages_[i]->name;
    std::string ups;
    for (size_t u : upstream_[i])
      if (in.count(u)) ups += (ups.empty() ? "" : ", ") + stages_[u]->name;
    if (!ups.empty()) out += "  <- " + ups;
    out += "\n";
  }
  return out;
}

std::string Dag::mermaid(const std::vector<size_t>& subset) const {
  std::string out = "flowchart TD\n";
  std::set<size_t> in(subset.begin(), subset.end());
  for (size_t k = 0; k < subset.size(); ++k)
    out += "\tnode" + std::to_string(subset[k] + 1) + "[\"" + stages_[subset[k]]->name + "\"]\n";
  for (size_t i : subset)
    for (size_t d : downstream_[i])
      if (in.count(d))
        out += "\tnode" + std::to_string(i + 1) + "-->node" + std::to_string(d + 1) + "\n";
  return out;
}

std::string Dag::dot(const std::vector<size_t>& subset) const {
  std::string out = "strict digraph  {\n";
  std::set<size_t> in(subset.begin(), subset.end());
  for (size_t i : subset) out += "\"" + stages_[i]->name + "\";\n";
  for (size_t i : subset)
    for (size_t d : downstream_[i])
      if (in.count(d)) out += "\"" + stages_[i]->name + "\" -> \"" + stages_[d]->name + "\";\n";
  return out + "}\n";
}

}  // namespace plinth::pipeline
