import { useEffect, useState } from "preact/hooks";
import { api, Downsampled, Run } from "../api";
import { Chart, color } from "../components/Chart";
import { ParallelCoords } from "../components/ParallelCoords";
import { fmtValue } from "../format";
import { href, Route, setQuery } from "../route";

function Overlay({ runs, metric }: { runs: Run[]; metric: string }) {
  const [data, setData] = useState<(Downsampled | null)[]>([]);
  useEffect(() => {
    Promise.all(runs.map((r) => api.downsampled(r.info.run_id, metric, 1000).catch(() => null))).then(setData);
  }, [runs.map((r) => r.info.run_id).join(","), metric]);
  const series = data.flatMap((d, i) => (d ? [{ label: runs[i].info.run_name || runs[i].info.run_id, x: d.step, y: d.value }] : []));
  if (!series.length) return <div class="chart placeholder">{metric}…</div>;
  return <figure class="metric" data-metric={metric}><Chart title={metric} xLabel="step" series={series} /></figure>;
}

export function Compare({ route }: { route: Route }) {
  const ids = (route.query.get("runs") ?? "").split(",").filter(Boolean);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    if (ids.length < 2 || ids.length > 20) {
      setError("Pick 2 to 20 runs to compare (got " + ids.length + ").");
      return;
    }
    Promise.all(ids.map((id) => api.run(id).then((r) => r.run))).then(setRuns, (e) => setError(e.message));
  }, [ids.join(",")]);
  if (error) return <p class="error">{error}</p>;
  if (!runs) return <p class="muted">Loading…</p>;
  const param = (r: Run, k: string) => r.data.params?.find((p) => p.key === k)?.value;
  const metricOf = (r: Run, k: string) => r.data.metrics?.find((m) => m.key === k)?.value;
  const params = [...new Set(runs.flatMap((r) => (r.data.params ?? []).map((p) => p.key)))].sort();
  const metrics = [...new Set(runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key)))].sort();
  const target = route.query.get("metric") ?? metrics[0] ?? "";
  const differing = params.filter((k) => new Set(runs.map((r) => param(r, k))).size > 1);
  return (
    <section>
      <h2>Compare {runs.length} runs</h2>
      <h3>Parameters</h3>
      <table class="grid" id="compare-params">
        <thead><tr><th>param</th>{runs.map((r, i) => <th key={r.info.run_id}><a href={href("/run/" + r.info.run_id)} style={{ color: color(i) }}>{r.info.run_name || r.info.run_id.slice(0, 8)}</a></th>)}</tr></thead>
        <tbody>
          {params.map((k) => (
            <tr key={k} class={differing.includes(k) ? "differs" : ""}><th>{k}</th>{runs.map((r) => <td key={r.info.run_id} class="mono">{param(r, k) ?? ""}</td>)}</tr>
          ))}
          {metrics.map((k) => (
            <tr key={"m." + k} class="metric-row"><th>{k}</th>{runs.map((r) => <td key={r.info.run_id} class="num">{fmtValue(metricOf(r, k))}</td>)}</tr>
          ))}
        </tbody>
      </table>
      {metrics.length > 0 && (
        <>
          <div class="toolbar">
            <h3>Parameters against</h3>
            <select id="pc-metric" value={target} onChange={(e) => setQuery({ metric: (e.target as HTMLSelectElement).value })}>
              {metrics.map((m) => <option key={m} value={m}>{m}</option>)}
            </select>
          </div>
          <ParallelCoords metric={target} axes={differing.length ? differing : params}
            runs={runs.map((r) => ({ id: r.info.run_id, label: r.info.run_name || r.info.run_id, values: { ...Object.fromEntries((r.data.params ?? []).map((p) => [p.key, p.value])), [target]: metricOf(r, target) } }))} />
          <h3>Metric histories</h3>
          <div class="charts">{metrics.map((m) => <Overlay key={m} runs={runs} metric={m} />)}</div>
        </>
      )}
    </section>
  );
}
