#include "serving/openapi.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "serving/service.h"

namespace plinth::serving {
// ordered: the schema lists fields in signature order, as FastAPI does
using json = nlohmann::ordered_json;

namespace {

// "hour_of_day" -> "Hour Of Day", as pydantic titles fields.
std::string title(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (c == '_') {
      out += ' ';
      start = true;
      continue;
    }
    out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  return out;
}

json type_schema(table::ColumnType type) {
  switch (type) {
    case table::ColumnType::kInt64:
      return {{"type", "integer"}};
    case table::ColumnType::kBool:
      return {{"type", "boolean"}};
    case table::ColumnType::kString:
      return {{"type", "string"}};
    default:
      return {{"type", "number"}};
  }
}

json input_schema(const LoadedModel& m) {
  json properties = json::object(), required = json::array();
  for (const auto& f : m.fields) {
    json p = type_schema(f.type);
    p["title"] = title(f.name);
    if (f.constraint) {
      const model::Constraint& c = *f.constraint;
      if (c.gt) p["exclusiveMinimum"] = *c.gt;
      if (c.ge) p["minimum"] = *c.ge;
      if (c.lt) p["exclusiveMaximum"] = *c.lt;
      if (c.le) p["maximum"] = *c.le;
      if (!c.in.empty()) {
        // Kept as text in MLmodel; a number field lists numbers.
        json values = json::array();
        for (const auto& v : c.in) {
          json number =
              f.type == table::ColumnType::kString ? json() : json::parse(v, nullptr, false);
          values.push_back(number.is_number() ? number : json(v));
        }
        p["enum"] = values;
      }
    }
    for (const auto& spec : m.package.preprocessing)
      if (spec.column == f.name && !spec.categories.empty()) {
        std::string list;
        for (const auto& k : spec.categories) list += (list.empty() ? "" : ", ") + k;
        p["description"] =
            "Known categories: " + list + ". Others are accepted, scored as unknown and counted.";
      }
    if (m.input_example.is_object() && m.input_example.contains(f.name))
      p["example"] = m.input_example[f.name];
    properties[f.name] = p;
    required.push_back(f.name);
  }
  return {{"title", "ModelInput"},
          {"type", "object"},
          {"properties", properties},
          {"required", required}};
}

json output_schema(const LoadedModel& m) {
  json properties = json::object();
  for (const auto& f : m.package.output_schema()) {
    json p = type_schema(f.type);
    p["title"] = title(f.name);
    properties[f.name] = p;
  }
  json with_version = properties;
  with_version["model_version"] = {{"title", "Model Version"}, {"type", "string"}};
  return {{"title", "Prediction"}, {"type", "object"}, {"properties", with_version}};
}

json ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json json_content(const json& schema) { return {{"application/json", {{"schema", schema}}}}; }

json operation(const std::string& summary, const json& responses) {
  return {{"summary", summary}, {"responses", responses}};
}

json ok(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", json_content(schema)}};
}

}  // namespace

std::string openapi_json(const LoadedModel& m) {
  json any_object = {{"type", "object"}};
  json validation_error = {
      {"title", "ValidationError"},
      {"type", "object"},
      {"required", {"loc", "msg", "type"}},
      {"properties",
       {{"loc",
         {{"title", "Location"},
          {"type", "array"},
          {"items", {{"anyOf", {{{"type", "string"}}, {{"type", "integer"}}}}}}}},
        {"msg", {{"title", "Message"}, {"type", "string"}}},
        {"type", {{"title", "Error Type"}, {"type", "string"}}}}}};
  json http_validation_error = {
      {"title", "HTTPValidationError"},
      {"type", "object"},
      {"properties",
       {{"detail", {{"title", "Detail"}, {"type", "array"}, {"items", ref("ValidationError")}}}}}};
  json predict = operation(
      "Score one transaction (an object) or several (an array of objects)",
      {{"200",
        ok("The prediction, or one per object sent",
           {{"anyOf", {ref("Prediction"), {{"type", "array"}, {"items", ref("Prediction")}}}}})},
       {"400", {{"description", "Malformed JSON"}}},
       {"413", {{"description", "Body over the server's limit"}}},
       {"422", ok("Validation Error", ref("HTTPValidationError"))}});
  predict["requestBody"] = {
      {"required", true},
      {"content",
       json_content(
           {{"anyOf", {ref("ModelInput"), {{"type", "array"}, {"items", ref("ModelInput")}}}}})}};
  if (m.input_example.is_object())
    predict["requestBody"]["content"]["application/json"]["example"] = m.input_example;
  json invocations = operation(
      "MLflow scoring protocol: dataframe_split, dataframe_records, instances or inputs; or CSV",
      {{"200",
        ok("One prediction per row",
           {{"type", "object"},
            {"properties", {{"predictions", {{"type", "array"}, {"items", ref("Prediction")}}}}}})},
       {"400", {{"description", "Invalid input: the message names the row and column"}}},
       {"415", {{"description", "Unsupported content type"}}}});
  invocations["requestBody"] = {{"required", true},
                                {"content",
                                 {{"application/json", {{"schema", any_object}}},
                                  {"text/csv", {{"schema", {{"type", "string"}}}}}}}};
  json infer = operation("Open Inference Protocol (KServe v2) inference",
                         {{"200", ok("Output tensors", any_object)},
                          {"400", {{"description", "Invalid input tensors"}}},
                          {"404", {{"description", "Unknown model or version"}}}});
  infer["requestBody"] = {{"required", true}, {"content", json_content(any_object)}};
  json name_param = {{"name", "name"},
                     {"in", "path"},
                     {"required", true},
                     {"schema", {{"type", "string"}}},
                     {"example", m.ref.name}};
  infer["parameters"] = {name_param};
  json model_meta = operation("Open Inference Protocol model metadata",
                              {{"200", ok("Inputs and outputs", any_object)}});
  model_meta["parameters"] = {name_param};
  json doc = {
      {"openapi", "3.0.2"},
      {"info",
       {{"title", m.ref.name},
        {"version", m.ref.version},
        {"description", "Served by plinth serve: " + m.version_label() + " (" +
                            model::task_name(m.package.task) + ")"}}},
      {"paths",
       {{"/predict", {{"post", predict}}},
        {"/invocations", {{"post", invocations}}},
        {"/health",
         {{"get", operation("Liveness: the model is loaded, and its version",
                            {{"200", ok("Status", any_object)}})}}},
        {"/ready",
         {{"get", operation("Readiness: 503 while shutting down",
                            {{"200", ok("Ready", any_object)},
                             {"503", {{"description", "Shutting down"}}}})}}},
        {"/metrics",
         {{"get",
           operation("Prometheus metrics",
                     {{"200",
                       {{"description", "Text exposition format"},
                        {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}})}}},
        {"/monitoring/drift",
         {{"get", operation("Live drift of recent requests against the training profile",
                            {{"200", ok("Drift report", any_object)}})}}},
        {"/v2/health/live",
         {{"get",
           operation("Open Inference Protocol liveness", {{"200", ok("Live", any_object)}})}}},
        {"/v2/health/ready",
         {{"get",
           operation("Open Inference Protocol readiness", {{"200", ok("Ready", any_object)}})}}},
        {"/v2/models/{name}", {{"get", model_meta}}},
        {"/v2/models/{name}/infer", {{"post", infer}}}}},
      {"components",
       {{"schemas",
         {{"ModelInput", input_schema(m)},
          {"Prediction", output_schema(m)},
          {"ValidationError", validation_error},
          {"HTTPValidationError", http_validation_error}}}}}};
  return doc.dump();
}

std::string docs_page(const std::string& spec) {
  // Inside <script>, "</" would end the element early.
  std::string safe;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == '<' && i + 1 < spec.size() && spec[i + 1] == '/') {
      safe += "<\\/";
      ++i;
      continue;
    }
    safe += spec[i];
  }
  return R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API docs</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:960px;margin:0 auto;padding:16px 24px}
.op{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:10px 0;padding:10px 14px}
.m{display:inline-block;min-width:52px;text-align:center;font-weight:600;color:#fff;border-radius:4px;padding:1px 6px;margin-right:8px}
.get{background:#0969da}.post{background:#1a7f37}
code,textarea,pre{font:13px ui-monospace,monospace}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border-bottom:1px solid #eaeef2;text-align:left;padding:4px 8px}
textarea{width:100%;height:140px;box-sizing:border-box}pre{background:#f6f8fa;padding:8px;overflow:auto}
button{font-size:14px;padding:4px 14px}
</style></head><body>
<header><h1 id="title"></h1><div id="desc"></div></header>
<main>
<h2>Endpoints</h2><div id="ops"></div>
<h2>Input schema</h2><table id="schema"><thead><tr><th>field</th><th>type</th><th>constraints</th><th>notes</th></tr></thead><tbody></tbody></table>
<h2>Try it: POST /predict</h2>
<textarea id="body"></textarea><p><button id="send">Send</button> <span id="status"></span></p>
<pre id="result"></pre>
</main>
<script type="application/json" id="spec">)HTML" +
         safe + R"HTML(</script>
<script>
const spec = JSON.parse(document.getElementById('spec').textContent);
const text = (tag, s, cls) => { const e = document.createElement(tag); e.textContent = s; if (cls) e.className = cls; return e; };
document.getElementById('title').textContent = spec.info.title + ' ' + spec.info.version;
document.getElementById('desc').textContent = spec.info.description;
const ops = document.getElementById('ops');
for (const [path, item] of Object.entries(spec.paths))
  for (const [method, op] of Object.entries(item)) {
    const d = text('div', '', 'op');
    d.appendChild(text('span', method.toUpperCase(), 'm ' + method));
    d.appendChild(text('code', path));
    d.appendChild(text('span', ' \u2014 ' + op.summary));
    const codes = Object.keys(op.responses).join(', ');
    d.appendChild(text('div', 'responses: ' + codes));
    ops.appendChild(d);
  }
const input = spec.components.schemas.ModelInput;
const rows = document.querySelector('#schema tbody');
for (const [name, p] of Object.entries(input.properties)) {
  const tr = document.createElement('tr');
  const bounds = [['exclusiveMinimum', '>'], ['minimum', '\u2265'], ['exclusiveMaximum', '<'], ['maximum', '\u2264']]
    .filter(([k]) => k in p).map(([k, s]) => s + ' ' + p[k]);
  if (p.enum) bounds.push('one of ' + p.enum.join(', '));
  for (const s of [name, p.type, bounds.join(', '), p.description || '']) tr.appendChild(text('td', s));
  rows.appendChild(tr);
}
const example = spec.paths['/predict'].post.requestBody.content['application/json'].example || {};
document.getElementById('body').value = JSON.stringify(example, null, 2);
document.getElementById('send').onclick = async () => {
  const status = document.getElementById('status'), result = document.getElementById('result');
  try {
    const r = await fetch('predict', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                      body: document.getElementById('body').value});
    status.textContent = r.status + ' ' + r.statusText;
    result.textContent = JSON.stringify(await r.json(), null, 2);
  } catch (e) { status.textContent = 'error'; result.textContent = String(e); }
};
</script></body></html>
)HTML";
}

}  // namespace plinth::serving
