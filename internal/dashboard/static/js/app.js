import { getKey, setKey, keyState, api, setAuthFailureHandler } from "./api.js";
import { h, clear, errorBox } from "./dom.js";
import { destroyCharts } from "./charts.js";
import { overview, stopOverview } from "./overview.js";
import { conversations, conversation } from "./conversations.js";
import { calls, call } from "./calls.js";
import { liveView, stopLive } from "./live.js";
import { checkHistory, hideBanner } from "./banner.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const prompt = document.getElementById("keyprompt");
const signout = document.getElementById("signout");
let needed = "none"; // which key the history needs: none, any or admin

// Nothing is shown, and nothing asked of the history, until the key (where
// keys exist) has been accepted.
function ask(message) {
  destroyCharts();
  stopLive();
  stopOverview();
  clear(main);
  hideBanner();
  nav.hidden = true;
  signout.hidden = true;
  document.getElementById("keywhy").textContent = needed === "admin"
    ? "This qwenproxy has admin keys: its history is shown only with an admin key."
    : "This qwenproxy has API keys: its history is shown only with one.";
  keyError(message);
  prompt.hidden = false;
  document.getElementById("keyinput").focus();
}

// keyError says why the prompt is asked again, or nothing.
function keyError(message) {
  const err = document.getElementById("keyerror");
  err.textContent = message || "";
  err.hidden = !message;
}

setAuthFailureHandler((e) => {
  setKey("");
  ask(e.status === 403 ? "That key is not an admin key: " + e.message : "That key was refused: " + e.message);
});

document.getElementById("keyform").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = document.getElementById("keyinput");
  const typed = input.value.trim();
  input.value = "";
  const odd = unsendable(typed);
  if (odd) {
    // fetch refuses such a header before sending it, which read as
    // "qwenproxy did not answer: it is stopped or unreachable".
    setKey("");
    keyError(`That key cannot be sent: it holds ${odd}, which no HTTP header can carry (pasted with the key?).`);
    return;
  }
  setKey(typed);
  try {
    await api("/v1/requests?limit=1&count=false"); // an admin route: proves the key
  } catch (err) {
    if (err.status === 401 || err.status === 403) return; // the failure handler has asked again
    // The key could not be tried (the server stopped, its database
    // failing): said here, the key not kept, as it is not known to be
    // good. Said nowhere, the button did nothing.
    setKey("");
    keyError("The key could not be checked: " + err.message);
    return;
  }
  prompt.hidden = true;
  route();
});

// unsendable names the first character of key that an Authorization header
// cannot carry (a zero-width space, a typographic quote: what a key copied
// from a chat or a document brings along), or "".
function unsendable(key) {
  for (let i = 0; i < key.length; i++) {
    const c = key.codePointAt(i);
    if (c < 0x20 || c === 0x7f || c > 0xff) {
      return `U+${c.toString(16).toUpperCase().padStart(4, "0")} (character ${i + 1})`;
    }
  }
  return "";
}

signout.addEventListener("click", () => {
  setKey("");
  ask("");
});

async function route() {
  if (needed !== "none" && !getKey()) {
    ask("");
    return;
  }
  prompt.hidden = true;
  nav.hidden = false;
  signout.hidden = needed === "none";
  destroyCharts();
  stopLive();
  stopOverview();
  checkHistory();
  const [path, query] = (location.hash.slice(1) || "/overview").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const page = parts[0] || "overview";
  // The page shown is marked for a screen reader too, not by colour alone.
  for (const a of nav.querySelectorAll("a")) {
    a.classList.toggle("active", a.dataset.page === page);
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  // A call's or a conversation's page is named as such (the tab, a screen
  // reader, the browser's history): each said "qwenproxy · calls", as the
  // list did.
  const one = { calls: "call", conversations: "conversation" }[page];
  document.title = one && parts[1] ? `qwenproxy · ${one} ${parts[1]}` : `qwenproxy · ${page}`;
  const shown = ++routed;
  try {
    switch (page) {
      case "conversations":
        await (parts[1] ? conversation(main, parts[1]) : conversations(main, params));
        break;
      case "calls":
        await (parts[1] ? call(main, parts[1]) : calls(main, params));
        break;
      case "live":
        await liveView(main);
        break;
      default:
        await overview(main, params);
    }
  } catch (err) {
    if (!prompt.hidden) return;
    clear(main).append(errorBox(err));
  }
  if (shown === routed) focusHeading();
}

let routed = 0; // the newest page asked for: an older one's end moves no focus

// focusHeading gives the page's heading the focus where nothing has it: a
// link followed from the page (a call's row, "← Calls", a conversation)
// went with the page it was on, the focus to the body, and a keyboard's
// next Tab began at the top, the menu, before the page it had opened.
function focusHeading() {
  const el = document.activeElement;
  if (el && el !== document.body && el.isConnected) return;
  const heading = main.querySelector("h1");
  if (!heading || !prompt.hidden) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);

(async () => {
  try {
    needed = await keyState();
  } catch (err) {
    main.append(errorBox(err));
    return;
  }
  route();
})();
