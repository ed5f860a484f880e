import { h } from "./dom.js";

// Charts are uPlot (vendored in vendor/uplot, see its VERSION file). Each
// chart follows its box's width; charts of a page are destroyed with it.

const palette = ["#3b5bdb", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#1098ad", "#f08c00", "#495057"];
const live = new Set();

export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}

// chart draws series over time. xs are Unix seconds; each series is
// {label, values, bars?}; format writes a value (default: fmt and unit).
export function chart(title, xs, series, { unit = "", format = (v) => fmt(v) + unit, height = 220 } = {}) {
  // Half a step of room at each end, so the first and last bars show whole.
  const pad = xs.length > 1 ? (xs[1] - xs[0]) / 2 : 60;
  const box = h("div.plot", { dataset: { title } });
  const card = h("div.card.chart", h("h3", title), box);
  const opts = {
    width: 200, // grows to the box on the first frame; never wider than a narrow window meanwhile
    height,
    series: [{}, ...series.map((s, i) => ({
      label: s.label,
      stroke: palette[i % palette.length],
      fill: s.bars ? palette[i % palette.length] + "33" : undefined,
      width: 1.5,
      paths: s.bars && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined,
      points: { show: xs.length < 60 },
      value: (u, v) => (v === null || v === undefined ? "–" : format(v)),
    }))],
    // The value axis is as wide as its longest label: at a fixed 60 px,
    // "8000 ms" showed as "000 ms" and "1500 ms" as "500 ms".
    axes: [{}, { values: (u, vals) => vals.map(format), size: axisSize }],
    scales: { x: { time: true, range: (u, min, max) => [min - pad, max + pad] } },
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const data = [xs, ...series.map((s) => s.values)];
  const plot = new uPlot(opts, data, box);
  // Each series' total, for a reader (and the browser test) to check.
  box.dataset.sums = JSON.stringify(series.map((s) => s.values.reduce((a, v) => a + (v || 0), 0)));
  const fit = () => {
    const w = Math.max(200, Math.floor(box.getBoundingClientRect().width));
    if (w !== plot.width) plot.setSize({ width: w, height });
  };
  const ro = new ResizeObserver(fit);
  ro.observe(box);
  live.add({ destroy: () => { ro.disconnect(); plot.destroy(); } });
  requestAnimationFrame(fit);
  card.plot = plot;
  return card;
}

const measure = document.createElement("canvas").getContext("2d");

// axisSize is the width of a value axis: its longest label, then the gap and
// the tick marks between the labels and the plot (uPlot's defaults).
function axisSize(u, values, i) {
  if (!values) return 60;
  const axis = u.axes[i];
  measure.font = Array.isArray(axis.font) ? axis.font[0] : axis.font;
  const widest = Math.max(0, ...values.map((v) => measure.measureText(v).width));
  return Math.ceil(widest / (window.devicePixelRatio || 1)) + (axis.gap || 5) + (axis.ticks.size || 10) + 4;
}

function fmt(v) {
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(v < 10 ? 2 : 1);
}
