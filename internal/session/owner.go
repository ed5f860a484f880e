package session

import (
	"crypto/sha256"
	"encoding/hex"
)

// ownedKey scopes a conversation key to the API key that owns it, so that a
// history resent under another key never finds this key's session. Without
// keys (owner "") keys are unchanged, as they were stored before owners.
func ownedKey(owner, key string) string {
	if owner == "" || key == "" {
		return key
	}
	h := sha256.New()
	h.Write([]byte("qwenproxy-owner-v1\x00"))
	h.Write([]byte(owner))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}
