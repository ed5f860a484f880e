import { h } from "./dom.js";
import { zonesOf } from "./format.js";

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
// stacked draws every series as bars, each on the ones before it, so a
// window's bar is as tall as its series' sum (the calls by model add up to
// the calls); the legend and the hover still say each series' own value.
// when(i) names window i in the legend (its start and end, with the zone, as
// every other time the pages show): uPlot's own said the aligned start alone,
// "2026-12-06 6pm", no zone, for a window that began at 6:56 PM UTC.
// zone names the zone of the time axis's ticks (the browser's, as uPlot
// draws them), in its label: "Time (UTC)". The axis said "9pm" and "12am"
// without a zone, beside a hover that named one.
export function chart(title, xs, series, { unit = "", format = (v) => fmt(v) + unit, height = 220, stacked = false, when,
  zone = xs.length ? zonesOf(xs[0] * 1000, xs[xs.length - 1] * 1000) : zonesOf(Date.now(), Date.now()) } = {}) {
  // Half a step of room at each end, so the first and last bars show whole.
  const pad = xs.length > 1 ? (xs[1] - xs[0]) / 2 : 60;
  const box = h("div.plot", { dataset: { title, zone } });
  const card = h("div.card.chart", h("h3", title), box);
  // tops[i][j] is where series i's bar ends in window j: the sum of series
  // 0…i there; series i's bar begins where series i−1's ends.
  const tops = [];
  for (const [i, s] of series.entries()) tops.push(s.values.map((v, j) => (v || 0) + (i ? tops[i - 1][j] : 0)));
  const paths = (s, i) => {
    if (stacked && uPlot.paths.bars) {
      return uPlot.paths.bars({ size: [0.6, 40], disp: {
        y0: { unit: 1, values: () => (i ? tops[i - 1] : xs.map(() => 0)) },
        y1: { unit: 1, values: () => tops[i] } } });
    }
    return s.bars && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
  };
  const highest = stacked && tops.length ? Math.max(0, ...tops[tops.length - 1]) : 0;
  const opts = {
    width: 200, // grows to the box on the first frame; never wider than a narrow window meanwhile
    height,
    series: [when ? { value: (u, v, si, i) => (i === null || i === undefined ? null : when(i)) } : {}, ...series.map((s, i) => ({
      label: s.label,
      stroke: palette[i % palette.length],
      fill: s.bars || stacked ? palette[i % palette.length] + (stacked ? "66" : "33") : undefined,
      width: 1.5,
      paths: paths(s, i),
      // A stacked bar's value is not its height: no point at the value.
      points: { show: !stacked && xs.length < 60 },
      value: (u, v) => (v === null || v === undefined ? "–" : format(v)),
    }))],
    // The value axis is as wide as its longest label: at a fixed 60 px,
    // "8000 ms" showed as "000 ms" and "1500 ms" as "500 ms".
    axes: [{ label: `Time (${zone})`, labelSize: 20, labelGap: 0 }, { values: (u, vals) => vals.map(format), size: axisSize }],
    scales: { x: { time: true, range: (u, min, max) => [min - pad, max + pad] },
      // Stacked, the scale is the sums': read off the values, the tallest
      // bar rose past the top.
      ...(stacked ? { y: { range: () => uPlot.rangeNum(0, highest || 1, 0.1, true) } } : {}) },
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, ...(stacked ? { points: { show: false } } : {}) },
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
