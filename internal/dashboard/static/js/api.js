// The history API, with the key the person typed. The key lives in
// sessionStorage and leaves only as an Authorization header: never in a URL,
// which is why downloads and live updates use fetch too.

const KEY = "qwenproxy.key";

export const getKey = () => sessionStorage.getItem(KEY) || "";
export const setKey = (k) => (k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY));

export class APIError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

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
  return new APIError(resp.status, e.message || resp.statusText || "request failed", e.code || "");
}

// reach is fetch, with a server that cannot be reached said as such: the
// browser's own words for it, "Failed to fetch", left the person to guess
// that qwenproxy had stopped.
export async function reach(path, init) {
  try {
    return await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new APIError(0, `qwenproxy did not answer at ${new Date().toLocaleTimeString()}: it is stopped or unreachable.`, "unreachable");
  }
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

// qs builds a query from the non-empty values of params.
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

// download fetches path with the key and saves the body as a file.
export async function download(path, filename) {
  const resp = await request(path);
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return blob.size;
}

// health reads /health (public): which key the history needs.
export async function keyState() {
  const resp = await reach("/health", { cache: "no-store" });
  const body = await resp.json();
  return body.api_keys || "none";
}
