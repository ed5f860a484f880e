package historyapi

import (
	"encoding/hex"
	"strings"
)

// CallKey reads the id a person gives for one call into the key the history
// stores it under: its numeric id or request UUID as they are, or an id its
// client was answered with — Chat Completions' chatcmpl-<UUID> (cmpl-<UUID>
// for legacy completions), Anthropic's msg_<UUID as 32 hex digits>, the
// Responses API's resp_<32 hex digits><session> — as the request UUID it was
// made from. These are what a client's logs hold; the history refused them
// ("a request id is a number or a request UUID"), so a call reported by its
// answer's id could not be looked up without X-Request-Id. So is the id of
// an item of a Responses answer or of its input (rs_, msg_, fc_, ctc_, ws_,
// ig_…: <prefix>_<32 hex digits><index>, an input item's …in<index>, as
// responses.ID and responses.InputID make them: what Codex logs for a
// function call), or of an Anthropic web search's server_tool_use
// (srvtoolu_<32 hex digits><index>).
func CallKey(s string) (string, bool) {
	if IsCallID(s) {
		return s, true
	}
	for _, prefix := range []string{"chatcmpl-", "cmpl-"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && validUUID(rest) {
			return rest, true
		}
	}
	prefix, rest, ok := strings.Cut(s, "_")
	if !ok || len(rest) < 32 {
		return "", false
	}
	h, suffix := rest[:32], rest[32:]
	switch {
	case prefix == "resp": // its session follows
	case prefix == "msg" && suffix == "": // Anthropic's message
	case itemPrefixes[prefix] && itemIndex(suffix):
	default:
		return "", false
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}

// NotACallID says which ids name a call (CallKey's) to one that is none of
// them. It listed msg_… among them whole, so a client's own item id (msg_k1
// as GET /v1/responses/{id}/input_items lists it, kept as the client gave
// it) read as one refused by mistake: only the ids the proxy made, which
// carry their call's request UUID, name one.
const NotACallID = "a request id is a number, a request UUID (X-Request-Id), or an id the proxy made from the request UUID: " +
	"its answer's (chatcmpl-…, cmpl-…, resp_…, Anthropic's msg_ and 32 hex digits) or an item's of its answer or input " +
	"(msg_, fc_, rs_, ws_, ig_, ctc_, fco_, cmp_… and 32 hex digits, then the item's index); " +
	"an id a client gave its own item (as GET /v1/responses/{id}/input_items lists it) names no call: look it up by its response's id (resp_…)"

// itemPrefixes are the prefixes of the ids of a Responses answer's output
// and input items (a compaction's cmp_ too), and of an Anthropic
// server_tool_use block, made from their call's request UUID.
var itemPrefixes = map[string]bool{"rs": true, "msg": true, "fc": true, "ctc": true, "ws": true, "ig": true,
	"fco": true, "ctco": true, "at": true, "srvtoolu": true, "cmp": true}

// itemIndex reports whether suffix is an item's index after its call's
// hex digits: digits, or "in" and digits for an input item.
func itemIndex(suffix string) bool {
	suffix = strings.TrimPrefix(suffix, "in")
	if suffix == "" {
		return false
	}
	for _, c := range suffix {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
