package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// keys ls --json gives a key's created_at as the CLI's other JSON times are
// (credentials --json, accounts ls --json): RFC 3339 in UTC, not Unix ms.
func TestKeysListTimesAreRFC3339(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	before := time.Now().Add(-time.Second)
	if out, errOut, code := runCLI(t, db, "keys", "add", "--name", "agent"); code != 0 {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}
	out, errOut, code := runCLI(t, db, "keys", "ls", "--json")
	var keys []map[string]any
	if err := json.Unmarshal([]byte(out), &keys); err != nil || code != 0 || len(keys) != 1 {
		t.Fatalf("keys ls: %d %s %s", code, out, errOut)
	}
	s, ok := keys[0]["created_at"].(string)
	if !ok {
		t.Fatalf("created_at %v (%T): want an RFC 3339 string", keys[0]["created_at"], keys[0]["created_at"])
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || at.Location() != time.UTC || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Fatalf("created_at %q: %v (want UTC, just now)", s, err)
	}
}
