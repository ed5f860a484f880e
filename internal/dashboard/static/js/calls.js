import { api, apiExact, qs, request, download, asField, timeFields } from "./api.js";
import { h, clear, errorBox, confirmDialog, sayAfter, keepFocus, refocus } from "./dom.js";
import { jsonTree } from "./json.js";
import { pager } from "./conversations.js";
import { accountLink } from "./links.js";
import * as f from "./format.js";

const filterNames = ["model", "response_model", "account", "api_key_id", "status", "error_type", "stream", "finish_reason", "session_id", "client_session_id", "start", "end"];

// errorTypes are the error types a failed call is recorded with, in the
// README's order (the server's qwenproxy.ErrorTypes; a Go test holds the
// two alike).
export const errorTypes = ["upstream_error", "upstream_timeout", "upstream_auth", "upstream_firewall", "rate_limited",
  "upstream_stream_cut", "client_disconnect", "credentials_missing", "accounts_unavailable", "database_unavailable",
  "internal_error", "invalid_input", "shutting_down", "key_concurrency_limit"];

// listed is the address of the list last shown, filters and page, where a
// call's "← Calls" leads back (it led to every call, the filters dropped).
let listed = "#/calls";

// calls is the request log: the history API's filters, keyset paging,
// export and delete-before.
export async function calls(main, params) {
  const filters = Object.fromEntries(filterNames.map((k) => [k, params.get(k) || ""]));
  const cursor = { after: params.get("after") || "", before: params.get("before") || "" };
  listed = "#/calls" + qs({ ...filters, ...cursor });
  const base = "#/calls" + qs(filters);
  const select = (name, label, options) => h("label", label, h("select", { name },
    options.map(([v, t]) => h("option", { value: v, selected: filters[name] === v }, t))));
  const form = h("form.row.card", { dataset: { form: "calls" },
    onsubmit: (e) => {
      e.preventDefault();
      const next = {};
      for (const k of filterNames) next[k] = e.target[k].value.trim();
      keepFocus(e.target, '[data-form="calls"] button[type="submit"]');
      // The same filters again change no address, and Filter did nothing:
      // the calls made since were not listed until a reload.
      const hash = "#/calls" + qs(next);
      if (location.hash === hash) calls(main, new URLSearchParams(qs(next)));
      else location.hash = hash;
    },
  },
  h("label", "Model", h("input", { name: "model", value: filters.model, placeholder: "as asked, e.g. gpt-4o" })),
  h("label", "Answered by", h("input", { name: "response_model", value: filters.response_model, placeholder: "Qwen model" })),
  h("label", "Account", h("input", { name: "account", value: filters.account, placeholder: "Qwen account" })),
  h("label", "API key", h("input", { name: "api_key_id", value: filters.api_key_id, placeholder: "key id: key-…, env-…" })),
  select("status", "Status", [["", "any"], ["success", "success"], ["error", "error"]]),
  select("error_type", "Error type", [["", "any"], ...errorTypes.map((t) => [t, t])]),
  select("stream", "Stream", [["", "any"], ["true", "streamed"], ["false", "not streamed"]]),
  select("finish_reason", "Finish", [["", "any"], ["stop", "stop"], ["length", "length"], ["tool_calls", "tool_calls"], ["content_filter", "content_filter"]]),
  h("label", "Session", h("input", { name: "session_id", value: filters.session_id })),
  // The id the agent shows its user (Claude Code's, Codex's, OpenCode's
  // session), which the proxy's own session id is not.
  h("label", "Agent's session", h("input", { name: "client_session_id", value: filters.client_session_id, placeholder: "the agent's own id" })),
  h("label", "From", h("input", { name: "start", value: filters.start, placeholder: "2h, 7d, 2026-05-01…" })),
  h("label", "Until", h("input", { name: "end", value: filters.end, placeholder: "now" })),
  h("button", { type: "submit" }, "Filter"));
  // One call by any id a person may hold: its number, X-Request-Id, or the
  // id its client was answered with (chatcmpl-…, msg_…, resp_…, an item's
  // fc_…, ws_…).
  const find = h("form.row", { dataset: { find: "call" }, onsubmit: (e) => {
    e.preventDefault();
    const id = e.target.id.value.trim();
    if (id) location.hash = "#/calls/" + encodeURIComponent(id);
  } },
  h("label", "Find a call by id", h("input", { name: "id", placeholder: "X-Request-Id, chatcmpl-…, msg_…, resp_…", required: true })),
  h("button.secondary", { type: "submit" }, "Open"));
  const tools = h("div.row", find,
    h("button.secondary", { type: "button", onclick: (e) => exportCalls(e.target, filters, "jsonl") }, "Export JSONL"),
    h("button.secondary", { type: "button", onclick: (e) => exportCalls(e.target, filters, "csv") }, "Export CSV"),
    h("form.row", { onsubmit: (e) => { e.preventDefault(); deleteBefore(main, params, e.target); } },
      h("label", "Delete every call before", h("input", { name: "before", placeholder: "2026-05-01, 30d…", required: true })),
      h("button.danger", { type: "submit" }, "Delete…")));
  const list = h("div", h("p.muted", "Loading…"));
  // Under an agent's session, what the whole session cost, above its calls.
  const totals = filters.client_session_id ? h("div.card", { dataset: { clientSession: filters.client_session_id } }, h("p.muted", "Loading…")) : null;
  clear(main).append(...[h("h1", "Calls"), form, tools, totals, list].filter(Boolean));
  refocus(main);
  if (totals) clientSessionTotals(totals, filters.client_session_id);
  try {
    const page = await api("/v1/requests" + qs({ ...filters, ...cursor, limit: 50, count: "false" }));
    clear(list).append(callTable(page.data), pager(base, page));
  } catch (err) {
    clear(list).append(errorBox(asField(err, timeFields)));
  }
}

// clientSessionTotals shows what an agent's session cost, over all its
// calls (the list's other filters aside): GET /v1/stats?client_session_id=,
// exact as a conversation's figures are. Only the id is sent: the list's
// model is the one asked for and its From and Until are when calls began,
// where the statistics' model is the one that answered and their range is
// when calls ended.
async function clientSessionTotals(box, id) {
  let st;
  try {
    st = await api("/v1/stats" + qs({ client_session_id: id }));
  } catch (err) {
    clear(box).append(errorBox(err));
    return;
  }
  const t = st.statistics;
  clear(box).append(h("dl.kv",
    h("dt", "agent's session"), h("dd.mono.id", id),
    h("dt", "calls"), h("dd", { dataset: { clientSessionCalls: t.total_responses } }, f.int(t.total_responses) + " in all"),
    h("dt", "tokens"), h("dd", { dataset: { clientSessionTokens: t.total_tokens } },
      `${f.int(t.total_prompt_tokens)} prompt + ${f.int(t.total_completion_tokens)} completion = ${f.int(t.total_tokens)}`),
    h("dt", "errors"), h("dd", { dataset: { clientSessionErrors: t.errors } }, `${f.int(t.errors)} of ${f.count(t.total_responses, "call")} (${f.pct(t.error_rate)})`
      + (st.by_error_type.length ? ": " + st.by_error_type.map((e) => `${e.error_type} ${f.int(e.errors)}`).join(", ") : "")),
    h("dt", "duration"), h("dd", t.duration_ms.count ? `p50 ${f.ms(t.duration_ms.p50)} · p95 ${f.ms(t.duration_ms.p95)}` : "–"),
    h("dt", "first token"), h("dd", t.ttft_ms.count ? `p50 ${f.ms(t.ttft_ms.p50)} · p95 ${f.ms(t.ttft_ms.p95)}` : "–")));
}

// The error is beside the status: as the last column it began past the
// right edge of the table's box on every screen (the page is at most 1,400
// pixels wide, the columns 1,455), so a failed call's reason was cut off
// or scrolled out of sight. The path and whether it streamed (which the
// call's page shows) are .wide columns, left out of a window narrower than
// 1,200 pixels: at 1,024 the eleven columns were wider than the box, and
// its scroll bar, under fifty rows, out of sight.
const callColumns = ["time", "model", "path", "stream", "status", "error", "tokens", "duration", "first token", "attempts", "key"];
const wideColumns = new Set(["path", "stream"]);
// Numbers are right-aligned, and so are their headers: left-aligned, a
// header stood apart from its column's figures.
const numColumns = new Set(["tokens", "duration", "first token", "attempts"]);

export function callTable(items, fresh) {
  if (!items.length) return h("div.card.empty", "No calls match.");
  return h("div.tablewrap", h("table", { dataset: { table: "calls" } },
    h("thead", h("tr", callColumns.map((c) => h(wideColumns.has(c) ? "th.wide" : numColumns.has(c) ? "th.num" : "th", c)))),
    h("tbody", items.map((r) => callRow(r, fresh)))));
}

export function callRow(r, fresh) {
  const s = r.response_summary || {};
  return h("tr.click" + (fresh ? ".fresh" : ""), { dataset: { id: r.id }, onclick: () => { location.hash = "#/calls/" + r.id; } },
    h("td", h("a", { href: "#/calls/" + r.id }, f.time(r.timestamp))), modelCell(r.model, s.model), h("td.wide", r.path), h("td.wide", r.stream ? "yes" : "no"),
    h("td", s.status ? h("span.pill." + s.status, `${s.status} ${s.http_status}`) : "–"),
    h("td", s.error_type ? h("span.error", { title: s.error || "" }, s.error_type) : ""),
    h("td.num", f.int(s.total_tokens)), h("td.num", f.ms(s.duration_ms)), h("td.num", f.ms(s.ttft_ms)),
    h("td.num", s.status ? `${s.upstream_attempts}${s.new_chat_attempts ? " + " + s.new_chat_attempts + " new chat" : ""}` : "–"),
    h("td", keyCell(r.api_key_id)));
}

// keyCell names the proxy API key a call was made with (its id, never the
// key), a link to that key's calls; the row's own click opens the call.
function keyCell(id) {
  if (!id) return "–";
  return h("a.mono.id", { href: "#/calls" + qs({ api_key_id: id }), dataset: { key: id }, onclick: (e) => e.stopPropagation() }, id);
}

// MODEL_SHOWN is the characters of a model's name a table shows. A client
// names its model, up to 256 characters: one call under such a name made
// the column that wide on every row, the status and error out of sight.
const MODEL_SHOWN = 40;

// modelCell names the model a call asked for and, where it was another,
// the Qwen model that answered (which the overview's rows count by); a name
// cut short is whole on hover, and on the call's page.
function modelCell(asked, answered) {
  const names = answered && answered !== asked ? [asked, answered] : [asked];
  const whole = names.join(" → ");
  const shown = names.map((n) => f.short(n, MODEL_SHOWN)).join(" → ");
  return h("td", shown === whole ? null : { title: whole }, shown);
}

async function exportCalls(button, filters, format) {
  button.disabled = true;
  try {
    await download(qs({ ...filters, stream: filters.stream, format }));
    sayAfter(button, null);
  } catch (err) {
    sayAfter(button, err);
  } finally {
    button.disabled = false;
  }
}

// deleteBefore counts what a delete would remove, says so, deletes only
// once confirmed, and lists the calls again (the list went on showing the
// deleted ones, each a link to "request not found"). What fails is said
// beside the form, in place of what it said before, as the exports' are:
// put at the top of the page, each press stacked one more box there.
async function deleteBefore(main, params, form) {
  const typed = form.before.value.trim();
  // An age is one instant for the count and the delete: sent as typed to
  // both, the server read "30d" twice, the delete's later by the time the
  // question was read, and deleted the calls that aged past it meanwhile
  // too, more than the question said. The count's list says the instant it
  // read (end, Unix ms), and the delete is sent that.
  try {
    const counted = await api("/v1/requests" + qs({ end: typed, limit: 1 })).catch((err) => { throw asTyped(err); });
    const before = counted.end;
    sayAfter(form, null);
    // An age ends in its unit (30d, 1h30m); a date or a time does not.
    // A date or a time is read by the server (a plain date is midnight
    // UTC): named as typed, it said nothing of the instant in the browser's
    // zone, in New York 2026-12-05 is 7 PM the evening before.
    const named = /[a-zµμ]$/.test(typed) ? `${f.time(before)} (${typed} ago)` : `${typed} (${f.time(before)})`;
    if (!counted.total) {
      await confirmDialog(`No calls were recorded before ${named}: nothing to delete.`, "OK", { notice: true });
      return;
    }
    const all = await api("/v1/requests" + qs({ limit: 1 }));
    const everything = counted.total === all.total ? (all.total === 1 ? " That is the only recorded call." : " That is every recorded call.") : "";
    if (!(await confirmDialog(`Delete ${f.count(counted.total, "call")} recorded before ${named}?${everything} This cannot be undone.`))) return;
    const res = await (await request("/v1/requests" + qs({ before }), { method: "DELETE" })).json();
    // The first page, the address saying so: the cursor's call may be gone.
    params = new URLSearchParams(params);
    params.delete("after");
    params.delete("before");
    history.replaceState(null, "", "#/calls" + (params.size ? "?" + params : ""));
    await calls(main, params);
    // The form pressed went with the list it was on, the focus to the
    // body: what was deleted, at the top, has it, so a keyboard goes on
    // from there.
    const said = h("div.card", { role: "status", tabindex: "-1", dataset: { deleted: res.deleted } }, `Deleted ${f.count(res.deleted, "call")} recorded before ${f.time(res.before)}.`);
    main.prepend(said);
    said.focus();
  } catch (err) {
    // Once the list is shown again, its form is another: said at the top.
    if (form.isConnected) sayAfter(form, err);
    else main.prepend(errorBox(err));
  }
}

// asTyped names the field a refused time was typed in: the count asks with
// it as its end, and the server's "end: "bogus" is not …" named a parameter
// the page shows nowhere.
function asTyped(err) {
  if (err.param !== "end" || !err.message.startsWith("end: ")) return err;
  return new Error("Delete every call before: " + err.message.slice("end: ".length));
}

// call shows one call: what came in, what went upstream, what came back,
// the failed upstream attempts and the timing.
// A call in progress (found by its X-Request-Id, which a stream's client
// has from its first byte) is recorded when it ends: its page said "request
// not found". It says the call is in progress, and shows it once it ended
// (ended: polls since, in which its record may still be on its way).
// Whether the call runs is asked first, of the calls in progress (a 200
// whether it runs or not): its record was, and the browser logged the 404
// as a console error on every page of a call in progress. A call leaves
// that list once its record is queued, and the record's read waits for
// the queue, so a call not listed is recorded, or unknown.
export async function call(main, id, ended = 0) {
  clear(main).append(h("p", h("a", { href: listed }, "← Calls")), h("p.muted", "Loading…"));
  const wait = (running) => {
    const pending = h("div.card", { role: "status", dataset: { pending: id } }, running
      ? `This call is in progress on this instance (since ${f.time(running.started_at)}): a call is recorded when it ends, and shows here then.`
      : "This call has ended: its record is on its way, and shows here then.");
    main.lastChild.replaceWith(pending);
    awaitEnd(main, id, pending, ended);
  };
  const running = ended || /^\d+$/.test(id) ? null : await inProgress(id); // a number names a recorded call
  if (running) {
    wait(running);
    return;
  }
  let r;
  try {
    r = await apiExact("/v1/requests/" + encodeURIComponent(id));
  } catch (err) {
    if (err.code === "request_not_found" && ended > 0 && ended <= 5) wait(null);
    else main.lastChild.replaceWith(errorBox(err));
    return;
  }
  const s = r.response || {};
  const failures = s.upstream_errors ? s.upstream_errors.split("; ") : [];
  const kv = (pairs) => h("dl.kv", pairs.filter(Boolean).map(([k, v]) => [h("dt", k), h("dd", v)]));
  main.lastChild.replaceWith(h("div",
    h("h1", `Call ${r.id}`),
    h("div.bodies",
      h("div.card", h("h2", "Request"), kv([
        ["request id", h("span.mono.id", r.request_id)],
        ["time", f.time(r.timestamp)],
        ["route", `${r.method} ${r.path}`],
        ["model", r.model], s.model && s.model !== r.model ? ["answered by", s.model] : null,
        ["stream", r.stream ? "yes" : "no"],
        ["session", r.session_id ? h("a.mono.id", { href: "#/conversations/" + encodeURIComponent(r.session_id) }, r.session_id) : "–"],
        ["client", `${r.client_ip} · ${r.user_agent || "no user agent"}`],
        r.client_session_id ? ["agent's session", h("a.mono.id", { href: "#/calls" + qs({ client_session_id: r.client_session_id }) }, r.client_session_id)] : null,
        r.api_key_id ? ["API key", h("a.mono.id", { href: "#/calls" + qs({ api_key_id: r.api_key_id }) }, r.api_key_id)] : null,
        // The Qwen account that served it, which the overview counts by and
        // the lists filter by, but no page named: an operator who saw an
        // account fail could not tell which calls it had served.
        ["Qwen account", accountLink(r.account, "#/calls")],
        // The fields the call sent that had no effect (a seed, logit_bias):
        // recorded, but shown nowhere, so "why was my seed not honoured"
        // had no answer on the page.
        r.ignored_params && r.ignored_params.length
          ? ["ignored fields", h("span.mono", { dataset: { ignored: r.ignored_params.join(",") } }, r.ignored_params.join(", "))] : null])),
      h("div.card", h("h2", "Outcome and timing"), r.response ? kv([
        ["status", h("span.pill." + s.status, `${s.status} ${s.http_status}`)],
        ["finish reason", s.finish_reason || "–"],
        ["tokens", `${f.int(s.prompt_tokens)} prompt + ${f.int(s.completion_tokens)} completion = ${f.int(s.total_tokens)}`],
        ["first token", f.ms(s.ttft_ms)],
        ["duration", f.ms(s.duration_ms)],
        ["ended", f.time(s.timestamp)],
        ["completion attempts", String(s.upstream_attempts)],
        ["new-chat attempts", String(s.new_chat_attempts)],
        s.error ? ["error", h("span.error", `${s.error_type}: ${s.error}`)] : null,
        ["Qwen chat", s.chat_id ? h("span.mono.id", s.chat_id) : "–"]]) : h("p.muted", "No response was recorded."))),
    h("h2", "Failed upstream attempts"),
    failures.length ? h("ol.card", { dataset: { failures: failures.length } }, failures.map((x) => h("li.mono", x))) : h("p.muted", { dataset: { failures: 0 } }, noFailures(s)),
    h("h2", "Bodies"),
    h("div.bodies",
      body(`Client request (${clientForm(r.path)})`, r.openai_request),
      body("Upstream request (Qwen form)", r.qwen_request),
      body(`Client response (${clientForm(r.path)})`, s.openai_response),
      body("Upstream response (Qwen form)", s.qwen_response))));
}

// inProgress is the call in progress on this instance that id names, or null.
async function inProgress(id) {
  const uuid = requestUUID(id).toLowerCase();
  try {
    return (await api("/v1/requests/active")).data.find((c) => c.request_id.toLowerCase() === uuid) || null;
  } catch {
    return null;
  }
}

// requestUUID is the X-Request-Id an id of a call names: the id its client
// is answered with is made from it (chatcmpl-…, cmpl-…, msg_…, resp_…, and
// a Responses answer's or its input's item, fc_…, ws_…, a compaction's cmp_…, an Anthropic
// srvtoolu_…: read as the history's CallKey reads them); any other id as
// it is.
function requestUUID(id) {
  const dashed = /^(?:chat)?cmpl-([0-9a-f-]{36})$/i.exec(id);
  if (dashed) return dashed[1];
  const hex = /^(?:msg_([0-9a-f]{32})$|resp_([0-9a-f]{32})|(?:rs|msg|fc|ctc|ws|ig|fco|ctco|at|srvtoolu|cmp)_([0-9a-f]{32})(?:in)?\d+$)/i.exec(id);
  const x = hex ? hex[1] || hex[2] || hex[3] : "";
  return x ? `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}` : id;
}

// awaitEnd asks every 2 s, while pending, the page's note, is shown,
// whether the call still runs, and shows its page again once it does not.
function awaitEnd(main, id, pending, ended) {
  setTimeout(async () => {
    if (!pending.isConnected) return;
    const running = ended ? null : await inProgress(id);
    if (!pending.isConnected) return;
    if (running) awaitEnd(main, id, pending, 0);
    else call(main, id, ended + 1);
  }, 2000);
}

// noFailures says why a call lists no failed upstream attempt. Only retried
// attempts are listed: a call refused before Qwen was called (no usable
// account, shutting down) made none, and a call whose answer began and then
// failed (cut off, silent, an error event, the client gone) failed after Qwen
// took its attempt, so "every upstream attempt succeeded" was false for both.
function noFailures(s) {
  if (!s.status) return "None recorded.";
  if (!s.upstream_attempts && !s.new_chat_attempts) return "None: Qwen was not called.";
  if (s.status === "error") return "None was refused: the call failed after, as its outcome says.";
  return "None: every upstream attempt succeeded.";
}

// clientForm names the API a call's client spoke, whose form its bodies
// are recorded in (the history calls them openai_request and
// openai_response whatever the API).
function clientForm(path) {
  if (path.startsWith("/v1/messages")) return "Anthropic form";
  if (path.startsWith("/v1/responses")) return "Responses API form";
  return "OpenAI form";
}

function body(title, value) {
  return h("div.card", { dataset: { body: title } }, h("h3", title),
    value === undefined || value === null ? h("p.muted", "Not recorded.") : jsonTree(value));
}
