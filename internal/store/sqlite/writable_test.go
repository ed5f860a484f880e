package sqlite

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// An open refused for want of write access says which path is not
// writable and what to do; SQLite says only "attempt to write a readonly
// database". The refusals are access(2)'s as it gives them to a user
// without the permission (the tests run as root, whom modes do not stop).
func TestWhyNotWritableNamesWhatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	refuse := func(refused string, err error) func(string, uint32) error {
		return func(p string, mode uint32) error {
			if mode != accessWrite {
				t.Fatalf("asked for mode %#o, want write", mode)
			}
			if p == refused {
				return err
			}
			return nil
		}
	}
	for _, c := range []struct {
		name   string
		access func(string, uint32) error
		want   []string // "" when nothing is to be said
		mode   os.FileMode
	}{
		{"writable", refuse("", nil), nil, 0o644},
		{"file", refuse(path, syscall.EACCES), []string{"may not write the database file", "r--r--r--", "write access to the file"}, 0o444},
		// Root (or the owner of a file whose directory it may write) may
		// write a file of mode 0444; an operator marks a backup so to keep
		// it as it is.
		{"file marked read-only, to a process that may write it anyway", refuse("", nil), []string{"marked read-only", "r--r--r--", "chmod u+w"}, 0o444},
		// The directory's mode as ls shows it, d first: it was shown as a
		// file's (-rwxr-xr-x), beside the lock's refusal's drwxr-xr-x.
		{"directory", refuse(dir, syscall.EACCES), []string{"may not create files in " + dir + " (drwx", "-wal and -shm", "write access to the directory"}, 0o644},
		{"read-only file system", refuse(dir, syscall.EROFS), []string{dir + " is on a read-only file system"}, 0o644},
		{"a -shm left read-only by a refused start", refuse(path+"-shm", syscall.EACCES), []string{"may not write " + path + "-shm", "remove it while no process has the database open"}, 0o644},
		{"a file not made yet", func(p string, _ uint32) error {
			if p != dir {
				return syscall.ENOENT // the file, its -wal and -shm
			}
			return nil
		}, nil, 0o644},
	} {
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		got := whyNotWritable(path, c.access)
		if c.want == nil && got != "" {
			t.Errorf("%s: %q, want nothing", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
	}
}
