import { api, qs } from "./api.js";
import { h, clear, errorBox } from "./dom.js";
import * as f from "./format.js";
import { sessionLink } from "./links.js";
import * as clock from "./clock.js";
import { checkHistory } from "./banner.js";

// Live polls, with fetch and the key, every two seconds:
//  - GET /v1/requests/active: the calls this instance is serving now;
//  - GET /v1/responses?start=…&order=desc&limit=200: the newest calls that
//    ended since a little before the newest one seen (ten seconds back, so a
//    record written late by a busy recorder or another instance is not
//    missed; ids already shown are skipped). On PostgreSQL that includes
//    every instance's calls. Newest first, as many as the table keeps: read
//    oldest first, a window holding more calls than a page (500 ended in the
//    first five minutes, or in ten seconds of a busy proxy) gave the same
//    page on every poll, and no new call ever appeared.
const EVERY = 2000, OVERLAP = 10000, KEEP = 200;
// Every fifth poll asks whether the history is whole (the banner), as a
// Live page stays open for hours.
const HEALTH_EVERY = 5;

let timer = null;
let generation = 0; // a poll of a page left since stops there

export function stopLive() {
  clearTimeout(timer);
  timer = null;
  generation++;
}

export async function liveView(main) {
  stopLive();
  const mine = generation;
  const seen = new Map(); // id → when it ended
  let since = null; // the server's time, once its first answer tells it
  let first = null; // since, as the first poll asked (what "no call since" means)
  let paused = false;
  // polling: a poll is waiting for its answer. Resume starts no second one
  // beside it (which then went on polling too, one more round per Pause and
  // Resume): that poll schedules the next.
  let polling = false;
  let polls = 0;
  const status = h("span.muted", "connecting…");
  const active = h("div");
  const rows = h("tbody");
  // Said under the empty table: a bare header row read as a page still
  // loading, or broken.
  const none = h("p.muted.none", { hidden: true });
  const pause = h("button.secondary", { type: "button", onclick: () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    clearTimeout(timer);
    if (!paused) tick();
  } }, "Pause");
  // The page is in #main, a polite live region (a page that opens is
  // read out): its polls, every 2 s, are not, or a screen reader read the
  // "updated" time and every table anew every two seconds, without end.
  const quiet = h("div", { "aria-live": "off" });
  clear(main).append(quiet);
  quiet.append(h("div.row", h("h1", "Live"), pause, status),
    h("h2", "In progress on this instance"), active,
    h("h2", "Finished (every instance), newest first"),
    // Whether a call streamed (its page says) is a .wide column, left out of
    // a window narrower than 1,200 pixels: with each session's id whole on
    // one line, the nine columns were wider than the box at 1,024.
    h("div.tablewrap", h("table", { dataset: { table: "live" } },
      h("thead", h("tr", ["ended", "model", "stream", "status", "error", "tokens", "duration", "first token", "session"].map((c) => h(c === "stream" ? "th.wide" : ["tokens", "duration", "first token"].includes(c) ? "th.num" : "th", c)))), rows)),
    none);

  const tick = async () => {
    if (paused || polling || mine !== generation) return;
    polling = true;
    if (++polls % HEALTH_EVERY === 0) checkHistory();
    try {
      const now = await api("/v1/requests/active");
      if (since === null) since = first = clock.now() - 5 * 60e3; // by the server's clock (its Date)
      const done = await api("/v1/responses" + qs({ start: Math.max(0, since - OVERLAP), order: "desc", limit: KEEP, count: "false" }));
      clear(active).append(now.data.length ? h("div.tablewrap", h("table", { dataset: { table: "active" } },
        // Each column is named: the state's header was empty, and a screen
        // reader read its pills under no column.
        h("thead", h("tr", ["started", "model", "route", "state", "for", "session"].map((c) => h(c === "for" ? "th.num" : "th", c)))),
        h("tbody", now.data.map((c) => h("tr", { dataset: { request: c.request_id } },
          h("td", f.time(c.started_at)), h("td", runningModel(c)), h("td", c.path),
          h("td", c.streaming ? h("span.pill.streaming", "streaming") : h("span.pill", c.stream ? "waiting for first token" : "answering")),
          h("td.num", f.ms(c.elapsed_ms)), h("td", sessionLink(c.session_id))))))) : h("p.muted", "Nothing in progress."));
      for (const r of done.data.reverse()) {
        since = Math.max(since, r.timestamp);
        if (seen.has(r.id)) continue;
        seen.set(r.id, r.timestamp);
        // Each row names its call by a link, as the Calls page's rows do
        // (a keyboard reaches a link, not a row's click), and a failed
        // call says what failed, beside its status (see the Calls page's
        // table): "error 200" alone left the operator to open every failed
        // stream to learn why.
        rows.prepend(h("tr.click.fresh", { dataset: { id: r.request_uuid }, onclick: () => { location.hash = "#/calls/" + r.request_id; } },
          h("td", h("a", { href: "#/calls/" + r.request_id }, f.time(r.timestamp))), h("td", r.model), h("td.wide", r.stream ? "yes" : "no"),
          h("td", h("span.pill." + r.status, `${r.status} ${r.http_status}`)),
          h("td", r.error_type ? h("span.error", { title: r.error || "" }, r.error_type) : ""),
          h("td.num", f.int(r.total_tokens)), h("td.num", f.ms(r.duration_ms)), h("td.num", f.ms(r.ttft_ms)),
          h("td", sessionLink(r.session_id))));
      }
      while (rows.children.length > KEEP) rows.lastChild.remove();
      none.textContent = `No call has ended since ${f.time(first)}; calls appear here as they end.`;
      none.hidden = rows.children.length > 0;
      for (const [id, ts] of seen) if (ts < since - 2 * OVERLAP) seen.delete(id); // they never come back
      // The server's time, as the rows' are, and with its zone, as theirs.
      status.textContent = "updated " + f.time(clock.now());
    } catch (err) {
      // The next poll is still made: say so, as the page recovers by itself.
      // Said once while it fails alike: an alert put anew at each poll was
      // read out by a screen reader every 2 s while the server was down.
      // Its time stays the first failure's.
      const failure = `${err.status}:${err.code}`;
      if (!status.firstChild || status.firstChild.dataset?.failure !== failure) {
        const box = errorBox(`${err.message} Retrying every ${EVERY / 1000} s.`);
        box.dataset.failure = failure;
        status.replaceChildren(box);
      }
    } finally {
      polling = false;
    }
    if (mine === generation && !paused) timer = setTimeout(tick, EVERY);
  };
  await tick();
}

// runningModel names a call in progress by the Qwen model it is sent as, the
// model the finished table names it by (a response's): by the name its
// client asked for, the row read gpt-4o while it ran and qwen3-max once it
// ended.
function runningModel(c) {
  return c.response_model || "…";
}
