// The server's clock, as the browser can know it: every answer's Date
// header (whole seconds) against the browser's own clock. Times the pages
// ask the history for ("the last five minutes", "the last day") and "… ago"
// are the server's: a browser whose clock was off by more than Live's window
// asked for calls that had not happened yet and showed none, ever.

// Offsets within a few seconds are the header's rounding and the answer's
// way back, not a wrong clock: left at zero.
const SLACK = 5000;

let offset = 0; // server − browser, in ms
let known = false; // an answer has told the server's time

// noteServerDate reads an answer's Date header: every answer's, the public
// /health's and /health/detailed's too. Only the history's were read, and
// a page loaded with its key kept (a reload) or on a server without keys
// planned the Overview's range before any of those came back: by the
// browser's clock.
export function noteServerDate(resp) {
  const date = Date.parse(resp.headers.get("Date") || "");
  if (Number.isNaN(date)) return;
  const off = date + 500 - Date.now(); // the header drops the milliseconds
  offset = Math.abs(off) > SLACK ? off : 0;
  known = true;
}

// synced resolves once the server's time is known, asking the public
// /health when no answer has told it yet. A page works out a window from
// now only after it: a server that does not answer leaves the browser's
// clock, and the page's own query says the server is unreachable.
export async function synced() {
  if (known) return;
  try {
    noteServerDate(await fetch("/health", { cache: "no-store" }));
  } catch { /* said by the page's own query */ }
}

// now is the server's time, in ms since the epoch.
export function now() {
  return Date.now() + offset;
}

// latest is the latest the server's time can be: now() is the middle of the
// Date header's second, and the server may be up to half a second past it.
// A range that ends now ends there, so that it holds every call answered
// before the page asked: ended at now(), a call made in the half second
// before a page loaded could fall after its end and go uncounted.
export function latest() {
  return now() + (offset ? 500 : 0);
}
