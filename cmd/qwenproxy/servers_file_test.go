package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// holdLock takes an exclusive flock on path (made if missing), as a
// running server holds its lock files, database and spool, until the test
// ends.
func holdLock(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// export --output knew the spool only by this command's RECORDER_SPOOL (or
// the default beside its database): a server running with
// RECORDER_SPOOL=/x/custom.spool had that spool written over by an export
// run without it. A file a server keeps is known by its lock — the lock
// file a server holds (or left) beside it, or the file itself held — and
// refused (exit 1) with nothing written, also another server's database
// and its -wal, and a spool not made yet whose lock a server holds.
func TestExportRefusesAServersFilesItsEnvironmentDoesNotName(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	seedHistory(t, storetest.Open(t, db), 3)
	dir := t.TempDir()

	spool := filepath.Join(dir, "custom.spool")
	if err := os.WriteFile(spool, []byte("{\"spooled\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := holdLock(t, spool+".lock")
	if _, err := lock.WriteString("4242\n"); err != nil {
		t.Fatal(err)
	}
	notYet := filepath.Join(dir, "empty.spool") // a server's spool before its first spooled record
	holdLock(t, notYet+".lock")
	held := filepath.Join(dir, "held.spool") // its lock file removed under the server
	if err := os.WriteFile(held, []byte("{\"spooled\":2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	holdLock(t, held)
	other := filepath.Join(dir, "other.db") // another server's database
	seedHistory(t, storetest.Open(t, other), 1)
	holdLock(t, other+".lock")
	stopped := filepath.Join(dir, "stopped.spool") // a stopped server's: its lock file left, naming it
	if err := os.WriteFile(stopped, []byte("{\"spooled\":3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stopped+".lock", []byte("4343\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	files := dirEntries(t, dir)
	for _, output := range []string{spool, notYet, held, other, other + "-wal", stopped} {
		before, beforeErr := os.ReadFile(output)
		out, errOut, code := runOn(t, db, "export", "--output", output)
		if code != 1 || out != "" || !strings.Contains(errOut, "--output "+output+" is a qwenproxy server's file") || !strings.Contains(errOut, "name another file") {
			t.Errorf("export --output %s: exit %d, %q %q", output, code, out, errOut)
		}
		if after, err := os.ReadFile(output); (err == nil) != (beforeErr == nil) || !bytes.Equal(after, before) {
			t.Errorf("export --output %s changed it: %v %q, was %v %q", output, err, after, beforeErr, before)
		}
	}
	if out, errOut, code := runOn(t, db, "export", "--output", spool); !strings.Contains(errOut, "pid 4242") {
		t.Errorf("the refusal does not name the server's pid: exit %d, %q %q", code, out, errOut)
	}
	if now := dirEntries(t, dir); !slices.Equal(now, files) {
		t.Errorf("the refused exports left %v, where were %v", now, files)
	}

	// A file with no lock beside it and none on it is written as before.
	free := filepath.Join(dir, "calls.jsonl")
	if out, errOut, code := runOn(t, db, "export", "--output", free); code != 0 {
		t.Errorf("export --output %s: exit %d, %q %q", free, code, out, errOut)
	}
}
