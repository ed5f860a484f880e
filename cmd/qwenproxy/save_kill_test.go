//go:build linux

package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/fswatch"
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

	creations := fswatch.Watch(t, dir)
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	// The readiness check finds the file gone and begins its save in the
	// background (the probe is answered at once); the kill forestalls it.
	go func() {
		if resp, err := http.Get(s.base + "/health/ready"); err == nil {
			resp.Body.Close()
		}
	}()
	created := creations.Next(func(name string) bool {
		return strings.HasPrefix(name, filepath.Base(db)+".") && (strings.Contains(name, ".saved-") || strings.Contains(name, ".incomplete-save-"))
	})
	s.kill(t)
	t.Logf("killed when %s appeared", created)

	if saved, _ := filepath.Glob(db + ".saved-*"); len(saved) != 0 {
		t.Errorf("a kill during the save left files named a save: %q", saved)
	}
	partial, _ := filepath.Glob(db + ".incomplete-save-*")
	if len(partial) == 0 {
		t.Fatalf("no incomplete save after the kill (created: %s)", created)
	}
	// The killed server's -wal and -shm are still beside the path, which a
	// start refuses (they would be taken for the new file's): moved away.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Rename(db+suffix, filepath.Join(t.TempDir(), "qwenproxy.db"+suffix)); err != nil {
			t.Fatal(err)
		}
	}
	s = serveLogged(t, bin, db)
	s.stop(t)
	if log := s.log(); !strings.Contains(log, partial[0]) || !strings.Contains(log, "not a copy of the history") {
		t.Errorf("the next start does not name the incomplete save %s:\n%s", partial[0], log)
	}
}
