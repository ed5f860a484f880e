package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/sqlite"
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

// A whole save of a database file deleted under an earlier server holds
// calls the database made anew lacks: the start names it and the copy that
// brings them in (its settings are brought at once: a file the start made),
// and leaves it where it is. A restart after the deletion
// said nothing of it, and the history lacked those calls without a word.
func TestASavedHistoryIsSaidAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	saved := path + ".saved-20261204T225522Z"
	st, err := sqlite.Open(context.Background(), saved, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out := startLog(t, map[string]string{}, func(c *config.Config) { c.DatabasePath = path })
	if !strings.Contains(out, "a saved history") || !strings.Contains(out, "qwenproxy copy --from sqlite:"+saved+" --to sqlite:"+path) ||
		!strings.Contains(out, "brought the settings of a saved history") {
		t.Errorf("the log says\n%s", out)
	}
	if _, err := os.Stat(saved); err != nil {
		t.Errorf("the save was not left as it was: %v", err)
	}
}
