import { useEffect, useMemo, useState } from "preact/hooks";
import { api, Run } from "../api";
import { fmtDuration, fmtTime, fmtValue } from "../format";
import { href, Route, setQuery } from "../route";

// A column is "attributes.start_time", "params.lr", "metrics.auc" or "tags.x": the names
// MLflow's search grammar and order_by use, so sorting is the server's.
function cell(run: Run, col: string): unknown {
  const [kind, ...rest] = col.split(".");
  const key = rest.join(".");
  if (kind === "metrics") return run.data.metrics?.find((m) => m.key === key)?.value;
  if (kind === "params") return run.data.params?.find((p) => p.key === key)?.value;
  if (kind === "tags") return run.data.tags?.find((t) => t.key === key)?.value;
  if (key === "start_time") return fmtTime(run.info.start_time);
  if (key === "duration") return fmtDuration(run.info.start_time, run.info.end_time);
  return (run.info as any)[key];
}

const fixed = ["attributes.run_name", "attributes.status", "attributes.start_time"];

export function Runs({ route }: { route: Route }) {
  const q = route.query;
  const experiments = (q.get("e") ?? "").split(",").filter(Boolean);
  const filter = q.get("filter") ?? "";
  const order = q.get("order") ?? "attributes.start_time DESC";
  const page = q.get("page") ?? "";
  const chosen = (q.get("cols") ?? "").split(",").filter(Boolean);
  const [draft, setDraft] = useState(filter);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const history = (q.get("prev") ?? "").split(",").filter(Boolean);

  useEffect(() => setDraft(filter), [filter]);
  useEffect(() => {
    setError("");
    api.searchRuns(experiments, filter, [order], page || undefined).then(
      (r) => {
        setRuns(r.runs ?? []);
        setNext(r.next_page_token);
      },
      (e) => {
        setRuns([]);
        setError(e.message);
      },
    );
  }, [experiments.join(","), filter, order, page]);

  // Columns offered: every param, metric and (non-system) tag on this page; shown: the chosen
  // ones, else the first few metrics and params.
  const available = useMemo(() => {
    const s = new Set<string>();
    for (const r of runs ?? []) {
      r.data.metrics?.forEach((m) => s.add("metrics." + m.key));
      r.data.params?.forEach((p) => s.add("params." + p.key));
      r.data.tags?.forEach((t) => t.key.startsWith("mlflow.") || s.add("tags." + t.key));
    }
    return [...s].sort();
  }, [runs]);
  const shown = chosen.length
    ? chosen
    : [...available.filter((c) => c.startsWith("metrics.")).slice(0, 4), ...available.filter((c) => c.startsWith("params.")).slice(0, 4)];
  const [sortCol, sortDir] = order.split(" ");
  const sortBy = (col: string) =>
    setQuery({ order: `${col} ${sortCol === col && sortDir !== "ASC" ? "ASC" : "DESC"}`, page: undefined, prev: undefined });
  const toggle = (id: string) => setPicked(picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id]);

  return (
    <section>
      <div class="toolbar">
        <h2>Runs <span class="muted">of experiment {experiments.join(", ")}</span></h2>
        <a class={"button" + (picked.length >= 2 && picked.length <= 20 ? "" : " disabled")} id="compare"
          href={picked.length >= 2 && picked.length <= 20 ? href("/compare", { runs: picked.join(",") }) : undefined}>
          Compare {picked.length || ""} runs
        </a>
      </div>
      <form class="filter" onSubmit={(e) => { e.preventDefault(); setQuery({ filter: draft || undefined, page: undefined, prev: undefined }); }}>
        <input id="filter" type="search" value={draft} placeholder="metrics.auc > 0.9 and params.max_depth = '8'"
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
        <button type="submit">Search</button>
        <details class="columns">
          <summary>Columns</summary>
          {available.map((c) => (
            <label key={c}><input type="checkbox" checked={shown.includes(c)}
              onChange={() => setQuery({ cols: (shown.includes(c) ? shown.filter((x) => x !== c) : [...shown, c]).join(",") || undefined })} />{c}</label>
          ))}
        </details>
      </form>
      {error && <p class="error" id="filter-error" role="alert">{error}</p>}
      {runs === null ? <p class="muted">Loading…</p> : (
        <table class="grid" id="runs">
          <thead>
            <tr>
              <th></th>
              {[...fixed, ...shown].map((c) => (
                <th key={c} class="sortable" onClick={() => sortBy(c)} aria-sort={sortCol === c ? (sortDir === "ASC" ? "ascending" : "descending") : undefined}>
                  {c.replace(/^attributes\./, "")}{sortCol === c ? (sortDir === "ASC" ? " ▲" : " ▼") : ""}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.info.run_id}>
                <td><input type="checkbox" aria-label={"select " + (r.info.run_name ?? r.info.run_id)} checked={picked.includes(r.info.run_id)} onChange={() => toggle(r.info.run_id)} /></td>
                <td><a href={href("/run/" + r.info.run_id)}>{r.info.run_name || r.info.run_id}</a></td>
                <td><span class={"status " + r.info.status}>{r.info.status}</span></td>
                <td>{fmtTime(r.info.start_time)}</td>
                {shown.map((c) => <td key={c} class="num">{fmtValue(cell(r, c))}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button disabled={!page} onClick={() => { const back = history[history.length - 1]; setQuery({ page: back === "_" ? undefined : back, prev: history.slice(0, -1).join(",") || undefined }); }}>← Previous</button>
        <button id="next-page" disabled={!next} onClick={() => setQuery({ page: next, prev: [...history, page || "_"].join(",") })}>Next →</button>
      </div>
    </section>
  );
}
