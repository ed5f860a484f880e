import { api, qs, request, download, asField, timeFields } from "./api.js";
import { h, clear, errorBox, confirmDialog, clipped, sayAfter, keepFocus, refocus } from "./dom.js";
import { parseExact, ExactNumber } from "./json.js";
import * as f from "./format.js";
import { accountLink } from "./links.js";

const filterNames = ["search", "model", "account", "api_key_id", "start", "end", "sort"];

// The orders the list offers, newest or most first. By when a conversation
// began alone, the one an agent is still working in, begun yesterday, sat
// pages down under the day's newer ones.
const sorts = [["", "started"], ["last_accessed", "last used"], ["message_count", "turns"]];

// listed is the address of the list last shown, search and page, where a
// conversation's "← Conversations" leads back (as the Calls page's does).
let listed = "#/conversations";

// conversations lists sessions, newest first (or by last use, or by turns),
// a keyset page at a time. The filters and the order are in the page's
// address, as the Calls page's are: kept in the page alone, a later page
// reloaded or shared lost them but kept its cursor.
export async function conversations(main, params) {
  const filters = Object.fromEntries(filterNames.map((k) => [k, params.get(k) || ""]));
  const cursor = { after: params.get("after") || "", before: params.get("before") || "" };
  listed = "#/conversations" + qs({ ...filters, ...cursor });
  const form = h("form.row.card", { dataset: { form: "conversations" },
    onsubmit: (e) => {
      e.preventDefault();
      const next = {};
      for (const k of filterNames) next[k] = e.target[k].value.trim();
      keepFocus(e.target, '[data-form="conversations"] button[type="submit"]');
      const hash = "#/conversations" + qs(next);
      // The same search again changes no address: list it anew all the same.
      if (location.hash === hash) conversations(main, new URLSearchParams(qs(next)));
      else location.hash = hash;
    },
  },
  h("label", "First message contains", h("input", { name: "search", value: filters.search, type: "search" })),
  // A conversation's model is the Qwen model its chat is on, without the
  // variant or the name the client asked for (qwq-32b, not
  // qwq-32b-thinking-search; qwen3-max for gpt-4o).
  h("label", "Model", h("input", { name: "model", value: filters.model, placeholder: "Qwen model, e.g. qwen3-max" })),
  h("label", "Account", h("input", { name: "account", value: filters.account, placeholder: "Qwen account" })),
  h("label", "API key", h("input", { name: "api_key_id", value: filters.api_key_id, placeholder: "key id: key-…, env-…" })),
  h("label", "From", h("input", { name: "start", value: filters.start, placeholder: "2h, 7d, 2026-05-01…" })),
  h("label", "Until", h("input", { name: "end", value: filters.end, placeholder: "now" })),
  h("label", "Sort by", h("select", { name: "sort" },
    sorts.map(([v, t]) => h("option", { value: v, selected: filters.sort === v }, t)))),
  h("button", { type: "submit" }, "Search"));
  const list = h("div", h("p.muted", "Loading…"));
  clear(main).append(h("h1", "Conversations"), form, list);
  refocus(main);
  try {
    const order = filters.sort ? "desc" : "";
    const page = await api("/v1/sessions" + qs({ ...filters, order, ...cursor, limit: 50, count: "false" }));
    clear(list).append(table(page), pager("#/conversations" + qs(filters), page));
  } catch (err) {
    clear(list).append(errorBox(asField(err, timeFields)));
  }
}

function table(page) {
  if (!page.data.length) return h("div.card.empty", "No conversations match.");
  return h("div.tablewrap", h("table", { dataset: { table: "sessions" } },
    h("thead", h("tr", ["first message", "model", "turns", "started", "last used"].map((c) => h(c === "turns" ? "th.num" : "th", c)))),
    h("tbody", page.data.map((s) => h("tr.click", { dataset: { id: s.id }, onclick: () => { location.hash = "#/conversations/" + encodeURIComponent(s.id); } },
      h("td.wrap", h("a", { href: "#/conversations/" + encodeURIComponent(s.id), dir: "auto" }, f.short(s.first_user_message, 120) || "(no text)")),
      h("td", s.model), h("td.num", s.message_count), h("td", f.time(s.created_at)), h("td", f.time(s.last_accessed)))))));
}

export function pager(base, page) {
  const sep = base.includes("?") ? "&" : "?";
  // The link followed had the focus, and went with the page it was on: a
  // keyboard's next Tab began at the top of the page, a whole form and
  // table before the next "older →". The new page's link (or, at an end,
  // the other) takes it.
  const wanted = pagerFocus;
  pagerFocus = "";
  const link = (which, href, text) => h("a", { href, dataset: { page: which },
    onclick: (e) => { pagerFocus = document.activeElement === e.currentTarget ? which : ""; } }, text);
  const links = [
    page.prev_cursor && /[?&](after|before)=/.test(location.hash) ? link("prev", base + sep + "before=" + encodeURIComponent(page.prev_cursor), "← newer") : null,
    page.next_cursor ? link("next", base + sep + "after=" + encodeURIComponent(page.next_cursor), "older →") : null].filter(Boolean);
  const focus = links.find((a) => a.dataset.page === wanted) || links[0];
  if (wanted && focus) queueMicrotask(() => focus.focus()); // once the caller has put the pager in the page
  return h("div.pager", ...links, h("span.muted", page.data.length + " shown"));
}

// pagerFocus is the pager link ("prev", "next") that had the focus when
// followed, for the next page's pager.
let pagerFocus = "";

// conversation shows one session as the chat it was.
export async function conversation(main, id) {
  const head = h("div", h("p.muted", "Loading…"));
  const chat = h("div.chat");
  const more = h("div");
  clear(main).append(h("p", h("a", { href: listed }, "← Conversations")), head, chat, more);
  // Whether it is recorded yet is asked first, of answers that are a 200
  // either way (the calls in progress, its recorded calls): the session
  // was, and the browser logged its 404 and its statistics' as console
  // errors on the page of every conversation whose first call ran. A call
  // leaves the calls in progress once its record (after its session's) is
  // queued, and the list of calls waits for the queue: a session none of
  // whose calls runs is recorded, or unknown.
  const running = await firstCall(id);
  if (running && !(await hasCalls(id))) {
    const pending = h("div.card", { role: "status", dataset: { pending: running.request_id } },
      `This conversation's first call is in progress (since ${f.time(running.started_at)}): a conversation is recorded when its first call ends, and shows here then.`);
    clear(head).append(pending);
    awaitRecorded(main, id, pending);
    return;
  }
  let s, st;
  try {
    [s, st] = await Promise.all([api("/v1/sessions/" + encodeURIComponent(id)), api("/v1/sessions/" + encodeURIComponent(id) + "/stats")]);
  } catch (err) {
    clear(head).append(errorBox(err));
    return;
  }
  const t = st.statistics;
  clear(head).append(h("h1", { dir: "auto" }, f.short(s.first_user_message, 90) || "Conversation"),
    h("div.card", h("dl.kv",
      h("dt", "session"), h("dd.mono.id", s.id), h("dt", "model"), h("dd", s.model),
      h("dt", "turns"), h("dd", s.message_count), h("dt", "calls"), h("dd", s.request_count),
      h("dt", "started"), h("dd", f.time(s.created_at)), h("dt", "last used"), h("dd", f.time(s.last_accessed)),
      h("dt", "Qwen chat"), h("dd.mono.id", s.chat_id),
      h("dt", "Qwen account"), h("dd", accountLink(s.account, "#/conversations")),
      // The agent's own session it was opened under: its calls, this
      // conversation's and its subagents' or compacted sequel's, and what
      // they cost together (the Calls page's card).
      ...(s.client_session_id ? [h("dt", "agent's session"), h("dd", h("a.mono.id", { href: "#/calls" + qs({ client_session_id: s.client_session_id }),
        dataset: { clientSession: s.client_session_id } }, s.client_session_id))] : []),
      // The whole conversation's figures (exact), the sum of its turns'.
      h("dt", "tokens"), h("dd", { dataset: { sessionTokens: t.total_tokens } },
        `${f.int(t.total_prompt_tokens)} prompt + ${f.int(t.total_completion_tokens)} completion = ${f.int(t.total_tokens)}`),
      h("dt", "errors"), h("dd", { dataset: { sessionErrors: t.errors } }, `${f.int(t.errors)} of ${f.count(t.total_responses, "call")} (${f.pct(t.error_rate)})`),
      h("dt", "duration"), h("dd", t.duration_ms.count ? `p50 ${f.ms(t.duration_ms.p50)} · p95 ${f.ms(t.duration_ms.p95)}` : "–"),
      h("dt", "first token"), h("dd", t.ttft_ms.count ? `p50 ${f.ms(t.ttft_ms.p50)} · p95 ${f.ms(t.ttft_ms.p95)}` : "–")),
    h("div.row",
      h("a", { href: "#/calls?session_id=" + encodeURIComponent(s.id) }, "its calls"),
      h("button.secondary", { type: "button", onclick: (e) => exportSession(e.target, s.id) }, "Export JSONL"),
      h("button.danger", { type: "button", onclick: (e) => removeSession(main, s, e.target) }, "Delete conversation"))));
  const load = async (after) => {
    // Load more turns went with its press, and the focus to the body with
    // it: a keyboard that pressed it reads on at the first turn it loads.
    const pressed = more.contains(document.activeElement);
    clear(more).append(h("p.muted", "Loading…"));
    try {
      const page = await api(`/v1/sessions/${encodeURIComponent(id)}/transcript` + qs({ limit: 50, after, count: "false" }));
      for (const [i, t] of page.data.entries()) {
        const els = turn(t);
        chat.append(...els);
        if (i === 0 && pressed) {
          els[0].tabIndex = -1;
          els[0].focus();
        }
      }
      clear(more);
      if (page.has_more) more.append(h("button.secondary", { type: "button", onclick: () => load(page.next_cursor) }, "Load more turns"));
    } catch (err) {
      clear(more).append(errorBox(err));
    }
  };
  await load("");
}

// firstCall is a call in progress on this instance of session id, or null:
// a conversation is recorded when its first call ends, and the Live page
// links to it before (it said "session not found").
async function firstCall(id) {
  try {
    return (await api("/v1/requests/active")).data.find((c) => c.session_id === id) || null;
  } catch {
    return null;
  }
}

// hasCalls says whether a call of session id is recorded (the session is
// written before its call); true when the history cannot say, so the
// session's own read says why.
async function hasCalls(id) {
  try {
    return (await api("/v1/requests" + qs({ session_id: id, limit: 1, count: "false" }))).data.length > 0;
  } catch {
    return true;
  }
}

// awaitRecorded shows the conversation once a call of it is recorded (the
// session is written before its call), asking every 2 s while pending, the
// page's note, is shown (not once another page, the key prompt or the page
// again is) and the call runs, or has just ended: a call ended 10 s without
// its record shows the page again, which then says what it finds.
function awaitRecorded(main, id, pending, ended = 0) {
  setTimeout(async () => {
    if (!pending.isConnected) return;
    let recorded = false, running = true;
    try {
      recorded = (await api("/v1/requests" + qs({ session_id: id, limit: 1, count: "false" }))).data.length > 0;
      if (!recorded) running = Boolean(await firstCall(id));
    } catch { /* asked again */ }
    if (!pending.isConnected) return;
    ended = running ? 0 : ended + 1;
    if (recorded || ended > 5) conversation(main, id);
    else awaitRecorded(main, id, pending, ended);
  }, 2000);
}

async function exportSession(button, id) {
  button.disabled = true;
  try {
    // A file name the server takes: a session id may hold ':'.
    await download(qs({ session_id: id, format: "jsonl", filename: `conversation-${id.replace(/[^A-Za-z0-9._-]/g, "_")}.jsonl` }));
    sayAfter(button, null);
  } catch (err) {
    // Said beside the button, as the Calls page's exports do: uncaught, a
    // failed export showed nothing.
    sayAfter(button, err);
  } finally {
    button.disabled = false;
  }
}

// removeSession deletes conversation s once confirmed; a failure is said
// beside its button, once however often it is pressed (put at the top of
// the page, each press stacked one more box there).
async function removeSession(main, s, button) {
  if (!(await confirmDialog(`Delete this conversation and its ${f.count(s.request_count, "call")}? This cannot be undone.`))) return;
  try {
    await request("/v1/sessions/" + encodeURIComponent(s.id), { method: "DELETE" });
    // Back to the list it was opened from, as "← Conversations" leads (it
    // led to every conversation, the search and the page dropped).
    const back = h("a", { href: listed }, "Back to conversations");
    clear(main).append(h("div.card", { role: "status" }, `Deleted the conversation and its ${f.count(s.request_count, "call")}. `, back));
    // The button pressed went with the page, the focus to the body: the
    // way back has it.
    back.focus();
  } catch (err) {
    sayAfter(button, err);
  }
}

// turn renders one call: its new messages, its answer, and its figures.
function turn(t) {
  const out = t.input.map(message);
  if (!t.bodies) out.push(h("div.msg.system", h("div.text.muted", "(recorded without bodies)")));
  const cut = (body) => (t.truncated || []).includes(body)
    ? h("div.msg.system", h("div.text.muted", `(the ${body} was stored cut, over RECORD_MAX_BODY_BYTES: its messages are not in the history)`)) : null;
  if (cut("request")) out.push(cut("request"));
  if (t.output) out.push(message(t.output));
  if (cut("response")) out.push(cut("response"));
  // A retry or regenerate (the same previous_response_id, or a
  // conversation sent again), or another question asked in the last turn's
  // place, replaces the latest answer: the two are not turns in sequence.
  const note = (text, data) => h("div.msg.system", { dataset: data }, h("div.text.muted", text));
  if (t.replaced_by) out.push(note("(this answer was replaced: the turn was asked again, and the conversation goes on from the answer that follows)", { replacedBy: t.replaced_by }));
  if (t.regenerates) out.unshift(note("(asked again in place of the answer above: a retry or regenerate, or another question in its place)", { regenerates: t.regenerates }));
  const meta = h("div.turnmeta", { dataset: { turn: t.id } },
    h("a", { href: "#/calls/" + t.id }, "call " + t.id),
    h("span", f.time(t.timestamp)),
    t.status ? h("span.pill." + t.status, `${t.status} ${t.http_status}`) : h("span.pill", "no response"),
    h("span", `${f.int(t.prompt_tokens)} + ${f.int(t.completion_tokens)} tokens`),
    h("span", "duration " + f.ms(t.duration_ms)),
    h("span", "first token " + f.ms(t.ttft_ms)),
    t.error ? h("span.error", (t.error_type ? t.error_type + ": " : "") + t.error) : null);
  out.push(meta);
  return out;
}

function message(m) {
  const role = m.role === "tool" ? (m.is_error ? "tool result (failed)" : "tool result") : m.role;
  // An item of a Conversations API conversation, sent before the request's
  // input: it is in no request body, so the call's page does not show it.
  const from = m.from_conversation ? { from: "conversation" } : {};
  return h("div.msg." + (m.role || "assistant"), { dataset: { role: m.role, ...from } },
    h("div.role", role + (m.name ? " · " + m.name : ""), m.tool_call_id ? h("span.muted.mono", " · " + m.tool_call_id) : null,
      m.from_conversation ? h("span.muted", " · conversation item") : null),
    m.reasoning ? h("details.reasoning", h("summary", `Reasoning (${f.count(m.reasoning.length, "character")})`), h("div.text", { dir: "auto" }, m.reasoning)) : null,
    m.content ? clipped("div.text", m.content, "div") : null,
    (m.tool_calls || []).map((c) => h("div.toolcall", { dataset: { tool: c.name } },
      h("div", "→ calls ", h("span.name", c.name), h("span.muted", " · " + c.id)),
      // Cut as a message is: a coding agent's file write is its whole
      // file, and a 200 KB one made the conversation 27,000 pixels tall.
      clipped("pre.mono", c.custom ? c.arguments : pretty(c.arguments), "div"))));
}

// pretty indents a tool call's JSON arguments with each number as the model
// wrote it: read as JavaScript numbers, an id of 1234567890123456789 showed
// as 1234567890123456800 and a price of 1.50 as 1.5, not what the tool got.
function pretty(args) {
  try {
    return JSON.stringify(parseExact(args), asWritten, 2);
  } catch {
    return args;
  }
}

// asWritten puts an ExactNumber back as its own text (JSON.rawJSON, which
// the browsers that give parseExact a number's text have too).
function asWritten(key, value) {
  if (!(value instanceof ExactNumber)) return value;
  return typeof JSON.rawJSON === "function" ? JSON.rawJSON(value.source) : Number(value.source);
}
