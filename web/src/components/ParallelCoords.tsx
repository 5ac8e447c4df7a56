import { color } from "./Chart";

export interface PcRun {
  id: string;
  label: string;
  values: Record<string, string | number | undefined>;
}

// Parameters against a metric, one polyline per run, as W&B draws sweeps: numeric axes scale
// linearly between their extremes, text axes space their distinct values evenly.
export function ParallelCoords({ runs, axes, metric }: { runs: PcRun[]; axes: string[]; metric: string }) {
  const all = [...axes, metric];
  const W = Math.max(560, all.length * 150), H = 300, top = 30, bottom = 30;
  const x = (i: number) => 60 + (i * (W - 160)) / Math.max(1, all.length - 1);
  const scales = all.map((a) => {
    const vals = runs.map((r) => r.values[a]).filter((v) => v !== undefined && v !== "");
    const nums = vals.map(Number);
    if (vals.length && nums.every((n) => Number.isFinite(n))) {
      const lo = Math.min(...nums), hi = Math.max(...nums);
      return { ticks: [lo, hi].map(String), y: (v: unknown) => (hi === lo ? (H - top - bottom) / 2 : ((hi - Number(v)) / (hi - lo)) * (H - top - bottom)) + top };
    }
    const cats = [...new Set(vals.map(String))].sort();
    return { ticks: cats, y: (v: unknown) => top + (cats.length < 2 ? (H - top - bottom) / 2 : (cats.indexOf(String(v)) / (cats.length - 1)) * (H - top - bottom)) };
  });
  return (
    <svg class="parcoords" id="parcoords" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`parameters against ${metric}`}>
      {runs.map((r, k) => {
        const pts = all.map((a, i) => (r.values[a] === undefined ? null : `${x(i)},${scales[i].y(r.values[a])}`)).filter(Boolean);
        return <polyline key={r.id} points={pts.join(" ")} fill="none" stroke={color(k)} stroke-width="2" opacity="0.8"><title>{r.label}</title></polyline>;
      })}
      {all.map((a, i) => (
        <g key={a}>
          <line x1={x(i)} x2={x(i)} y1={top} y2={H - bottom} stroke="#555" />
          <text x={x(i)} y={16} text-anchor="middle" class={i === all.length - 1 ? "metric-axis" : ""}>{a}</text>
          {scales[i].ticks.map((t) => <text key={t} x={x(i) + 4} y={scales[i].y(t) + 4} class="tick">{t}</text>)}
        </g>
      ))}
    </svg>
  );
}
