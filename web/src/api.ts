// The REST API the UI reads: MLflow's (the same the Python client uses) plus Plinth's
// downsampled metric histories. Every request goes to the page's own origin.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: {} };
  let url = path;
  if (body !== undefined && method === "GET") {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (v === undefined || v === null || v === "") continue;
      if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
      else q.set(k, String(v));
    }
    url += "?" + q.toString();
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, json.error_code ?? "", json.message ?? res.statusText);
  return json as T;
}

const m = (p: string) => "/ajax-api/2.0/mlflow/" + p;

export interface KV {
  key: string;
  value: string;
}
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
export interface RunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}
export interface Run {
  info: RunInfo;
  data: { metrics?: Metric[]; params?: KV[]; tags?: KV[] };
  inputs?: { dataset_inputs?: { dataset: { name: string; digest: string; source_type?: string; source?: string }; tags?: KV[] }[] };
}
export interface Experiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  last_update_time?: number;
  creation_time?: number;
  tags?: KV[];
}
export interface ModelVersion {
  name: string;
  version: string;
  current_stage?: string;
  run_id?: string;
  source?: string;
  status?: string;
  creation_timestamp?: number;
  aliases?: string[];
  description?: string;
}
export interface RegisteredModel {
  name: string;
  description?: string;
  latest_versions?: ModelVersion[];
  aliases?: { alias: string; version: string }[];
  last_updated_timestamp?: number;
}
// One change from Plinth's audit log (GET /ajax-api/2.0/plinth/audit).
export interface AuditEntry {
  id: number;
  time: number;
  user: string;
  action: string;
  object_type: string;
  object: string;
  model: string;
  before: unknown;
  after: unknown;
}
export interface Downsampled {
  key: string;
  total: number;
  step: number[];
  timestamp: number[];
  value: number[];
  min: number[];
  max: number[];
}

export const api = {
  experiments: (page_token?: string) =>
    call<{ experiments?: Experiment[]; next_page_token?: string }>("POST", m("experiments/search"), {
      max_results: 1000,
      page_token,
      order_by: ["last_update_time DESC"],
    }),
  searchRuns: (experiment_ids: string[], filter: string, order_by: string[], page_token?: string, max_results = 50) =>
    call<{ runs?: Run[]; next_page_token?: string }>("POST", m("runs/search"), {
      experiment_ids,
      filter,
      order_by,
      page_token,
      max_results,
    }),
  run: (run_id: string) => call<{ run: Run }>("GET", m("runs/get"), { run_id }),
  artifacts: (run_id: string, path?: string) =>
    call<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>("GET", m("artifacts/list"), { run_id, path }),
  downsampled: (run_id: string, metric_key: string, max_points: number) =>
    call<Downsampled>("GET", "/ajax-api/2.0/plinth/metrics/downsampled", { run_id, metric_key, max_points }),
  models: () =>
    call<{ registered_models?: RegisteredModel[] }>("GET", m("registered-models/search"), { max_results: 1000 }),
  model: (name: string) => call<{ registered_model: RegisteredModel }>("GET", m("registered-models/get"), { name }),
  versions: (name: string) =>
    call<{ model_versions?: ModelVersion[] }>("GET", m("model-versions/search"), {
      filter: `name='${name.replace(/'/g, "\\'")}'`,
      max_results: 1000,
    }),
  versionsOfRun: (run_id: string) =>
    call<{ model_versions?: ModelVersion[] }>("GET", m("model-versions/search"), {
      filter: `run_id='${run_id}'`,
      max_results: 1000,
    }),
  transition: (name: string, version: string, stage: string, archive: boolean) =>
    call("POST", m("model-versions/transition-stage"), {
      name,
      version,
      stage,
      archive_existing_versions: archive,
    }),
  setAlias: (name: string, alias: string, version: string) =>
    call("POST", m("registered-models/alias"), { name, alias, version }),
  deleteAlias: (name: string, alias: string) => call("DELETE", m("registered-models/alias"), { name, alias }),
  history: (model: string) =>
    call<{ entries?: AuditEntry[]; next_page_token?: string }>("GET", "/ajax-api/2.0/plinth/audit", { model, max_results: 10000 }),
  monitoring: (url: string) => call<any>("GET", "/ajax-api/2.0/plinth/monitoring", { url }),
};

export function artifactUrl(run_id: string, path: string): string {
  return "/get-artifact?" + new URLSearchParams({ run_id, path }).toString();
}
