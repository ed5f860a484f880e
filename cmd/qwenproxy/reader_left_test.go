package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// A command whose output's reader has left (qwenproxy export | head) ends
// quietly with 128+SIGPIPE, after its own cleanup: killed by the signal, as
// it was, an export of an older file left its migrated snapshot in the
// temporary directory, a copy of the whole database each time.
func TestAReaderThatLeftEndsTheCommandAfterItsCleanup(t *testing.T) {
	bin := buildBinary(t)
	src := filepath.Join(t.TempDir(), "before-upgrade.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	asBeforeMigration13(t, st)
	st.Close()
	tmp := t.TempDir()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first write
	cmd := exec.Command(bin, "export", "--database-path", src)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout = w
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	err = cmd.Run()
	w.Close()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitReaderLeft {
		t.Fatalf("export to a pipe no one reads: %v, want exit status %d", err, exitReaderLeft)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
	said, _ := os.ReadFile(stderr.Name())
	if want := "older schema"; len(said) == 0 || !strings.Contains(string(said), want) || strings.Contains(string(said), "broken pipe") {
		t.Errorf("stderr %q: want the note on the older file and nothing about the pipe", said)
	}
}
