package qwenproxy

// ClientSessionIDMax bounds a client's own conversation id as recorded
// (requests.client_session_id): the agents' ids are 30-40 bytes (a UUID,
// OpenCode's "ses_…"); a longer value is cut to this many bytes.
const ClientSessionIDMax = 128

// CleanClientSessionID is a client's conversation id as it is recorded: its
// characters outside A-Z, a-z, 0-9 and "-_.:" dropped, then cut to
// ClientSessionIDMax bytes; "" when nothing is left. The id is the
// client's, not checked by the proxy, so it is bounded and kept free of
// control characters and anything a CSV cell or a log line would have to
// escape, rather than refused: the call must not fail because of it.
func CleanClientSessionID(v string) string {
	clean := true
	for i := 0; i < len(v); i++ {
		if !clientSessionIDByte(v[i]) {
			clean = false
			break
		}
	}
	if !clean {
		b := make([]byte, 0, min(len(v), ClientSessionIDMax))
		for i := 0; i < len(v) && len(b) < ClientSessionIDMax; i++ {
			if clientSessionIDByte(v[i]) {
				b = append(b, v[i])
			}
		}
		return string(b)
	}
	return v[:min(len(v), ClientSessionIDMax)]
}

// ValidClientSessionID reports whether v is an id as CleanClientSessionID
// records one (the history's client_session_id filter takes only such).
func ValidClientSessionID(v string) bool {
	return v != "" && CleanClientSessionID(v) == v
}

func clientSessionIDByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':'
}
