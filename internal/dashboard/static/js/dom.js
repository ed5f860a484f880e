import { count } from "./format.js";

// h builds an element: h("td.num", {title: "x"}, "text", child, ...).
// Text always goes in as text nodes, so recorded content can never become
// markup.
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  // A child in the attributes' place (a count of 0 too: it was dropped).
  if (attrs !== undefined && attrs !== null && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// confirmDialog asks with the page's <dialog> and resolves true on Delete.
// A notice (nothing to delete) has one plain OK: it showed a Cancel beside
// a red OK, as if OK deleted something.
export function confirmDialog(text, okLabel = "Delete", { notice = false } = {}) {
  const dlg = document.getElementById("confirm");
  const ok = document.getElementById("confirmok");
  document.getElementById("confirmtext").textContent = text;
  ok.textContent = okLabel;
  ok.className = notice ? "" : "danger";
  dlg.querySelector('button[value="cancel"]').hidden = notice;
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true });
    dlg.returnValue = "";
    dlg.showModal();
  });
}

export function errorBox(err) {
  return h("div.card.error", { role: "alert" }, String(err && err.message ? err.message : err));
}

// sayAfter shows err in a box after el, in place of the one it showed there
// before, or, err null, removes that box: a failed export said so in one
// more box at each press, and a later export that worked left them all up.
export function sayAfter(el, err) {
  if (el.said) el.said.remove();
  el.said = err ? errorBox(err) : null;
  if (el.said) el.after(el.said);
}

// LONG is the characters of a text shown before "show all": a body's or a
// message's multi-megabyte string (a pasted file, a long prompt) made a page
// hundreds of thousands of pixels tall, what follows it out of reach.
const LONG = 4000;

// clipped is h(spec, text), cut at LONG characters with a button for the
// rest, the two in a wrap element. Its direction is its text's own
// (dir="auto"): recorded text in Arabic or Hebrew read left to right, its
// punctuation and numbers out of place, and the text is isolated, so a
// direction override in it (U+202E) cannot reach what follows.
export function clipped(spec, text, wrap = "span") {
  if (text.length <= LONG) return h(spec, { dir: "auto" }, text);
  const shown = h(spec, { dir: "auto" }, text.slice(0, LONG) + "…");
  const more = h("button.secondary.more", { type: "button", onclick: () => {
    shown.textContent = text;
    // The button pressed goes, and took the focus to the body with it: the
    // text it showed has it, so a keyboard reads on from there.
    shown.tabIndex = -1;
    shown.focus();
    more.remove();
  } }, `show all (${count(text.length - LONG, "more character", "more characters")})`);
  return h(wrap, shown, " ", more);
}

// A form or a button that draws its page anew (a filter's Filter or
// Search, an overview's range, Show, Refresh) took the focus away with the
// page it was on: the focus went to the body, and a keyboard's next Tab
// began at the top of the page (the pager's links keep theirs, see pager).
// keepFocus notes the control that has the focus, by a selector the new
// page's own control matches (the field Enter was pressed in, else the
// form's submit button, or the button pressed); refocus, called by the page
// once its controls are in place, gives that control the focus.
let refocusing = "";

export function keepFocus(scope, fallback) {
  const el = document.activeElement;
  if (el && scope.contains(el) && el.name && el.tagName !== "BUTTON") refocusing = `${scopeOf(scope)} [name="${el.name}"]`;
  else refocusing = fallback;
}

// scopeOf is a selector for a form by its data-form name.
function scopeOf(form) {
  return form.dataset.form ? `[data-form="${form.dataset.form}"]` : "form";
}

export function refocus(root) {
  const wanted = refocusing;
  refocusing = "";
  const el = wanted ? root.querySelector(wanted) : null;
  if (el) el.focus();
}
