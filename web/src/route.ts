import { useEffect, useState } from "preact/hooks";

// The view lives in the URL's hash ("#/runs?e=1&filter=..."), so a link reproduces what a
// colleague sees and the server needs only one page.
export interface Route {
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [p, q = ""] = raw.split("?", 2);
  return { path: p.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const s = q.toString();
  return "#" + path + (s ? "?" + s : "");
}

// Replaces the query keys in the current URL, keeping the others.
export function setQuery(update: Record<string, string | undefined>) {
  const r = parseHash(location.hash);
  for (const [k, v] of Object.entries(update)) {
    if (v) r.query.set(k, v);
    else r.query.delete(k);
  }
  const s = r.query.toString();
  const next = "#/" + r.path.map(encodeURIComponent).join("/") + (s ? "?" + s : "");
  location.hash = next;
}
