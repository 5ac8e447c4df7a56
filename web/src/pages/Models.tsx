import { useEffect, useState } from "preact/hooks";
import { api, AuditEntry, ModelVersion, RegisteredModel } from "../api";
import { Confirm } from "../components/Confirm";
import { fmtTime } from "../format";
import { href } from "../route";

export function Models() {
  const [items, setItems] = useState<RegisteredModel[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api.models().then((r) => setItems(r.registered_models ?? []), (e) => setError(e.message));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!items) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h2>Registered models</h2>
      <table class="grid" id="models">
        <thead><tr><th>Name</th><th>Latest versions</th><th>Aliases</th><th>Updated</th></tr></thead>
        <tbody>
          {items.map((m) => (
            <tr key={m.name}>
              <td><a href={href("/models/" + encodeURIComponent(m.name))}>{m.name}</a></td>
              <td>{(m.latest_versions ?? []).map((v) => <span key={v.version} class={"stage " + (v.current_stage ?? "None")}>v{v.version} {v.current_stage}</span>)}</td>
              <td>{(m.aliases ?? []).map((a) => <span key={a.alias} class="alias">@{a.alias} → v{a.version}</span>)}</td>
              <td>{fmtTime(m.last_updated_timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p class="muted">No registered models yet.</p>}
    </section>
  );
}

const stages = ["None", "Staging", "Production", "Archived"];

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
const empty = (v: unknown) =>
  v === "" || v == null || (typeof v === "object" && Object.keys(v as object).length === 0);
// A created or deleted object's fields that hold something, as "field: value".
const fields = (o: Record<string, unknown>) =>
  Object.entries(o).filter(([, v]) => !empty(v)).map(([k, v]) => `${k}: ${show(v)}`).join(", ");

// What an audit entry changed, in a line: "+ fields" created, "− fields" deleted, else each
// field that differs as "field: before → after".
function changeText(e: AuditEntry): string {
  const b = e.before as Record<string, unknown> | null, a = e.after as Record<string, unknown> | null;
  if (!b && !a) return "";
  if (!b) return "+ " + fields(a!);
  if (!a) return "− " + fields(b);
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .map((k) => `${k}: ${b[k] == null ? "–" : show(b[k])} → ${a[k] == null ? "–" : show(a[k])}`)
    .join(", ");
}

// The model's history from the audit log, newest first.
function History({ entries, error }: { entries: AuditEntry[] | null; error: string }) {
  if (error) return <p class="muted">History unavailable: {error}</p>;
  if (!entries) return <p class="muted">Loading history…</p>;
  return (
    <table class="grid" id="history">
      <thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Object</th><th>Change</th></tr></thead>
      <tbody>
        {[...entries].reverse().map((e) => (
          <tr key={e.id} data-action={e.action}>
            <td>{fmtTime(e.time)}</td>
            <td>{e.user || <span class="muted">anonymous</span>}</td>
            <td>{e.action.replace(/_/g, " ")}</td>
            <td class="mono">{e.object}</td>
            <td class="mono wrap">{changeText(e)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type Pending =
  | { kind: "stage"; version: string; stage: string; archive: boolean }
  | { kind: "alias"; version: string; alias: string }
  | { kind: "unalias"; alias: string };

export function Model({ name }: { name: string }) {
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [model, setModel] = useState<RegisteredModel | null>(null);
  const [error, setError] = useState("");
  const [pending, setPending] = useState<Pending | null>(null);
  const [aliasDraft, setAliasDraft] = useState<Record<string, string>>({});
  const [history, setHistory] = useState<AuditEntry[] | null>(null);
  const [historyError, setHistoryError] = useState("");
  const load = () => {
    api.history(name).then(
      (h) => { setHistory(h.entries ?? []); setHistoryError(""); },
      (e) => setHistoryError(e.message),
    );
    return Promise.all([api.versions(name), api.model(name)]).then(
      ([v, m]) => {
        setVersions((v.model_versions ?? []).sort((a, b) => Number(b.version) - Number(a.version)));
        setModel(m.registered_model);
      },
      (e) => setError(e.message),
    );
  };
  useEffect(() => {
    load();
  }, [name]);
  const act = async () => {
    const p = pending!;
    setPending(null);
    try {
      if (p.kind === "stage") await api.transition(name, p.version, p.stage, p.archive);
      else if (p.kind === "alias") {
        await api.setAlias(name, p.alias, p.version);
        setAliasDraft({ ...aliasDraft, [p.version]: "" });
      }
      else await api.deleteAlias(name, p.alias);
      setError("");
    } catch (e: any) {
      setError(e.message);
    }
    load();
  };
  if (!versions) return error ? <p class="error">{error}</p> : <p class="muted">Loading…</p>;
  const aliasesOf = (v: string) => (model?.aliases ?? []).filter((a) => a.version === v).map((a) => a.alias);
  return (
    <section>
      <h2>{name}</h2>
      {model?.description && <p>{model.description}</p>}
      {error && <p class="error" role="alert">{error}</p>}
      <table class="grid" id="versions">
        <thead><tr><th>Version</th><th>Stage</th><th>Aliases</th><th>Source run</th><th>Created</th><th>Move to stage</th><th>Add alias</th></tr></thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>v{v.version}</td>
              <td><span class={"stage " + (v.current_stage ?? "None")}>{v.current_stage ?? "None"}</span></td>
              <td>{aliasesOf(v.version).map((a) => (
                <span key={a} class="alias">@{a} <button class="link" aria-label={`remove alias ${a}`} onClick={() => setPending({ kind: "unalias", alias: a })}>×</button></span>
              ))}</td>
              <td>{v.run_id ? <a class="mono" href={href("/run/" + v.run_id)}>{v.run_id.slice(0, 12)}</a> : ""}</td>
              <td>{fmtTime(v.creation_timestamp)}</td>
              <td>
                <select aria-label={`stage for version ${v.version}`} value=""
                  onChange={(e) => { const s = (e.target as HTMLSelectElement).value; if (s) setPending({ kind: "stage", version: v.version, stage: s, archive: s === "Production" }); }}>
                  <option value="">…</option>
                  {stages.filter((s) => s !== (v.current_stage ?? "None")).map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              </td>
              <td>
                <form class="inline" onSubmit={(e) => { e.preventDefault(); const a = (aliasDraft[v.version] ?? "").trim(); if (a) setPending({ kind: "alias", version: v.version, alias: a }); }}>
                  <input aria-label={`alias for version ${v.version}`} size={10} value={aliasDraft[v.version] ?? ""} placeholder="champion"
                    onInput={(e) => setAliasDraft({ ...aliasDraft, [v.version]: (e.target as HTMLInputElement).value })} />
                  <button type="submit">Set</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>History</h3>
      <History entries={history} error={historyError} />
      {pending?.kind === "stage" && (
        <Confirm title="Change stage" onYes={act} onNo={() => setPending(null)}>
          <p>Move <strong>{name}</strong> version <strong>{pending.version}</strong> to <strong>{pending.stage}</strong>?</p>
          <label><input type="checkbox" checked={pending.archive} onChange={(e) => setPending({ ...pending, archive: (e.target as HTMLInputElement).checked })} /> Archive the versions now in {pending.stage}</label>
        </Confirm>
      )}
      {pending?.kind === "alias" && (
        <Confirm title="Set alias" onYes={act} onNo={() => setPending(null)}>
          <p>Point <strong>@{pending.alias}</strong> at version <strong>{pending.version}</strong>? Servers following <code>models:/{name}@{pending.alias}</code> switch to it.</p>
        </Confirm>
      )}
      {pending?.kind === "unalias" && (
        <Confirm title="Remove alias" onYes={act} onNo={() => setPending(null)}>
          <p>Remove <strong>@{pending.alias}</strong> from {name}?</p>
        </Confirm>
      )}
    </section>
  );
}
