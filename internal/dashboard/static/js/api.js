// The history API, with the key the person typed. The key lives in
// sessionStorage and leaves only as an Authorization header: never in a URL,
// which is why live updates use fetch too, and downloads a one-time ticket.

import { noteServerDate, now } from "./clock.js";
import { time } from "./format.js";
import { parseExact } from "./json.js";

const KEY = "qwenproxy.key";

export const getKey = () => sessionStorage.getItem(KEY) || "";
export const setKey = (k) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY));

export class APIError extends Error {
  constructor(status, message, code, param = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param; // the query parameter the server refused, if it names one
  }
}

// asField names a refused filter by its field's label: the server names the
// query parameter ("start: \"yesterday\" is not …"), which the Calls and
// Conversations pages show nowhere (their fields are From and Until).
export function asField(err, labels) {
  const label = err && err.param ? labels[err.param] : "";
  if (!label || !err.message.startsWith(err.param + ": ")) return err;
  return new APIError(err.status, label + ": " + err.message.slice(err.param.length + 2), err.code, err.param);
}

// timeFields are the lists' labels of the history API's time filters.
export const timeFields = { start: "From", end: "Until" };

let onAuthFailure = () => {};
export const setAuthFailureHandler = (f) => { onAuthFailure = f; };

function headers() {
  const h = { Accept: "application/json" };
  const key = getKey();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function failure(resp) {
  let body = null;
  try { body = await resp.json(); } catch { /* not JSON */ }
  const e = body && body.error ? body.error : {};
  return new APIError(resp.status, e.message || resp.statusText || "request failed", e.code || "", e.param || "");
}

// reach is fetch, with a server that cannot be reached said as such: the
// browser's own words for it, "Failed to fetch", left the person to guess
// that qwenproxy had stopped. Every answer tells the server's clock.
export async function reach(path, init) {
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    // With its zone, as every time the pages show.
    throw new APIError(0, `qwenproxy did not answer at ${time(now())}: it is stopped or unreachable.`, "unreachable");
  }
  noteServerDate(resp);
  return resp;
}

// request sends one call and returns the Response; a refused key sends the
// person back to the key prompt.
export async function request(path, { method = "GET", signal } = {}) {
  const resp = await reach(path, { method, headers: headers(), signal, cache: "no-store" });
  if (resp.status === 401 || resp.status === 403) {
    const err = await failure(resp);
    onAuthFailure(err);
    throw err;
  }
  if (!resp.ok) throw await failure(resp);
  return resp;
}

export async function api(path, opts) {
  return (await request(path, opts)).json();
}

// apiExact is api with the numbers of recorded bodies shown as written
// (parseExact): a call's bodies are shown as they are stored.
export async function apiExact(path, opts) {
  return parseExact(await (await request(path, opts)).text());
}

// qs builds a query from the non-empty values of params.
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

// download saves the export of query (GET /v1/export's, and optionally the
// file's name) as a file, streamed by the browser to disk: the key asks for
// a one-time ticket (POST /v1/export/tickets), and a plain link to the
// ticket's URL, which names no key, downloads it. Fetching the export here
// held it whole in the tab's memory, and a year of calls killed the tab.
// The file's name is the server's (Content-Disposition), which a link's
// download attribute cannot override.
export async function download(query) {
  const { url } = await (await request("/v1/export/tickets" + query, { method: "POST" })).json();
  const a = document.createElement("a");
  a.href = url;
  a.download = "";
  document.body.append(a);
  a.click();
  a.remove();
}

// health reads /health (public): which key the history needs.
export async function keyState() {
  const resp = await reach("/health", { cache: "no-store" });
  const body = await resp.json();
  return body.api_keys || "none";
}
