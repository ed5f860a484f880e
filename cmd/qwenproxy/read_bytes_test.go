package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// The commands that only read leave a SQLite file byte for byte as it was
// (a backup's checksum, its time of change), and so do the commands that
// write when they refuse a database a newer qwenproxy migrated. Every
// connection the store opened set auto_vacuum, which on a file that has it
// already rewrites the header's change counter: each `requests ls` changed
// the file it read.
func TestReadCommandsLeaveTheFileByteForByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "backup.db")
	st := storetest.Open(t, path)
	seedHistory(t, st, 30)
	st.Close()
	before := readAll(t, path)
	for _, args := range append(readCommands, []string{"migrate", "status"}) {
		if out, errOut, code := runOn(t, path, args...); code != 0 || out == "" {
			t.Fatalf("%v: exit %d, %q %q", args, code, out, errOut)
		}
		if !bytes.Equal(readAll(t, path), before) {
			t.Fatalf("%v changed the file it read", args)
		}
	}

	newer := migratedThen(t, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 1)`)
	before = readAll(t, newer)
	for _, args := range [][]string{{"requests"}, {"sessions", "rm", "s-01"}, {"prune", "--older-than", "1d"}, {"keys", "add", "--name", "k"}, {"migrate", "up"}} {
		if _, _, code := runCLI(t, newer, args...); code != 1 {
			t.Fatalf("%v on a newer schema: exit %d, want 1", args, code)
		}
		if !bytes.Equal(readAll(t, newer), before) {
			t.Fatalf("%v changed the newer database it refused", args)
		}
	}
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
