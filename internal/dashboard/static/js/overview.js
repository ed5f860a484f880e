import { api, qs, reach } from "./api.js";
import { h, clear, errorBox, keepFocus, refocus } from "./dom.js";
import { chart, destroyCharts } from "./charts.js";
import * as f from "./format.js";
import * as clock from "./clock.js";

const MIN = 60e3, HOUR = 60 * MIN, DAY = 24 * HOUR;
const ranges = { hour: [HOUR, 5 * MIN], day: [DAY, HOUR], week: [7 * DAY, 6 * HOUR] };
const steps = [MIN, 5 * MIN, 15 * MIN, HOUR, 3 * HOUR, 6 * HOUR, DAY, 7 * DAY];

// The range is in the page's address (#/overview?range=week,
// ?range=custom&start=…&end=…), as the lists' filters are: kept in the page
// alone, a reload or a shared link showed the last day instead. The last
// one shown is remembered for the bare #/overview the menu links to, so
// leaving the page and coming back keeps it too.
const rangeNames = ["hour", "day", "week", "custom"];
let remembered = "";

function rangeOf(params) {
  const range = rangeNames.includes(params.get("range")) ? params.get("range") : "day";
  return range === "custom"
    ? { range, start: params.get("start") || "", end: params.get("end") || "" }
    : { range, start: "", end: "" };
}

// A custom range's ends are instants in the address (RFC 3339, UTC), shown
// in the browser's zone: the fields' own values, wall-clock times, named
// other hours in a link opened in another zone.
function instant(local) {
  const t = Date.parse(local); // a datetime-local value is the browser's zone
  return Number.isNaN(t) ? "" : new Date(t).toISOString();
}

function wallClock(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// customFrom is the custom range Custom opens with: the one on screen, to
// be changed. After a preset (the last day), its start and end as of now,
// to the minute the fields show (the start's minute, the end's next one,
// so the range holds the preset's): the fields were empty, and a person
// who wanted "the last day, but from 9 am" typed both ends anew.
function customFrom(state) {
  if (state.range === "custom") return state;
  const p = plan(state);
  return { range: "custom", start: new Date(Math.floor(p.start / MIN) * MIN).toISOString(), end: new Date(Math.ceil(p.end / MIN) * MIN).toISOString() };
}

// show makes hash the page's address and shows it: the same address again
// (a range chosen twice, Show pressed again) changes nothing a hashchange
// would tell, so it is shown here.
function show(main, hash) {
  if (location.hash === hash) overview(main, new URLSearchParams(hash.split("?")[1] || ""));
  else location.hash = hash;
}

// plan turns the chosen range into [start, end) and aligned windows of
// about two dozen steps; each window is one stats query (whole hours come
// from the hourly rollups, so even a week at a million calls stays cheap).
function plan(state) {
  let end = clock.latest(), start, step;
  if (state.range === "custom") {
    start = Date.parse(state.start);
    end = state.end ? Date.parse(state.end) : end;
    // A link's end that is no time was said as "choose a start before the
    // end", of a range whose fields showed nothing.
    if (Number.isNaN(start)) throw new Error(`the range's start, "${state.start}", is not a time: choose one`);
    if (Number.isNaN(end)) throw new Error(`the range's end, "${state.end}", is not a time: choose one, or none for now`);
    if (!(start < end)) throw new Error("choose a start before the end");
    // Past the steps, whole days (the daily rollups answer them), as many
    // as keep the windows to three dozen: a week's step made one query per
    // week of a range of years, 1,400 for 26 of them.
    step = steps.find((s) => (end - start) / s <= 36) || Math.ceil((end - start) / 36 / DAY) * DAY;
  } else {
    const [span, s] = ranges[state.range];
    start = end - span;
    step = s;
  }
  const windows = [];
  for (let t = Math.floor(start / step) * step; t < end; t += step) {
    // x is the aligned start, so the points (and bars) are evenly spaced.
    windows.push({ x: t, start: Math.max(t, start), end: Math.min(t + step, end) });
  }
  return { start, end, windows };
}

// pooled runs fns with at most n in flight.
async function pooled(fns, n) {
  const out = new Array(fns.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, fns.length) }, async () => {
    while (next < fns.length) {
      const i = next++;
      out[i] = await fns[i]();
    }
  }));
  return out;
}

// current cancels the queries of the overview on screen: a Refresh, a
// range or another page replaces it, and its answers would be thrown away
// (clicked a few times on a slow history, the page kept the server busy
// with every round of them).
let current = new AbortController();

export function stopOverview() {
  current.abort();
}

export async function overview(main, params = new URLSearchParams()) {
  if (!params.has("range") && remembered) {
    history.replaceState(null, "", remembered);
    params = new URLSearchParams(remembered.split("?")[1]);
  }
  const state = rangeOf(params);
  if (params.has("range")) remembered = "#/overview" + qs(state);
  stopOverview();
  const { signal } = (current = new AbortController());
  destroyCharts();
  const body = h("div");
  const tabs = h("div.tabs", rangeNames.map((r) =>
    h("button" + (state.range === r ? ".on" : ""), { type: "button", dataset: { range: r }, "aria-pressed": String(state.range === r),
      onclick: () => {
        keepFocus(tabs, `[data-range="${r}"]`);
        show(main, "#/overview" + qs(r === "custom" ? customFrom(state) : { range: r }));
      } },
    r === "custom" ? "Custom" : "Last " + r)));
  const custom = state.range === "custom" ? h("form.row", { dataset: { form: "range" },
    onsubmit: (e) => {
      e.preventDefault();
      keepFocus(e.target, '[data-form="range"] button[type="submit"]');
      show(main, "#/overview" + qs({ range: "custom", start: instant(e.target.start.value), end: instant(e.target.end.value) }));
    },
  }, h("label", "From", h("input", { type: "datetime-local", name: "start", value: wallClock(state.start), required: true })),
  h("label", "To (empty: now)", h("input", { type: "datetime-local", name: "end", value: wallClock(state.end) })),
  h("button", { type: "submit" }, "Show")) : null;
  const refresh = h("button.secondary", { type: "button", dataset: { refresh: "" }, onclick: () => {
    keepFocus(refresh, "button[data-refresh]");
    overview(main, params);
  } }, "Refresh");
  clear(main).append(h("div", h("div.row", h("h1", "Overview"), tabs, refresh), custom, body));
  refocus(main);
  health(body);
  if (state.range === "custom" && !state.start) {
    body.append(h("p.muted", "Choose a range."));
    return;
  }
  await clock.synced(); // the range ends at the server's now
  if (signal.aborted) return;
  let p;
  try {
    p = plan(state);
  } catch (err) {
    body.append(errorBox(err));
    return;
  }
  const loading = h("p.muted", "Loading…");
  body.append(loading);
  try {
    const totals = await api("/v1/stats" + qs({ start: p.start, end: p.end }), { signal });
    const wins = await pooled(p.windows.map((w) => () => api("/v1/stats" + qs({ start: w.start, end: w.end }), { signal })), 6);
    loading.remove();
    render(body, p, totals, wins);
  } catch (err) {
    if (!signal.aborted) loading.replaceWith(errorBox(err));
  }
}

function render(body, p, totals, wins) {
  const t = totals.statistics;
  const card = (k, v, title) => h("div.card.stat", { dataset: { stat: k } }, h("div.v", v), h("div.k", title));
  body.append(h("p.muted", { dataset: { start: p.start, end: p.end } }, `${f.time(p.start)} – ${f.time(p.end)} · percentiles ${totals.percentiles}`),
    h("div.grid",
      card("calls", f.int(t.total_responses), "calls"),
      card("errors", f.int(t.errors), `errors (${f.pct(t.error_rate)})`),
      card("prompt_tokens", f.int(t.total_prompt_tokens), "prompt tokens"),
      card("completion_tokens", f.int(t.total_completion_tokens), "completion tokens"),
      card("p50", f.pctl(t.duration_ms, "p50"), "p50 duration"),
      card("p95", f.pctl(t.duration_ms, "p95"), "p95 duration"),
      card("ttft_p50", f.pctl(t.ttft_ms, "p50"), "p50 time to first token"),
      card("ttft_p95", f.pctl(t.ttft_ms, "p95"), "p95 time to first token")));
  if (t.total_responses === 0) {
    body.append(h("div.card.empty", "No calls in this range."));
    return;
  }
  const xs = p.windows.map((w) => w.x / 1000);
  const pick = (g) => wins.map((w) => g(w.statistics));
  const lat = (g) => wins.map((w) => (w.statistics.total_responses ? g(w.statistics) : null));
  // The six models with most calls, or past six the first five and "other"
  // for the rest: the bars add up to the calls (a seventh model's were left
  // out, and the chart fell short of "Calls and errors").
  const ranked = totals.by_model.slice().sort((a, b) => b.total_responses - a.total_responses).map((m) => m.model);
  const models = ranked.length > 6 ? ranked.slice(0, 5) : ranked;
  const callsOf = (w, m) => (w.by_model.find((g) => g.model === m) || { total_responses: 0 }).total_responses;
  const byModel = models.map((m) => ({ label: m, values: wins.map((w) => callsOf(w, m)) }));
  if (models.length < ranked.length) {
    byModel.push({ label: "other", values: wins.map((w) => w.statistics.total_responses - models.reduce((n, m) => n + callsOf(w, m), 0)) });
  }
  const when = (i) => f.span(p.windows[i].start, p.windows[i].end);
  const zone = f.zonesOf(p.start, p.end);
  body.append(h("div.charts",
    chart("Calls and errors", xs, [
      { label: "calls", values: pick((s) => s.total_responses), bars: true },
      { label: "errors", values: pick((s) => s.errors), bars: true }], { when, zone }),
    chart("Tokens", xs, [
      { label: "prompt", values: pick((s) => s.total_prompt_tokens) },
      { label: "completion", values: pick((s) => s.total_completion_tokens) }], { when, zone }),
    chart("Duration", xs, [
      { label: "p50", values: lat((s) => s.duration_ms.p50) },
      { label: "p95", values: lat((s) => s.duration_ms.p95) }], { format: f.ms, when, zone }),
    chart("Time to first token", xs, [
      { label: "p50", values: lat((s) => (s.ttft_ms.count ? s.ttft_ms.p50 : null)) },
      { label: "p95", values: lat((s) => (s.ttft_ms.count ? s.ttft_ms.p95 : null)) }], { format: f.ms, when, zone }),
    chart("Calls by model", xs, byModel, { stacked: true, when, zone })));
  // Each group links to its calls over the same range (the link dropped the
  // range: a model's row of the last hour opened its calls of all time).
  // In RFC 3339, which the Calls page's From and Until fields show as given.
  const range = { start: new Date(p.start).toISOString(), end: new Date(p.end).toISOString() };
  // The statistics group by the Qwen model that answered, which a variant
  // suffix (-thinking, -search), a gpt-* or claude-* name or MODEL_MAP make
  // another than the model asked for: the row asks for the calls answered
  // by it (model= listed none of qwq-32b-thinking-search's under qwq-32b).
  body.append(h("h2", "By model"), groupTable("by-model", "model", totals.by_model,
    (m) => "#/calls" + qs({ response_model: m, ...range })));
  // The statistics group by Qwen account too; calls that reached none are
  // listed as "none" (the calls filter cannot ask for those).
  body.append(h("h2", "By account"), groupTable("by-account", "account", totals.by_account || [],
    (a) => (a ? "#/calls" + qs({ account: a, ...range }) : null)));
  // Why the errors ended, each type linked to its calls over the range.
  const failed = totals.by_error_type || [];
  if (failed.length) {
    body.append(h("h2", "Errors by type"), h("div.tablewrap", h("table", { dataset: { table: "by-error-type" } },
      h("thead", h("tr", h("th", "error type"), h("th.num", "errors"))),
      h("tbody", failed.map((e) => h("tr",
        h("td", h("a", { href: "#/calls" + qs({ error_type: e.error_type, ...range }) }, e.error_type)),
        h("td.num", f.int(e.errors))))))));
  }
}

// groupTable lists statistics groups (by model, by account), each named by
// a link to its calls where href gives one.
function groupTable(name, label, groups, href) {
  return h("div.tablewrap", h("table", { dataset: { table: name } },
    h("thead", h("tr", [label, "calls", "errors", "prompt tok", "completion tok", "p50", "p95", "TTFT p50", "TTFT p95"].map((c, i) => h("th" + (i ? ".num" : ""), c)))),
    h("tbody", groups.map((g) => {
      const key = g[label];
      const link = href(key);
      return h("tr",
        h("td", link ? h("a", { href: link }, key) : h("span.muted", key || "none")),
        h("td.num", f.int(g.total_responses)), h("td.num", `${f.int(g.errors)} (${f.pct(g.error_rate)})`),
        h("td.num", f.int(g.total_prompt_tokens)), h("td.num", f.int(g.total_completion_tokens)),
        h("td.num", f.pctl(g.duration_ms, "p50")), h("td.num", f.pctl(g.duration_ms, "p95")),
        h("td.num", f.pctl(g.ttft_ms, "p50")), h("td.num", f.pctl(g.ttft_ms, "p95")));
    }))));
}

// health shows credentials, accounts (where the server has them) and the
// recorder, from /health/detailed.
async function health(body) {
  const box = h("div.card", h("h2", "Health"), h("p.muted", "Loading…"));
  body.prepend(box);
  let d;
  try {
    const resp = await reach("/health/detailed", { cache: "no-store" });
    d = await resp.json();
  } catch (err) {
    box.lastChild.replaceWith(errorBox(err));
    return;
  }
  const c = d.credentials || {};
  const r = d.recorder || {};
  const cls = (ok) => (ok ? "ok" : "error");
  // A refusal lasts until its account's next success, past the account's
  // rest: said without when and which account, one of hours ago read as
  // the credentials' state now.
  const creds = !c.configured ? h("span.error", "not configured")
    : c.rejected ? h("span.error", `rejected by Qwen at ${f.time(Date.parse(c.rejected.at))}`
      + (c.rejected.account ? ` (account ${c.rejected.account})` : "") + ": " + c.rejected.reason)
      : c.token_expired ? h("span.error", "token expired")
        : h("span.ok", `configured (${c.source || "set"})` + (c.token_expires_at ? ", token expires " + f.time(Date.parse(c.token_expires_at)) : ""));
  const items = [
    ["status", h("span." + cls(d.status === "ready"), d.status)],
    ["Qwen credentials", creds],
    ...Object.entries(d.checks || {}).map(([k, v]) => ["check: " + k, h("span." + cls(v === "ok"), v)]),
    // Written, spooled, replayed and lost are counted since the process
    // started: "92 written" beside the range's "138 calls" read as calls
    // missing from the history.
    ["recorder", h("span", `${f.int(r.queued)} queued of ${f.int(r.queue_size)}; since start ${f.int(r.written)} written, ${f.int(r.spooled)} spooled, ${f.int(r.replayed)} replayed`)],
    ["lost records since start", h("span." + cls(!r.dropped), f.int(r.dropped || 0))],
  ];
  if (r.spool_bytes) items.push(["spool", h("span.warn", f.count(r.spool_bytes, "byte") + " waiting for the database")]);
  if (d.sessions) items.push(["sessions", `${f.int(d.sessions.in_memory)} in memory, ${f.count(d.sessions.turns_in_progress, "turn")} in progress`]);
  box.lastChild.replaceWith(h("div.health", { dataset: { health: d.status } }, items.map(([k, v]) => h("div", h("div.muted", k), v))));
  // Each account's state is listed under credentials.accounts (see Accounts
  // in the README); the page looked for it at the top level, where it is not.
  const accounts = Array.isArray(c.accounts) ? c.accounts : [];
  if (accounts.length) {
    const when = (t) => (t ? f.time(Date.parse(t)) : "–");
    const failures = (m) => Object.entries(m || {}).map(([k, v]) => `${k} ${f.int(v)}`).join(", ") || "none";
    box.append(h("h2", "Qwen accounts"), h("div.tablewrap", h("table", { dataset: { table: "accounts" } },
      h("thead", h("tr", ["account", "source", "state", "cooldown until", "token expires", "calls since start", "failures since start", "problem"].map((k, i) => h("th" + (i === 5 ? ".num" : ""), k)))),
      h("tbody", accounts.map((a) => h("tr", { dataset: { account: a.id } },
        h("td", a.id), h("td", a.source || "–"),
        h("td", h("span." + cls(a.usable), a.state)),
        h("td", when(a.cooldown_until)), h("td", when(a.token_expires_at)),
        h("td.num", f.int(a.calls)), h("td", failures(a.failures)),
        h("td.wrap", a.problem || "–")))))));
  }
}
