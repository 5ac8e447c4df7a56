export function fmtTime(ms?: number): string {
  if (!ms) return "";
  const d = new Date(Number(ms));
  return d.toISOString().replace("T", " ").slice(0, 19);
}

export function fmtDuration(start?: number, end?: number): string {
  if (!start) return "";
  const s = ((end ? Number(end) : Date.now()) - Number(start)) / 1000;
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return (s / 60).toFixed(1) + " min";
  return (s / 3600).toFixed(1) + " h";
}

export function fmtValue(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(4) : String(+v.toPrecision(6));
  }
  return v === undefined || v === null ? "" : String(v);
}

export function tagValue(tags: { key: string; value: string }[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.key === key)?.value;
}
