import { h, clipped } from "./dom.js";

// jsonTree renders a value as collapsible, formatted JSON: objects and arrays
// fold (the outer levels open), scalars are coloured by type.
export function jsonTree(value, openDepth = 2) {
  return h("div.json", node(null, value, 0, openDepth, true));
}

// ExactNumber is a number of a recorded body as it was written, where a
// JavaScript number would show it otherwise: an id past 2^53
// (1234567890123456789 read as 1234567890123456800), 1.50 as 1.5.
export class ExactNumber {
  constructor(source) { this.source = source; }
  toString() { return this.source; }
  valueOf() { return Number(this.source); }
}

// parseExact is JSON.parse keeping each number whose text a JavaScript
// number would not give back as an ExactNumber (the reviver's source text:
// JSON.parse source text access, Chromium 114 and later; elsewhere numbers
// are read as JSON.parse reads them).
export function parseExact(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" && context && typeof context.source === "string" && String(value) !== context.source
      ? new ExactNumber(context.source) : value);
}

function scalar(v) {
  if (v === null) return h("span.lit", "null");
  if (v instanceof ExactNumber) return h("span.num", v.source);
  switch (typeof v) {
    case "string": return clipped("span.str", JSON.stringify(v));
    case "number": return h("span.num", String(v));
    case "boolean": return h("span.lit", String(v));
  }
  return h("span", String(v));
}

function node(key, v, depth, openDepth, last) {
  const label = key === null ? [] : [h("span.key", JSON.stringify(key)), ": "];
  const comma = last ? "" : ",";
  if (v === null || typeof v !== "object" || v instanceof ExactNumber) return h("div.line", label, scalar(v), comma);
  const isArray = Array.isArray(v);
  const entries = isArray ? v.map((x, i) => [i, x]) : Object.entries(v);
  const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return h("div.line", label, open + close, comma);
  const n = entries.length;
  const count = isArray ? `${n} ${n === 1 ? "item" : "items"}` : `${n} ${n === 1 ? "key" : "keys"}`;
  const d = h("details", { open: depth < openDepth },
    h("summary", label, open, h("span.fold.muted", " … " + count + " " + close + comma)));
  // Children are built when first opened: a large body stays cheap.
  const fill = () => {
    if (d.dataset.filled) return;
    d.dataset.filled = "1";
    entries.forEach(([k, x], i) => d.append(node(isArray ? null : k, x, depth + 1, openDepth, i === entries.length - 1)));
    d.append(h("div.line", close + comma));
  };
  if (d.open) fill();
  else d.addEventListener("toggle", fill, { once: true });
  return d;
}
