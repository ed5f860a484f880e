package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
)

// savedBeside puts beside db (a path with no file yet) the save a server
// leaves of a database file deleted under it: a history holding an admin
// key and three calls (ids 1 to 3), and returns the save.
func savedBeside(t *testing.T, db string) (saved string) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var calls []qp.Exchange
	for i := range 3 {
		id := fmt.Sprint("saved-call-", i)
		calls = append(calls, qp.Exchange{
			Request:  qp.Request{RequestID: id, Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max", OpenAIRequest: []byte(`{}`)},
			Response: qp.Response{ResponseID: "r" + id, Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200, OpenAIResponse: []byte(`{}`)},
		})
	}
	made := historyOf(t, calls...)
	st, err := store.Open(ctx, made, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddAPIKey(ctx, qp.APIKey{ID: "saved-key", Name: "saved", Hash: "saved-hash", Admin: true, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil { // the last connection: its WAL is checkpointed into the file
		t.Fatal(err)
	}
	saved = db + ".saved-20261207T080000Z"
	if err := os.Rename(made, saved); err != nil {
		t.Fatal(err)
	}
	return saved
}

// Only serve brought the settings of a save into the file it made where
// a server's file had been deleted: any other command that made the file
// first (keys add, credentials, accounts, migrate up, copy into it) left a
// file without the saved keys — the next server served with none, or with
// only the new one — and with no id floors, so the next server gave the
// saved calls' numeric ids again (/v1/requests/1 became a later call). Every
// command that makes the file now brings the newest save's keys and floors
// in, as serve does, and says so on stderr.
func TestEveryCommandThatMakesTheFileBringsInTheSave(t *testing.T) {
	other := historyOf(t) // a copy's source that is not the save
	for _, tc := range []struct {
		name string
		args func(db, saved string) []string
		// copied: the save itself is copied in, its keys and floors with
		// its calls; nothing is brought in before.
		copied bool
	}{
		{"keys add", func(string, string) []string { return []string{"keys", "add", "--name", "new"} }, false},
		{"credentials status", func(string, string) []string { return []string{"credentials", "status"} }, false},
		{"accounts ls", func(string, string) []string { return []string{"accounts", "ls"} }, false},
		{"migrate up", func(string, string) []string { return []string{"migrate", "up"} }, false},
		{"copy into it", func(db, _ string) []string {
			return []string{"copy", "--from", "sqlite:" + other, "--to", "sqlite:" + db}
		}, false},
		{"copy the save into it", func(db, saved string) []string {
			return []string{"copy", "--from", "sqlite:" + saved, "--to", "sqlite:" + db}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "h.db")
			saved := savedBeside(t, db)
			_, errOut, code := runCLI(t, db, tc.args(db, saved)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if n := sqliteQuery(t, db, `SELECT COUNT(*) FROM api_keys WHERE id = 'saved-key' AND admin = 1`); n != 1 {
				t.Errorf("the saved admin key is not in the file the command made (%d)", n)
			}
			if floor := sqliteQuery(t, db, `SELECT floor FROM row_id_floors WHERE name = 'requests'`); floor < 3 {
				t.Errorf("the requests id floor of the file the command made is %d: the saved calls' ids 1 to 3 would be given again", floor)
			}
			if said := strings.Contains(errOut, saved) && strings.Contains(errOut, "qwenproxy copy --from sqlite:"+saved+" --to sqlite:"+db); said == tc.copied {
				t.Errorf("the command does not say (or says, for the copy of the save) what it brought in, and how the calls come back:\n%s", errOut)
			}
		})
	}
}

// A save the command cannot read is refused as serve refuses it: the file
// is not made (without the saved keys, the next server would serve open),
// and the refusal names the save and what to do.
func TestCommandsRefuseASaveTheyCannotRead(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	saved := db + ".saved-20261207T080000Z"
	if err := os.WriteFile(saved, []byte("not a database, but as long as a SQLite header would be: 0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"keys", "add", "--name", "new"}, {"credentials", "status"}, {"migrate", "up"}} {
		_, errOut, code := runCLI(t, db, args...)
		if code == 0 {
			t.Fatalf("%s beside a save it cannot read: exit 0", args[0])
		}
		if !strings.Contains(errOut, saved) || !strings.Contains(errOut, "qwenproxy copy --from sqlite:"+saved) || !strings.Contains(errOut, "move") {
			t.Errorf("%s's refusal does not name the save and what to do:\n%s", args[0], errOut)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%s, refused, left a database file: %v", args[0], err)
		}
	}
}

// Copying a history into a file raises the file's id floors past the
// source's highest ids, whichever command made the file and whether or
// not a save was beside it then: the copied calls are renumbered, and a
// later call given one of the source's ids made its old link open it.
func TestCopyRaisesTheDestinationsIDFloors(t *testing.T) {
	dir := t.TempDir()
	saved := savedBeside(t, filepath.Join(dir, "elsewhere.db")) // beside another path: nothing restores it
	db := filepath.Join(dir, "h.db")
	if _, errOut, code := runCLI(t, db, "keys", "add", "--name", "new"); code != 0 {
		t.Fatalf("keys add: %s", errOut)
	}
	if _, errOut, code := runCLI(t, db, "copy", "--from", "sqlite:"+saved, "--to", "sqlite:"+db); code != 0 {
		t.Fatalf("copy: %s", errOut)
	}
	if floor := sqliteQuery(t, db, `SELECT floor FROM row_id_floors WHERE name = 'requests'`); floor < 3 {
		t.Fatalf("after the copy the requests id floor is %d: the source's ids 1 to 3 would be given again", floor)
	}
	if n := sqliteQuery(t, db, `SELECT COUNT(*) FROM requests WHERE id <= 3`); n != 0 {
		t.Fatalf("%d copied calls took one of the source's ids 1 to 3", n)
	}
}

// The case as met: the file deleted under a running server, the server
// stopped (saving its calls), then `keys add` run first. The server started
// next served with only the new key (the saved admin key refused) and gave
// the first new call id 1, the id of a saved call.
func TestKeysAddFirstAfterADeletedFileKeepsKeysAndIDs(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	out, errOut, code := runCLI(t, db, "keys", "add", "--name", "k", "--admin", "--json")
	var first struct{ Key string }
	if err := json.Unmarshal([]byte(out), &first); code != 0 || err != nil || first.Key == "" {
		t.Fatalf("keys add: %d %v %s %s", code, err, out, errOut)
	}
	s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
	for i := range 3 {
		s.keyedCall(t, first.Key, fmt.Sprint("before ", i))
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	saved := s.waitSaved(t, db)
	s.stop(t)

	added, err := exec.Command(bin, "keys", "add", "--name", "second", "--json", "--database-path", db).Output()
	var second struct{ Key string }
	if err != nil || json.Unmarshal(added, &second) != nil || second.Key == "" {
		t.Fatalf("keys add after the stop: %v %s", err, added)
	}
	s = serveLogged(t, bin, db, "RECORDER_SYNC=true")
	s.waitPlaced(t)
	if code := s.keyedGet(t, "/v1/sessions", first.Key); code != 200 {
		t.Fatalf("the saved admin key after keys add made the file: %d, want 200", code)
	}
	s.keyedCall(t, second.Key, "after")
	if code := s.keyedGet(t, "/v1/requests/1", first.Key); code != 404 {
		t.Fatalf("/v1/requests/1 after the restart: %d, want 404 (an id of the saved file given again)", code)
	}
	s.stop(t)
	if n := sqliteQuery(t, db, `SELECT MIN(id) FROM requests`); n <= sqliteQuery(t, saved, `SELECT MAX(id) FROM requests`) {
		t.Fatalf("the first call after the restart has id %d, given in %s already", n, saved)
	}
}
