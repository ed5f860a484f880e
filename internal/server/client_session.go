package server

import (
	"net/http"

	qp "qwenproxy"
)

// clientSessionHeaders are the request headers that carry a client's own
// id of its conversation, in the order they are read: the first that holds
// an id once cleaned is recorded (requests.client_session_id), so an
// operator finds a coding agent's calls by the id the agent shows its user.
// Each was seen on the wire from the agent named (README, Coding agents):
//
//   - X-Claude-Code-Session-Id: Claude Code 2.1.332, its session id
//     (`claude --resume <id>`, `session_id` of `--output-format json`);
//   - Session-Id: Codex 0.171.0, the "session id" `codex exec` prints
//     (also sent as Thread-Id and as the body's prompt_cache_key);
//   - X-Session-Id: OpenCode 1.18.33 and Kilo 7.7.7, their "ses_…"
//     session id, and any client that names its session to the proxy.
//
// Qwen Code 0.24.4 and Cline 3.0.65 send no id of theirs to an
// OpenAI-compatible provider. Headers only: a body field would be a
// second parse of every body for an id the agents also send as a header.
var clientSessionHeaders = []string{"X-Claude-Code-Session-Id", "Session-Id", "X-Session-Id"}

// clientSessionID is the client's conversation id from r's headers, ""
// when none carries one. The names above are written in canonical form, so
// each is one map lookup (Header.Get canonicalises the name on every call:
// 186 ns a call that carries none, against 70; the e2e test sends each
// header as the agents do, so a name not in that form would fail it).
func clientSessionID(h http.Header) string {
	for _, name := range clientSessionHeaders {
		if v := h[name]; len(v) > 0 {
			if id := qp.CleanClientSessionID(v[0]); id != "" {
				return id
			}
		}
	}
	return ""
}
