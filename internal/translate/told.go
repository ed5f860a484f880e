package translate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	qp "qwenproxy"

	"qwenproxy/internal/tools"
)

// Told identifies what a Qwen chat has been told: the hashes of its system
// prompt and of its tool set ("" for none). It is kept with the session.
type Told struct {
	System string
	Tools  string
}

// ToldOf is what a request would tell a chat: its system and developer
// prompts, and its tools when calls are emulated for it (tool_choice "none"
// declares none). tool_choice itself is not part of it: it is restated on
// every turn that demands a call.
func ToldOf(msgs []qp.Message, set *tools.Set) Told {
	var t Told
	if sys := SystemText(msgs); sys != "" {
		t.System = digest([]byte(sys))
	}
	if set.Active() {
		var b bytes.Buffer
		for _, tool := range set.Tools {
			params := tool.Parameters
			var compact bytes.Buffer
			if json.Compact(&compact, params) == nil {
				params = compact.Bytes()
			}
			line, _ := json.Marshal([]any{tool.Name, tool.Description, json.RawMessage(orNull(params))})
			b.Write(line)
			b.WriteByte('\n')
		}
		t.Tools = digest(b.Bytes())
	}
	return t
}

func orNull(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("null")
	}
	return b
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Decide says whether a turn states the system prompt and tools (whole) to a
// chat that was told `told`, given what the request would tell it (`now`),
// and what the chat will have been told once the turn is answered.
//
// A new chat is always told. Later, a differing tool set — also none, when
// the chat knew some (withdrawn) — or a differing, non-empty system prompt
// is stated again. A request without a system prompt does not erase the
// chat's: a client naming its session with X-Session-Id may send only the
// new message.
func Decide(newChat bool, told, now Told) (tell, withdrawn bool, next Told) {
	if newChat {
		return true, false, now
	}
	next = Told{System: told.System, Tools: now.Tools}
	if now.System != "" {
		next.System = now.System
	}
	tell = next != told
	return tell, tell && now.Tools == "" && told.Tools != "", next
}
