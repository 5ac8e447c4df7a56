import { useEffect, useState } from "preact/hooks";
import { api, artifactUrl, Downsampled, ModelVersion, Run as RunT } from "../api";
import { Chart } from "../components/Chart";
import { fmtDuration, fmtTime, fmtValue, tagValue } from "../format";
import { usePoll } from "../poll";
import { href, Route, setQuery } from "../route";

const kPoints = 1000;

export function MetricChart({ runId, metric, time, live }: { runId: string; metric: string; time: boolean; live: boolean }) {
  const [d, setD] = useState<Downsampled | null>(null);
  const [error, setError] = useState("");
  usePoll(() => api.downsampled(runId, metric, kPoints), setD, (e) => setError(e.message), () => live, 1000, [runId, metric, live]);
  if (error) return <p class="error">{metric}: {error}</p>;
  if (!d) return <div class="chart placeholder">{metric}…</div>;
  const x = time ? d.timestamp.map((t) => t / 1000) : d.step;
  const banded = d.total > d.step.length;
  return (
    <figure class="metric" data-metric={metric} data-total={d.total}>
      <Chart title={`${metric} (${d.total.toLocaleString()} points${banded ? ", min–max band" : ""})`} xLabel={time ? "time" : "step"} time={time}
        series={[{ label: metric, x, y: d.value, min: banded ? d.min : undefined, max: banded ? d.max : undefined }]} />
    </figure>
  );
}

function Preview({ runId, path }: { runId: string; path: string }) {
  const [text, setText] = useState<string | null>(null);
  const url = artifactUrl(runId, path);
  const ext = path.split(".").pop()!.toLowerCase();
  const image = ["png", "jpg", "jpeg", "gif", "svg", "webp"].includes(ext);
  const html = ext === "html" || ext === "htm";
  useEffect(() => {
    setText(null);
    if (image || html) return;
    fetch(url).then((r) => r.text()).then((t) => {
      if (ext === "json") {
        try {
          t = JSON.stringify(JSON.parse(t), null, 2);
        } catch {
          /* shown as it is */
        }
      }
      setText(t.length > 200000 ? t.slice(0, 200000) + "\n…" : t);
    });
  }, [url]);
  return (
    <div class="preview" id="artifact-preview">
      <div class="toolbar"><strong class="mono">{path}</strong><a class="button" href={url} download>Download</a></div>
      {image && <img src={url} alt={path} />}
      {html && <iframe sandbox="" src={url} title={path} />}
      {!image && !html && <pre>{text ?? "Loading…"}</pre>}
    </div>
  );
}

function Artifacts({ runId }: { runId: string }) {
  const [files, setFiles] = useState<{ path: string; is_dir: boolean; file_size?: number }[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const load = (path?: string) =>
    api.artifacts(runId, path).then((r) => setFiles((f) => [...f.filter((x) => !(r.files ?? []).some((y) => y.path === x.path)), ...(r.files ?? [])].sort((a, b) => a.path.localeCompare(b.path))));
  useEffect(() => {
    setFiles([]);
    load();
  }, [runId]);
  return (
    <div class="artifacts">
      <ul id="artifacts">
        {files.map((f) => (
          <li key={f.path} style={{ paddingLeft: `${f.path.split("/").length - 1}em` }}>
            {f.is_dir ? <button class="link" onClick={() => load(f.path)}>📁 {f.path.split("/").pop()}</button>
              : <button class="link" onClick={() => setOpen(f.path)}>{f.path.split("/").pop()} <span class="muted">{f.file_size ? `${f.file_size} B` : ""}</span></button>}
          </li>
        ))}
        {files.length === 0 && <li class="muted">No artifacts.</li>}
      </ul>
      {open && <Preview runId={runId} path={open} />}
    </div>
  );
}

function Registered({ runId }: { runId: string }) {
  const [versions, setVersions] = useState<ModelVersion[]>([]);
  useEffect(() => {
    api.versionsOfRun(runId).then((r) => setVersions(r.model_versions ?? []), () => setVersions([]));
  }, [runId]);
  if (!versions.length) return null;
  return (
    <p id="registered">
      Registered as{" "}
      {versions.map((v) => (
        <a key={v.name + v.version} class="stage-link" href={href("/models/" + encodeURIComponent(v.name))}>
          {v.name} v{v.version} <span class={"stage " + (v.current_stage ?? "None")}>{v.current_stage ?? "None"}</span>
        </a>
      ))}
    </p>
  );
}

export function Run({ id, route }: { id: string; route: Route }) {
  const [run, setRun] = useState<RunT | null>(null);
  const [error, setError] = useState("");
  const time = route.query.get("x") === "time";
  usePoll(() => api.run(id).then((r) => r.run), setRun, (e) => setError(e.message), (r) => r.info.status === "RUNNING", 2000, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!run) return <p class="muted">Loading…</p>;
  const tags = run.data.tags ?? [];
  const live = run.info.status === "RUNNING";
  const visibleTags = tags.filter((t) => !t.key.startsWith("mlflow.") || t.key === "mlflow.note.content");
  const datasets = run.inputs?.dataset_inputs ?? [];
  return (
    <section>
      <div class="toolbar">
        <h2>{run.info.run_name || run.info.run_id} <span class={"status " + run.info.status}>{run.info.status}</span></h2>
        <a class="button secondary" href={href("/runs", { e: run.info.experiment_id })}>Runs of experiment {run.info.experiment_id}</a>
      </div>
      <Registered runId={id} />
      <dl class="facts">
        <dt>Run ID</dt><dd class="mono">{run.info.run_id}</dd>
        <dt>Started</dt><dd>{fmtTime(run.info.start_time)}</dd>
        <dt>Duration</dt><dd>{fmtDuration(run.info.start_time, run.info.end_time)}</dd>
        <dt>Git commit</dt><dd class="mono">{tagValue(tags, "mlflow.source.git.commit") ?? "—"}</dd>
        <dt>Pipeline stages</dt><dd class="mono">{tagValue(tags, "plinth.stages_ran") ?? "—"}</dd>
      </dl>
      <h3>Lineage</h3>
      <table class="grid" id="lineage">
        <thead><tr><th>Data</th><th>MD5 / digest</th><th>Source</th></tr></thead>
        <tbody>
          {datasets.map((d, i) => <tr key={i}><td>{d.dataset.name}</td><td class="mono">{d.dataset.digest}</td><td class="mono">{d.dataset.source ?? ""}</td></tr>)}
          {datasets.length === 0 && <tr><td colSpan={3} class="muted">No data inputs recorded.</td></tr>}
        </tbody>
      </table>
      <div class="columns2">
        <div>
          <h3>Parameters</h3>
          <table class="grid kv" id="params"><tbody>{(run.data.params ?? []).map((p) => <tr key={p.key}><th>{p.key}</th><td class="mono">{p.value}</td></tr>)}</tbody></table>
        </div>
        <div>
          <h3>Metrics</h3>
          <table class="grid kv" id="metrics"><tbody>{(run.data.metrics ?? []).map((m) => <tr key={m.key}><th>{m.key}</th><td class="num">{fmtValue(m.value)}</td></tr>)}</tbody></table>
          <h3>Tags</h3>
          <table class="grid kv"><tbody>{visibleTags.map((t) => <tr key={t.key}><th>{t.key}</th><td>{t.value}</td></tr>)}</tbody></table>
        </div>
      </div>
      <div class="toolbar">
        <h3>Charts {live && <span class="live" title="updating while the run logs">● live</span>}</h3>
        <span class="segmented">
          <button class={time ? "" : "on"} onClick={() => setQuery({ x: undefined })}>Step</button>
          <button class={time ? "on" : ""} onClick={() => setQuery({ x: "time" })}>Time</button>
        </span>
      </div>
      <div class="charts">
        {(run.data.metrics ?? []).map((m) => <MetricChart key={m.key + time} runId={id} metric={m.key} time={time} live={live} />)}
      </div>
      <h3>Artifacts</h3>
      <Artifacts runId={id} />
    </section>
  );
}
