package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The -wal of a database deleted under a running server (a cleanup of
// "temporary" files), the file and its -shm left: a command run on the
// path then opened the file with the server's -shm, whose index describes
// the WAL only the server can still see, and made a new, empty -wal beside
// it — failing with SQLite's "disk I/O error (522)" where a page was in the
// server's WAL, reading the file without the server's calls, and writing a
// WAL of its own that the index and the server's WAL both claim. Now every
// command refuses, saying what happened and what to do, and makes nothing;
// stopped, the server checkpoints what its WAL held into the file and
// removes the -shm, and the command runs.
func TestCommandsRefuseADatabaseWhoseWALWasDeletedUnderARunningServer(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
	acked := s.callsAnswered(t, 3, "hi")
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	refused := func(when string) {
		t.Helper()
		for _, args := range [][]string{{"keys", "add", "--name", "late"}, {"credentials"}, {"requests"}} {
			out, err := exec.Command(bin, append(args, "--database-path", db)...).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("%s %s: %v, want a non-zero exit\n%s", args[0], when, err, out)
			}
			for _, want := range []string{db + "-wal", "deleted or moved", "Stop that server", "move " + db + "-shm away"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("%s's refusal %s does not say %q:\n%s", args[0], when, want, out)
				}
			}
			if _, err := os.Lstat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s %s made a -wal at %s: %v", args[0], when, db, err)
			}
		}
	}
	refused("with the -wal deleted under the server")
	s.health(t, "/health/ready") // the server notices, and checkpoints the WAL it holds
	refused("once the server noticed")
	if n := s.requestTotal(t); n != 3 {
		t.Fatalf("after the refused commands the server lists %d calls, want its 3", n)
	}

	s.stop(t)
	if _, err := os.Lstat(db + "-shm"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stopped server left %s-shm: %v", db, err)
	}
	if out, err := exec.Command(bin, "keys", "add", "--name", "late", "--database-path", db).CombinedOutput(); err != nil {
		t.Fatalf("keys add once the server stopped: %v\n%s", err, out)
	}
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Errorf("%d of the 3 calls are not in the file after the stop", n)
	}
}

// The -wal deleted, then the server killed: its -shm is left beside the
// file, and what the deleted WAL held since the last checkpoint is gone
// with it. serve and the commands refuse the file the same way — a start
// took it for the whole history, without a word — telling to move the
// -shm away, and change nothing; moved away, the file opens.
func TestASHMLeftWithoutItsWALIsRefused(t *testing.T) {
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "h.db")
	s := serveLogged(t, bin, db, "RECORDER_SYNC=true")
	s.callsAnswered(t, 3, "hi")
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	s.kill(t)
	file, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}

	env := map[string]string{"DATABASE_PATH": db}
	for _, args := range [][]string{{"serve", "--port", "0", "--mock-upstream"}, {"keys", "add", "--name", "late"}, {"credentials"}, {"stats"}} {
		_, errOut, code := runEnvOf(t, env, args...)
		if code != 1 {
			t.Fatalf("%s with a -shm left without its -wal: exit %d, want 1\n%s", args[0], code, errOut)
		}
		for _, want := range []string{"deleted or moved", "If no server runs", "move " + db + "-shm away"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s's refusal does not say %q:\n%s", args[0], want, errOut)
			}
		}
		if _, err := os.Lstat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s made a -wal: %v", args[0], err)
		}
		if now, err := os.ReadFile(db); err != nil || !bytes.Equal(now, file) {
			t.Fatalf("%s changed the database file (%v)", args[0], err)
		}
	}

	if err := os.Rename(db+"-shm", filepath.Join(t.TempDir(), "h.db-shm")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runEnvOf(t, env, "keys", "add", "--name", "late"); code != 0 {
		t.Fatalf("keys add once the -shm was moved away: exit %d\n%s", code, errOut)
	}
}
