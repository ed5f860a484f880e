// Links to the history's pages from what a call or a conversation names.
import { h } from "./dom.js";
import { qs } from "./api.js";

// accountLink names the Qwen account that served a call or holds a
// conversation's chat, a link to the list (list: "#/calls" or
// "#/conversations") filtered by it; "–" where none did (a call refused
// before any account was tried).
export function accountLink(account, list) {
  if (!account) return "–";
  return h("a", { href: list + qs({ account }), dataset: { account } }, account);
}

// sessionLink names a call's conversation by a link to it (the Live page's
// rows: as text, it was a 36-character id to copy into the address by
// hand). Its click is the link's alone: the row's own click opens the call.
export function sessionLink(id) {
  if (!id) return "–";
  return h("a.mono.id", { href: "#/conversations/" + encodeURIComponent(id), dataset: { session: id }, onclick: (e) => e.stopPropagation() }, id);
}
