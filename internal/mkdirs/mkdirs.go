// Package mkdirs notes the directories os.MkdirAll is about to make, so
// that a start or an open that fails can take back what it made and no
// more.
package mkdirs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Missing lists dir and those of its parents that do not exist, the
// deepest first: what os.MkdirAll(dir) makes.
func Missing(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			return out
		}
		out = append(out, d)
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// Remove removes dirs (Missing's list, the deepest first), each only while
// empty: another process may have put something in one.
func Remove(dirs []string) {
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}
