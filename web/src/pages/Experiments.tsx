import { useEffect, useState } from "preact/hooks";
import { api, Experiment } from "../api";
import { fmtTime } from "../format";
import { href } from "../route";

export function Experiments() {
  const [items, setItems] = useState<Experiment[] | null>(null);
  const [error, setError] = useState("");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  useEffect(() => {
    api.experiments().then((r) => setItems(r.experiments ?? []), (e) => setError(e.message));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!items) return <p class="muted">Loading…</p>;
  const toggle = (id: string) => {
    const next = new Set(picked);
    next.has(id) ? next.delete(id) : next.add(id);
    setPicked(next);
  };
  return (
    <section>
      <div class="toolbar">
        <h2>Experiments</h2>
        <a class={"button" + (picked.size ? "" : " disabled")} href={picked.size ? href("/runs", { e: [...picked].join(",") }) : undefined}>
          Runs of {picked.size || "the"} selected
        </a>
      </div>
      <table class="grid" id="experiments">
        <thead>
          <tr><th></th><th>Name</th><th>ID</th><th>Last update</th></tr>
        </thead>
        <tbody>
          {items.map((x) => (
            <tr key={x.experiment_id}>
              <td><input type="checkbox" aria-label={"select " + x.name} checked={picked.has(x.experiment_id)} onChange={() => toggle(x.experiment_id)} /></td>
              <td><a href={href("/runs", { e: x.experiment_id })}>{x.name}</a></td>
              <td class="mono">{x.experiment_id}</td>
              <td>{fmtTime(x.last_update_time)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p class="muted">No experiments yet: log a run with the MLflow client or `plinth repro`.</p>}
    </section>
  );
}
