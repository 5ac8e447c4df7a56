import { useEffect, useState } from "preact/hooks";
import { api, artifactUrl, Run } from "../api";
import { fmtTime, fmtValue } from "../format";
import { usePoll } from "../poll";
import { href, Route, setQuery } from "../route";

interface Report {
  run: Run;
  path: string;
}

// Drift reports logged as run artifacts (`drift*.html|json`), and a served model's live drift
// fetched through the server (the browser talks to no other origin).
export function Drift({ route }: { route: Route }) {
  const url = route.query.get("monitoring") ?? "";
  const [draft, setDraft] = useState(url);
  const [reports, setReports] = useState<Report[] | null>(null);
  const [live, setLive] = useState<any>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    (async () => {
      const exps = (await api.experiments()).experiments ?? [];
      const runs = (await api.searchRuns(exps.map((e) => e.experiment_id), "", ["attributes.start_time DESC"], undefined, 200)).runs ?? [];
      const found: Report[] = [];
      await Promise.all(runs.map(async (run) => {
        const files = (await api.artifacts(run.info.run_id).catch(() => ({ files: [] }))).files ?? [];
        for (const f of files) if (!f.is_dir && /drift.*\.(html|json)$/i.test(f.path)) found.push({ run, path: f.path });
      }));
      setReports(found.sort((a, b) => Number(b.run.info.start_time) - Number(a.run.info.start_time)));
    })().catch((e) => setError(e.message));
  }, []);
  usePoll(
    () => (url ? api.monitoring(url) : Promise.resolve(null)),
    (j) => {
      setLive(j);
      setError("");
    },
    (e) => setError(e.message),
    () => !!url,
    5000,
    [url],
  );
  return (
    <section>
      <h2>Drift</h2>
      <h3>Live drift of a served model</h3>
      <form class="filter" onSubmit={(e) => { e.preventDefault(); setQuery({ monitoring: draft || undefined }); }}>
        <input id="monitoring-url" value={draft} placeholder="http://127.0.0.1:8000/monitoring/drift" onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
        <button type="submit">Watch</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {live && (
        <div id="live-drift">
          <p class={live.dataset_drift ? "error" : ""}>
            {live.dataset_drift ? "Dataset drift detected" : "No dataset drift"}: {live.number_of_drifted_columns} of {live.number_of_columns} columns drifted
            (share {fmtValue(live.share_of_drifted_columns)}, threshold {fmtValue(live.drift_share)}){live.model_version ? `, model ${live.model_version}` : ""}.
          </p>
          <table class="grid">
            <thead><tr><th>Column</th><th>Test</th><th>Score</th><th>Threshold</th><th>Drifted</th><th>Rows in window</th></tr></thead>
            <tbody>
              {Object.entries(live.columns ?? {}).map(([k, c]: [string, any]) => (
                <tr key={k} class={c.drifted ? "differs" : ""}>
                  <td>{k}</td><td>{c.stattest_name ?? c.stattest}</td><td class="num">{fmtValue(c.score)}</td><td class="num">{fmtValue(c.threshold)}</td>
                  <td>{c.drifted ? "yes" : "no"}</td><td class="num">{live.window?.[k]?.rows ?? c.current_rows}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Reports logged by runs</h3>
      {reports === null ? <p class="muted">Looking through recent runs…</p> : (
        <table class="grid" id="drift-reports">
          <thead><tr><th>Report</th><th>Run</th><th>Started</th></tr></thead>
          <tbody>
            {reports.map((r) => (
              <tr key={r.run.info.run_id + r.path}>
                <td><a href={artifactUrl(r.run.info.run_id, r.path)} target="_blank" rel="noopener">{r.path}</a></td>
                <td><a href={href("/run/" + r.run.info.run_id)}>{r.run.info.run_name || r.run.info.run_id}</a></td>
                <td>{fmtTime(r.run.info.start_time)}</td>
              </tr>
            ))}
            {reports.length === 0 && <tr><td colSpan={3} class="muted">No run has logged a drift report (an artifact named drift*.html or drift*.json).</td></tr>}
          </tbody>
        </table>
      )}
    </section>
  );
}
