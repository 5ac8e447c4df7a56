import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef } from "preact/hooks";

export interface Series {
  label: string;
  x: number[];
  y: number[];
  min?: number[];
  max?: number[];
}

const palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777",
  "#65a30d", "#7c3aed", "#ca8a04", "#0d9488", "#e11d48", "#4f46e5", "#059669", "#d97706",
  "#6d28d9", "#be123c", "#15803d", "#1d4ed8", "#b45309"];
export const color = (i: number) => palette[i % palette.length];

// Several series on a shared x axis (uPlot wants one x array: the union of the series' x
// values, with nulls where a series has no point). A min/max band per series keeps the spikes
// that downsampling would otherwise hide.
function align(series: Series[]): uPlot.AlignedData {
  const xs = Array.from(new Set(series.flatMap((s) => s.x))).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  for (const s of series) {
    for (const arr of [s.y, s.min, s.max]) {
      if (!arr) continue;
      const col: (number | null)[] = new Array(xs.length).fill(null);
      s.x.forEach((x, i) => (col[index.get(x)!] = arr[i]));
      data.push(col);
    }
  }
  return data as uPlot.AlignedData;
}

export function Chart(props: { title: string; series: Series[]; xLabel: string; time?: boolean; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label + (s.min ? "+band" : "")).join("|") + props.time;
  useEffect(() => {
    const node = el.current!;
    const opts: uPlot.Options = {
      width: node.clientWidth || 600,
      height: props.height ?? 260,
      scales: { x: { time: !!props.time } },
      axes: [{ label: props.xLabel }, {}],
      series: [{}],
      bands: [],
    };
    props.series.forEach((s, i) => {
      const c = color(i);
      const at = opts.series.length;
      opts.series.push({ label: s.label, stroke: c, width: 1.5, spanGaps: true, points: { show: false } });
      if (s.min && s.max) {
        opts.series.push({ label: s.label + " min", stroke: "transparent", spanGaps: true, points: { show: false } });
        opts.series.push({ label: s.label + " max", stroke: "transparent", spanGaps: true, points: { show: false } });
        opts.bands!.push({ series: [at + 2, at + 1], fill: c + "33" });
      }
    });
    const u = new uPlot(opts, align(props.series), node);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: node.clientWidth, height: props.height ?? 260 }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData(align(props.series));
  }, [props.series]);
  // The title is ours, not uPlot's: uPlot sets its title once, and a live chart's title (its
  // point count) changes with every poll.
  return (
    <div class="chart" data-series={props.series.length} data-points={props.series.reduce((n, s) => n + s.x.length, 0)}>
      <div class="chart-title">{props.title}</div>
      <div ref={el} />
    </div>
  );
}
