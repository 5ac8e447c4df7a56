#include "pipeline/dvc_yaml.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "pipeline/dag.h"

namespace plinth::pipeline {
namespace {

PipelineFile parse(const std::string& text, std::map<std::string, std::string> files = {}) {
  return PipelineFile::parse(text, [files](const std::string& rel) -> std::optional<std::string> {
    auto it = files.find(rel);
    if (it == files.end()) return std::nullopt;
    return it->second;
  });
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DvcYaml, TemplatesFromParamsAndVars) {
  PipelineFile pf = parse(
      "vars:\n- model: {name: rf}\nstages:\n  train:\n    cmd: train --lr ${train.lr} "
      "--out ${model.name}.pkl\n    wdir: src\n    deps:\n    - ../data\n    params:\n    - "
      "train.lr\n    - other.yaml: [a]\n    outs:\n    - ${model.name}.pkl\n    metrics:\n    "
      "- m.json:\n        cache: false\n",
      {{"params.yaml", "train:\n  lr: 0.01\n"}});
  ASSERT_EQ(pf.stages.size(), 1u);
  const Stage& s = pf.stages[0];
  EXPECT_EQ(s.cmd, "train --lr 0.01 --out rf.pkl");
  EXPECT_EQ(s.dep_rels, std::vector<std::string>{"data"});
  ASSERT_EQ(s.outs.size(), 2u);
  EXPECT_EQ(s.outs[0].rel, "src/rf.pkl");
  EXPECT_FALSE(s.outs[1].cache);
  EXPECT_EQ(s.outs[1].kind, StageOut::Kind::kMetric);
  ASSERT_EQ(s.params.size(), 2u);
  EXPECT_EQ(s.params[0].rel, "src/params.yaml");
  EXPECT_EQ(s.params[1].keys, std::vector<std::string>{"a"});
}

TEST(DvcYaml, ForeachAndMatrixGenerateNamedStages) {
  PipelineFile pf = parse(
      "stages:\n  build:\n    foreach: [us, eu]\n    do:\n      cmd: make ${item}\n"
      "  fit:\n    matrix:\n      model: [rf, xgb]\n      lr: [0.1, 1]\n"
      "    cmd: fit ${item.model} ${item.lr} ${key}\n"
      "  per:\n    foreach:\n      a: {n: 1}\n    do:\n      cmd: echo ${key} ${item.n}\n");
  std::vector<std::string> names;
  for (const auto& s : pf.stages) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"build@us", "build@eu", "fit@rf-0.1", "fit@rf-1",
                                             "fit@xgb-0.1", "fit@xgb-1", "per@a"}));
  EXPECT_EQ(pf.stages[1].cmd, "make eu");
  EXPECT_EQ(pf.stages[3].cmd, "fit rf 1 rf-1");
  EXPECT_EQ(pf.stages[6].cmd, "echo a 1");
}

TEST(DvcYaml, ErrorsNameLineAndKey) {
  EXPECT_EQ(error_of([] { parse("stages:\n  a:\n    cmd: x\n    outz: [y]\n"); }),
            "dvc.yaml:4: stage 'a': unknown key 'outz'; a stage may have always_changed, cmd, "
            "deps, desc, frozen, meta, metrics, outs, params, plots, vars, wdir");
  EXPECT_NE(error_of([] {
              parse("stages:\n  a:\n    cmd: echo ${nope.x}\n");
            }).find("dvc.yaml:3: stage 'a', key 'cmd': '${nope.x}' is not defined"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse("stages:\n  a:\n    deps: [x]\n"); }).find("has no 'cmd'"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse("stages:\n  a b:\n    cmd: x\n"); }).find("stage name 'a b'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse("stages:\n  a:\n    cmd: x\n    deps: [../../etc]\n");
            }).find("outside the repository"),
            std::string::npos);
}

TEST(DvcYaml, WholeValueKeepsTypeAndEscapedDollarStaysLiteral) {
  PipelineFile pf = parse(
      "vars:\n- inputs: [a.csv, b.csv]\nstages:\n  s:\n    cmd: echo \\${HOME} ${inputs[1]}\n"
      "    deps: ${inputs}\n");
  EXPECT_EQ(pf.stages[0].cmd, "echo ${HOME} b.csv");
  EXPECT_EQ(pf.stages[0].deps, (std::vector<std::string>{"a.csv", "b.csv"}));
}

TEST(StageWriter, InsertsIntoStagesAndKeepsTheRestOfTheFile) {
  auto dir = std::filesystem::temp_directory_path() / "plinth-stage-writer-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  core::write_file_atomic(dir / "dvc.yaml",
                          "# my pipeline\nstages:\n  a:\n    cmd: x  # first\n\nplots:\n- p.csv\n");
  NewStage s;
  s.name = "b";
  s.cmd = "run b";
  s.deps = {"z", "w"};
  s.outs = {"out"};
  add_stage(dir, s);
  EXPECT_EQ(core::read_file(dir / "dvc.yaml"),
            "# my pipeline\nstages:\n  a:\n    cmd: x  # first\n  b:\n    cmd: run b\n"
            "    deps:\n    - w\n    - z\n    outs:\n    - out\n\nplots:\n- p.csv\n");
  s.cmd = "run b again";
  s.deps.clear();
  EXPECT_NE(error_of([&] { add_stage(dir, s); }).find("stage 'b' already exists"),
            std::string::npos);
  s.force = true;
  add_stage(dir, s);
  EXPECT_EQ(core::read_file(dir / "dvc.yaml"),
            "# my pipeline\nstages:\n  a:\n    cmd: x  # first\n  b:\n    cmd: run b again\n"
            "    outs:\n    - out\n\nplots:\n- p.csv\n");
  std::filesystem::remove_all(dir);
}

TEST(Dag, DetectsCyclesAndOverlappingOutputs) {
  PipelineFile cyc = parse(
      "stages:\n  a:\n    cmd: x\n    deps: [b.txt]\n    outs: [a.txt]\n"
      "  b:\n    cmd: y\n    deps: [a.txt]\n    outs: [b.txt]\n");
  EXPECT_NE(error_of([&] { Dag d(cyc); }).find("cycle: a -> b -> a"), std::string::npos);
  PipelineFile overlap =
      parse("stages:\n  a:\n    cmd: x\n    outs: [data]\n  b:\n    cmd: y\n    outs: [data/x]\n");
  EXPECT_NE(error_of([&] { Dag d(overlap); }).find("overlaps output 'data/x' of stage 'b'"),
            std::string::npos);
}

TEST(Dag, PlansUpstreamDownstreamAndSingle) {
  PipelineFile pf = parse(
      "stages:\n  a:\n    cmd: x\n    outs: [a]\n  b:\n    cmd: x\n    deps: [a]\n    outs: "
      "[b]\n  c:\n    cmd: x\n    deps: [b/f]\n    outs: [c]\n  d:\n    cmd: x\n    outs: [d]\n");
  Dag dag(pf);
  auto names = [&](const std::vector<size_t>& v) {
    std::vector<std::string> out;
    for (size_t i : v) out.push_back(dag.stage(i).name);
    return out;
  };
  EXPECT_EQ(names(dag.plan({"c"}, false, false)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(names(dag.plan({"b"}, false, true)), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names(dag.plan({"b"}, true, false)), (std::vector<std::string>{"b"}));
  EXPECT_EQ(dag.mermaid(dag.plan({"b"}, false, false)),
            "flowchart TD\n\tnode1[\"a\"]\n\tnode2[\"b\"]\n\tnode1-->node2\n");
}

}  // namespace
}  // namespace plinth::pipeline
