//go:build linux

package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"qwenproxy/internal/store/storetest"
)

// A real server killed (kill -9) while it saves its deleted database file
// leaves no file named a save — only an incomplete one, which the next
// start names in its log as not a copy of the history. The kill is sent
// the moment the save's file appears (inotify): writing the 32 MB takes
// far longer than the kill takes to land.
func TestAServerKilledWhileSavingLeavesNoSave(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "qwenproxy.db")
	st := storetest.Open(t, db)
	if _, err := st.DB().Exec(`CREATE TABLE filler (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512)
		INSERT INTO filler SELECT randomblob(65536) FROM n`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s := serveLogged(t, bin, db)

	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	// The readiness check finds the file gone and saves it; it is
	// answered only once the save ends, which the kill forestalls.
	go func() {
		if resp, err := http.Get(s.base + "/health/ready"); err == nil {
			resp.Body.Close()
		}
	}()
	created := awaitCreated(t, fd, filepath.Base(db)+".")
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.exit
	s.exit <- nil // for the cleanup
	t.Logf("killed when %s appeared", created)

	if saved, _ := filepath.Glob(db + ".saved-*"); len(saved) != 0 {
		t.Errorf("a kill during the save left files named a save: %q", saved)
	}
	partial, _ := filepath.Glob(db + ".incomplete-save-*")
	if len(partial) == 0 {
		t.Fatalf("no incomplete save after the kill (created: %s)", created)
	}
	s = serveLogged(t, bin, db)
	s.stop(t)
	if log := s.log(); !strings.Contains(log, partial[0]) || !strings.Contains(log, "not a copy of the history") {
		t.Errorf("the next start does not name the incomplete save %s:\n%s", partial[0], log)
	}
}

// awaitCreated reads inotify events from fd until a file whose name begins
// with prefix, other than a -wal, -shm, lock or spool, is created, and
// returns its name.
func awaitCreated(t *testing.T, fd int, prefix string) string {
	t.Helper()
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			start := off + syscall.SizeofInotifyEvent
			name := string(bytes.TrimRight(buf[start:start+int(ev.Len)], "\x00"))
			off = start + int(ev.Len)
			if strings.HasPrefix(name, prefix) && (strings.Contains(name, ".saved-") || strings.Contains(name, ".incomplete-save-")) {
				return name
			}
		}
	}
}
