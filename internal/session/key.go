// Package session maps client conversations onto Qwen chats: it derives the
// conversation key from the resent history, finds or opens the session, and
// serialises the turns of one session.
package session

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"

	qp "qwenproxy"
)

// Key hashes a conversation (optionally followed by the assistant answer the
// proxy just gave) into the key its next request will be found by.
//
// The normal form keeps what a client reliably resends: role, text with outer
// whitespace trimmed (clients differ in trimming), tool calls by name and
// arguments, and tool results by call id. Fields are length-prefixed so that
// no two different conversations share an encoding.
func Key(msgs []qp.Message, answer *qp.Message) string {
	h := sha256.New()
	h.Write([]byte("qwenproxy-key-v1"))
	for i := range msgs {
		writeMessage(h, &msgs[i])
	}
	if answer != nil {
		writeMessage(h, answer)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeMessage(h hash.Hash, m *qp.Message) {
	writeField(h, "m")
	writeField(h, m.Role)
	writeField(h, strings.TrimSpace(m.Text))
	writeField(h, m.ToolCallID)
	for _, tc := range m.ToolCalls {
		writeField(h, "tc")
		writeField(h, tc.Name)
		writeField(h, strings.TrimSpace(tc.Arguments))
	}
}

func writeField(h hash.Hash, s string) {
	var n [8]byte
	l := len(s)
	for i := range n {
		n[i] = byte(l >> (8 * i))
	}
	h.Write(n[:])
	h.Write([]byte(s))
}
