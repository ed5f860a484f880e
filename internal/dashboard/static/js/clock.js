// The server's clock, as the browser can know it: every answer's Date
// header (whole seconds) against the browser's own clock. Times the pages
// ask the history for ("the last five minutes", "the last day") and "… ago"
// are the server's: a browser whose clock was off by more than Live's window
// asked for calls that had not happened yet and showed none, ever.

// Offsets within a few seconds are the header's rounding and the answer's
// way back, not a wrong clock: left at zero.
const SLACK = 5000;

let offset = 0; // server − browser, in ms

// noteServerDate reads an answer's Date header.
export function noteServerDate(resp) {
  const date = Date.parse(resp.headers.get("Date") || "");
  if (Number.isNaN(date)) return;
  const off = date + 500 - Date.now(); // the header drops the milliseconds
  offset = Math.abs(off) > SLACK ? off : 0;
}

// now is the server's time, in ms since the epoch.
export function now() {
  return Date.now() + offset;
}
