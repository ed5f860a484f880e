package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A save of a deleted database file cut short (the server killed while it
// wrote it) is left under its incomplete name: the start says that it is
// not a copy of the history and may be removed, naming it.
func TestAnIncompleteSaveIsSaidAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	partial := path + ".incomplete-save-20261202T093000Z"
	if err := os.WriteFile(partial, []byte("SQLite format 3\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := startLog(t, map[string]string{}, func(c *config.Config) { c.DatabasePath = path })
	if !strings.Contains(out, partial) || !strings.Contains(out, "not a copy of the history") {
		t.Errorf("the log says\n%s", out)
	}
	if _, err := os.Stat(partial); err != nil {
		t.Errorf("the incomplete save was not left as it was: %v", err)
	}
}
