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
// answer's id could not be looked up without X-Request-Id.
func CallKey(s string) (string, bool) {
	if IsCallID(s) {
		return s, true
	}
	for _, prefix := range []string{"chatcmpl-", "cmpl-"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok && validUUID(rest) {
			return rest, true
		}
	}
	rest, ok := strings.CutPrefix(s, "msg_")
	if ok && len(rest) != 32 {
		return "", false
	}
	if !ok {
		if rest, ok = strings.CutPrefix(s, "resp_"); !ok || len(rest) < 32 {
			return "", false
		}
	}
	h := rest[:32]
	if _, err := hex.DecodeString(h); err != nil {
		return "", false
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}
