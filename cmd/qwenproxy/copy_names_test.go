package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// copy says what it copied from: the source as it was given. From a SQLite
// file at an older schema, read from a migrated snapshot in a temporary
// directory, it named that snapshot, a path removed by the time it was
// printed ("from /tmp/qwenproxy-snapshot-…/snapshot.db"), in its sentence
// and in --json's "from".
func TestCopyNamesTheSourceItWasGiven(t *testing.T) {
	src := filepath.Join(t.TempDir(), "before-upgrade.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 3)
	// As the version before migration 0013 left it.
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN last_call_ids`, `DELETE FROM schema_migrations WHERE version = 13`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	dir := t.TempDir()
	out, errOut, code := runCopy(t, "--from", "sqlite:"+src, "--to", "sqlite:"+filepath.Join(dir, "a.db"))
	if code != 0 || !strings.Contains(out, " from sqlite:"+src+" to ") || strings.Contains(out, "snapshot") {
		t.Fatalf("copy: exit %d, want the sentence to name %s: %q %q", code, src, out, errOut)
	}
	out, errOut, code = runCopy(t, "--json", "--from", src, "--to", "sqlite:"+filepath.Join(dir, "b.db"))
	var got struct {
		From string `json:"from"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || got.From != src {
		t.Fatalf("copy --json: exit %d, from %q, want %q: %v %q", code, got.From, src, err, errOut)
	}
}
