// The banner says, above every page, when the history is not what the pages
// make it look like: the database failing or gone (on SQLite the pages then
// read the file as it was), or the recorder holding calls it has not written.
// Only the Overview's Health card said so, and the Calls, Conversations and
// Live pages went on showing the history as if whole.

import { reach } from "./api.js";
import { clear } from "./dom.js";

const banner = document.getElementById("banner");
let asked = 0; // the newest question: an older answer is not shown over it

// checkHistory asks /health/detailed (no key: it is public) and shows the
// banner while its database or recorder check is not "ok".
export async function checkHistory() {
  const mine = ++asked;
  let checks;
  try {
    checks = (await (await reach("/health/detailed", { cache: "no-store" })).json()).checks || {};
  } catch {
    return; // a server that does not answer is said by the page itself
  }
  if (mine !== asked) return;
  const trouble = ["database", "recorder"].filter((k) => checks[k] && checks[k] !== "ok").map((k) => `${k}: ${checks[k]}`);
  clear(banner).append(trouble.length
    ? `The history may lack calls: ${trouble.join("; ")}.`
    : "");
  banner.hidden = !trouble.length;
}

export function hideBanner() {
  asked++;
  banner.hidden = true;
}
