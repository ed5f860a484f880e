package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/auth"
	"qwenproxy/internal/store/storetest"
)

// A --max-concurrent beyond what the max_concurrent column holds (a
// PostgreSQL INTEGER) is refused on both backends before the database is
// opened, naming the flag, the value and the range, with exit 1 (a value
// the command cannot take). SQLite stored 99999999999; PostgreSQL failed
// with its driver's "unable to encode 99999999999 into binary format for
// int4". The highest value the column holds is taken.
func TestKeysLimitBeyondTheColumnIsRefusedBeforeTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		out, errOut, code := runOn(t, dbURL, "keys", "add", "--name", "agent", "--max-concurrent", "2", "--json")
		var added map[string]any
		if err := json.Unmarshal([]byte(out), &added); err != nil || code != 0 {
			t.Fatalf("keys add: %d %s %s", code, out, errOut)
		}
		id := added["id"].(string)
		unopened := filepath.Join(t.TempDir(), "no", "such", "dir", "q.db") // no database there
		for _, target := range []string{dbURL, unopened, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"} {
			for _, c := range []struct {
				value string
				args  []string
			}{
				{"99999999999", []string{"keys", "add", "--max-concurrent", "99999999999"}},
				{"5000000000", []string{"keys", "limit", id, "--max-concurrent", "5000000000"}},
				{"2147483648", []string{"keys", "limit", id, "--max-concurrent", "2147483648"}},
			} {
				_, errOut, code := runOn(t, target, c.args...)
				if code != 1 || !strings.Contains(errOut, "--max-concurrent must be between 0 (no limit) and 2147483647, not "+c.value) || strings.Contains(errOut, "int4") {
					t.Errorf("%v on %s: exit %d, %q", c.args, target, code, errOut)
				}
			}
		}
		out, errOut, code = runOn(t, dbURL, "keys", "ls", "--json")
		if code != 0 || strings.Count(out, `"id"`) != 1 || !strings.Contains(out, `"max_concurrent": 2`) {
			t.Fatalf("after the refused commands: %d %s %s", code, out, errOut)
		}
		if out, errOut, code := runOn(t, dbURL, "keys", "limit", id, "--max-concurrent", "2147483647"); code != 0 || !strings.Contains(out, "2147483647") {
			t.Fatalf("the highest limit: %d %s %s", code, out, errOut)
		}
		// The store refuses it too, whoever asks.
		st := storetest.Open(t, dbURL)
		_, k := auth.NewKey("direct", false, time.Now())
		k.MaxConcurrent = 1 << 40
		if err := st.AddAPIKey(context.Background(), k); err == nil || !strings.Contains(err.Error(), "0 (no limit) to 2147483647") {
			t.Errorf("AddAPIKey of %d: %v", k.MaxConcurrent, err)
		}
		if err := st.SetAPIKeyLimit(context.Background(), id, 1<<40); err == nil || !strings.Contains(err.Error(), "0 (no limit) to 2147483647") {
			t.Errorf("SetAPIKeyLimit of 1<<40: %v", err)
		}
	})
}

// A SQLite database holding a key limit beyond what PostgreSQL's column
// holds (stored by a version that did not bound it) is refused by copy
// before anything is copied, naming the key, the value, the range and
// how to mend it; mended on the source, the copy goes through. It failed
// at that key with the driver's words, every time.
func TestCopyRefusesAKeyLimitThePostgresColumnCannotHold(t *testing.T) {
	srcPath := storetest.URL(t, "sqlite")
	src := storetest.Open(t, srcPath)
	seedHistory(t, src, 3)
	_, k := auth.NewKey("agent", false, time.Now())
	if err := src.AddAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	src.Close()
	conn, err := sql.Open("sqlite", "file:"+srcPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`UPDATE api_keys SET max_concurrent = 99999999999 WHERE id = ?`, k.ID); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	dstURL := storetest.PostgresSchema(t)

	_, errOut, code := runCopy(t, "--from", "sqlite:"+srcPath, "--to", dstURL)
	if code != 1 || !strings.Contains(errOut, "copy api key "+k.ID) || !strings.Contains(errOut, "99999999999") ||
		!strings.Contains(errOut, "0 (no limit) to 2147483647") || !strings.Contains(errOut, "keys limit "+k.ID) || strings.Contains(errOut, "int4") {
		t.Fatalf("copy: exit %d, %q", code, errOut)
	}
	dst := storetest.Open(t, dstURL)
	calls, sessions, _, keys := history(t, dst)
	if len(calls)+len(sessions)+len(keys) != 0 {
		t.Fatalf("the refused copy copied %d calls, %d sessions, %d keys", len(calls), len(sessions), len(keys))
	}
	if _, errOut, code := runOn(t, srcPath, "keys", "limit", k.ID, "--max-concurrent", "64"); code != 0 {
		t.Fatalf("keys limit on the source: %d %s", code, errOut)
	}
	if _, errOut, code := runCopy(t, "--from", "sqlite:"+srcPath, "--to", dstURL); code != 0 {
		t.Fatalf("copy after mending the source: %d %s", code, errOut)
	}
	_, _, _, keys = history(t, dst)
	limits := map[string]int{}
	for _, c := range keys {
		limits[c.ID] = c.MaxConcurrent
	}
	if len(keys) != 2 || limits[k.ID] != 64 { // seedHistory's key, and this one
		t.Fatalf("copied keys %+v", keys)
	}
}
