package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A command (serve too) whose open of a new SQLite file failed once it had
// made the file left it behind, empty: the next run took it for a new
// database. Here the file's -wal cannot be made (a directory has its name).
func TestAFailedOpenLeavesNoDatabaseBehind(t *testing.T) {
	for _, args := range [][]string{
		{"migrate", "up"},
		{"keys", "add", "--name", "ci"},
		{"serve", "--port", "0", "--mock-upstream"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "q.db")
			if err := os.Mkdir(db+"-wal", 0o755); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := runEnvOf(t, map[string]string{"DATABASE_PATH": db}, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errOut)
			}
			if got := dirEntries(t, dir); !slices.Equal(got, []string{"q.db-wal"}) {
				t.Fatalf("after the failed open %v, want [q.db-wal] as before (%s)", got, errOut)
			}
		})
	}
}
