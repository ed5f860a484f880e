package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The database file deleted under a running server leaves the server's
// -wal and -shm at their names. A command then run on the path (keys add,
// even credentials, a status read) made a new empty file that SQLite gave
// the server's -wal and -shm: keys add exited 0, the server's history then
// read 0 calls, and after its restart the new key was nowhere. Now every
// command refuses, saying what happened and what to do, and makes nothing;
// the server still serves its calls, and once it is stopped (which removes
// the journals it held, their calls saved) the command runs, and the saved
// file's copy brings the calls back.
func TestCommandsRefuseADatabaseDeletedUnderARunningServer(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := serveLogged(t, bin, db)
	acked := s.callsAnswered(t, 3, "hi")
	s.waitQueue(t)
	s.waitPlaced(t)
	if n := s.requestTotal(t); n != 3 {
		t.Fatalf("the server lists %d calls, want 3", n)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	saved := s.waitSaved(t, db)

	for _, args := range [][]string{{"keys", "add", "--name", "late"}, {"credentials"}, {"requests"}} {
		out, err := exec.Command(bin, append(args, "--database-path", db)...).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s with the database file deleted under the server: %v, want a non-zero exit\n%s", args[0], err, out)
		}
		for _, want := range []string{db, "deleted or moved", saved, "Stop that server", "move " + db + "-wal and " + db + "-shm away"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("%s's refusal does not say %q:\n%s", args[0], want, out)
			}
		}
		if _, err := os.Lstat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s made a file at %s: %v", args[0], db, err)
		}
	}
	if n := s.requestTotal(t); n != 3 {
		t.Fatalf("after the refused commands the server lists %d calls, want its 3", n)
	}

	// Stopped, the server removes the -wal and -shm it held (their calls
	// are in the saved file; SQLite leaves a nameless file's WAL behind,
	// and every open was refused until they were moved away by hand): the
	// command runs on a new file, and the copy the refusal gave brings the
	// calls back.
	s.stop(t)
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(db + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the stopped server left %s%s: %v", db, suffix, err)
		}
	}
	if out, err := exec.Command(bin, "keys", "add", "--name", "late", "--database-path", db).CombinedOutput(); err != nil {
		t.Fatalf("keys add once the server stopped: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "copy", "--from", "sqlite:"+saved, "--to", "sqlite:"+db).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Errorf("%d of the 3 calls are not back after the copy", n)
	}
	if out, err := exec.Command(bin, "keys", "ls", "--database-path", db).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("late")) {
		t.Errorf("keys ls after the copy (%v) does not list the key added:\n%s", err, out)
	}
}

// The -wal and -shm of a server killed after its file was deleted, with no
// server left: serve and the commands refuse them the same way, telling to
// move them away, and make or change nothing; moved away, a new file is made.
func TestALeftoverWALWithoutItsFileIsRefused(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	s := serveLogged(t, bin, db)
	s.callsAnswered(t, 3, "hi")
	s.waitQueue(t)
	s.waitPlaced(t)
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	s.kill(t)
	wal, err := os.ReadFile(db + "-wal")
	if err != nil {
		t.Fatalf("the killed server's -wal: %v", err)
	}

	env := map[string]string{"DATABASE_PATH": db}
	for _, args := range [][]string{{"serve", "--port", "0", "--mock-upstream"}, {"keys", "add", "--name", "late"}, {"credentials"}, {"stats"}} {
		_, errOut, code := runEnvOf(t, env, args...)
		if code != 1 {
			t.Fatalf("%s with a leftover -wal: exit %d, want 1\n%s", args[0], code, errOut)
		}
		for _, want := range []string{"deleted or moved", "If no server runs", "move " + db + "-wal and " + db + "-shm away"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s's refusal does not say %q:\n%s", args[0], want, errOut)
			}
		}
		if _, err := os.Lstat(db); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s made a file at %s: %v", args[0], db, err)
		}
		if now, err := os.ReadFile(db + "-wal"); err != nil || !bytes.Equal(now, wal) {
			t.Fatalf("%s changed the leftover -wal (%d bytes before, %d after, %v)", args[0], len(wal), len(now), err)
		}
	}

	away := t.TempDir()
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(db+suffix, filepath.Join(away, "h.db"+suffix)); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := runEnvOf(t, env, "keys", "add", "--name", "late"); code != 0 {
		t.Fatalf("keys add once the -wal and -shm were moved away: exit %d\n%s", code, errOut)
	}
}

// requestTotal is the number of calls the server's history lists.
func (s *proxyProcess) requestTotal(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(s.base + "/v1/requests?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Total *int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || page.Total == nil {
		t.Fatalf("GET /v1/requests: %d %v", resp.StatusCode, err)
	}
	return *page.Total
}

// waitSaved waits, bounded, until the server has saved the calls of its
// deleted database file beside db (a health check starts the save in the
// background), and returns the saved file.
func (s *proxyProcess) waitSaved(t *testing.T, db string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.health(t, "/health")
		if saved, _ := filepath.Glob(db + ".saved-*"); len(saved) == 1 {
			return saved[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no saved file beside %s after 30 s:\n%s", db, s.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
