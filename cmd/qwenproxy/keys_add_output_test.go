package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// keys add prints the key alone on standard output, one line, so that
// KEY=$(qwenproxy keys add) holds the key: its id and the note that it is
// shown only now go to standard error (they were printed beside the key,
// and the capture held three lines).
func TestKeysAddPrintsTheKeyAloneOnStdout(t *testing.T) {
	db := filepath.Join(t.TempDir(), "k.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--name", "ci")
	if code != 0 {
		t.Fatalf("keys add: %d %q %q", code, out, errOut)
	}
	key := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(key, "qp-") || strings.ContainsAny(key, " \n\t") {
		t.Fatalf("keys add: stdout %q, want the key alone on one line", out)
	}
	if strings.Contains(errOut, key) || !strings.Contains(errOut, "shown only now") {
		t.Errorf("keys add: stderr %q, want the note without the key", errOut)
	}
	ls, _, _ := runCLI(t, db, "keys", "ls", "--json")
	id := strings.TrimSpace(strings.SplitN(strings.SplitN(ls, `"id": "`, 2)[1], `"`, 2)[0])
	if !strings.Contains(errOut, id) {
		t.Errorf("keys add: stderr %q does not name the key's id %s", errOut, id)
	}
}
