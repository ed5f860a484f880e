//go:build unix

package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/config"
)

// A second server reaching the same SQLite file (or spool) by a symbolic
// link — a linked data directory, a link to the file — took a lock of its
// own beside the link and served the file too. Both now lock beside the
// file the path resolves to, and the second refuses to start.
func TestASecondServerThroughASymlinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	linkedDir := filepath.Join(dir, "linked")
	if err := os.Symlink(data, linkedDir); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(data, "q.db")
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	linkedFile := filepath.Join(dir, "link.db")
	if err := os.Symlink(db, linkedFile); err != nil {
		t.Fatal(err)
	}
	first := &App{}
	if err := first.lock(&config.Config{DatabasePath: db, SpoolPath: db + ".spool"}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, u := range first.unlock {
			u()
		}
	}()
	for _, tc := range []struct {
		name string
		cfg  config.Config
		want string
	}{
		{"database by a linked directory", config.Config{DatabasePath: filepath.Join(linkedDir, "q.db"), SpoolPath: filepath.Join(dir, "own.spool")}, "already serves the database"},
		{"database by a link to the file", config.Config{DatabasePath: linkedFile, SpoolPath: filepath.Join(dir, "own2.spool")}, "already serves the database"},
		{"spool by a linked directory", config.Config{DatabasePath: filepath.Join(dir, "other.db"), SpoolPath: filepath.Join(linkedDir, "q.db.spool")}, "needs its own RECORDER_SPOOL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := &App{}
			err := second.lock(&tc.cfg)
			for _, u := range second.unlock {
				u()
			}
			if !errors.Is(err, errLocked) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("second server: %v, want %q", err, tc.want)
			}
		})
	}
}
