package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// `credentials --json` gave updated_at as Unix ms beside token_expires_at
// in RFC 3339, in one object (and `accounts ls --json`'s times are RFC 3339
// too): a script read one of them wrong. Both are RFC 3339 now.
func TestCredentialsJSONTimesAreRFC3339(t *testing.T) {
	vars, run := cliWithVars(filepath.Join(t.TempDir(), "c.db"))
	vars["QWENPROXY_SECRET_KEY"] = key1
	before := time.Now().Truncate(time.Millisecond)
	if code, out, errOut := run("token=h.eyJleHAiOjE3OTkwMDAwMDB9.sig\n", "credentials", "set"); code != 0 { // {"exp":1799000000}
		t.Fatalf("set: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run("", "credentials", "--json")
	var status map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &status) != nil {
		t.Fatalf("credentials --json: %d %s %s", code, out, errOut)
	}
	for _, field := range []string{"updated_at", "token_expires_at"} {
		s, ok := status[field].(string)
		at, err := time.Parse(time.RFC3339, s)
		if !ok || err != nil {
			t.Errorf("%s: %v (%T), want an RFC 3339 time", field, status[field], status[field])
			continue
		}
		if field == "updated_at" && (at.Before(before) || at.After(time.Now())) {
			t.Errorf("updated_at %s, want the time of the set (%s)", s, before.Format(time.RFC3339Nano))
		}
	}
}
