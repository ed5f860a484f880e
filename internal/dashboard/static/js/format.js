import * as clock from "./clock.js";

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const dtf = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});

// time shows a Unix-ms time in the browser's zone, with the zone.
export const time = (ms) => (ms ? dtf.format(new Date(ms)) : "–");

const dayOf = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit" });
const clockOf = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });

// span shows [a, b) in the browser's zone, with the zone; b's date is left
// out on a's day ("12/06/2026, 06:56:37 PM UTC – 07:00:00 PM UTC").
export function span(a, b) {
  const to = dayOf.format(new Date(a)) === dayOf.format(new Date(b)) ? clockOf.format(new Date(b)) : time(b);
  return `${time(a)} – ${to}`;
}
export const zoneName = zone;

const zoneOf = (ms) => clockOf.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName").value;

// zonesOf names the zone times between a and b are shown in, as every time
// is ("UTC", "EST"), or both names where the zone changes between them
// ("EDT/EST", a week across the end of summer time).
export function zonesOf(a, b) {
  const [first, last] = [zoneOf(a), zoneOf(b)];
  return first === last ? first : `${first}/${last}`;
}

export function ms(v) {
  if (v === null || v === undefined) return "–";
  if (v < 10) return v.toFixed(2) + " ms";
  if (v < 1000) return v.toFixed(1) + " ms";
  return (v / 1000).toFixed(2) + " s";
}

// pctl shows a percentile of a {count, p50, p95} summary, "–" when it
// summarises no call: the statistics give 0 then, which read as a
// duration of 0 ms.
export function pctl(d, k) {
  return d && d.count ? ms(d[k]) : "–";
}

export function int(v) {
  return v === null || v === undefined ? "–" : Number(v).toLocaleString();
}

// count says n of a thing, in the singular for one: "its 1 calls" read as
// a slip.
export function count(n, one, many = one + "s") {
  return `${int(n)} ${Number(n) === 1 ? one : many}`;
}

export function pct(v) {
  return (100 * (v || 0)).toFixed(1) + "%";
}

export function ago(ms) {
  const s = Math.max(0, Math.round((clock.now() - ms) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

export function short(s, n) {
  s = (s || "").replace(/\s+/g, " ").trim();
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
