//go:build unix

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"qwenproxy/internal/config"
)

// A start whose lock the place refused said only "lock …: read-only file
// system": the lock is its first write, before the store's own account of
// an unwritable database. It says which place and what to do, as the
// store's does. (A read-only mount cannot be made by a test here; sysfs,
// which refuses files even to root, stands for the place.)
func TestALockThePlaceRefusesSaysWhy(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	lockErr := func(errno syscall.Errno) error {
		return fmt.Errorf("lock %s: %w", db+".lock", &os.PathError{Op: "open", Path: db + ".lock", Err: errno})
	}
	for _, tc := range []struct {
		errno syscall.Errno
		want  []string
	}{
		{syscall.EROFS, []string{dir + " is on a read-only file system: the database needs a writable one", "read-only file system"}},
		{syscall.EACCES, []string{"may not create files in " + dir + " (drwx", "owner uid", "give it write access to the directory"}},
	} {
		err := lockPlaceRefused("the database", db, lockErr(tc.errno))
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.errno, err, w)
			}
		}
	}
	if err := lockErr(syscall.EIO); lockPlaceRefused("the database", db, err) != err {
		t.Error("another failure was reworded")
	}

	a := &App{}
	err := a.lock(&config.Config{DatabasePath: "/sys/qwenproxy-test.db", SpoolPath: "/sys/qwenproxy-test.db.spool"})
	a.releaseLocks()
	if err == nil || !strings.Contains(err.Error(), "may not create files in /sys") && !strings.Contains(err.Error(), "/sys is on a read-only file system") {
		t.Fatalf("a start whose lock sysfs refuses: %v", err)
	}
}

// A lock file left read-only (a root `chmod -R a-w`, another user's) refused
// a start as any other user with "may not create files in DIR … give it
// write access to the directory", though the directory was writable: it
// names the lock file, its mode and owner. (Root, whom no mode stops,
// cannot be refused by it here: the open's error is the one a user gets.)
func TestAReadOnlyLockFileIsNamedNotItsDirectory(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	for what, lock := range map[string]string{"the database": db + ".lock", "the recorder's spool (RECORDER_SPOOL)": db + ".spool.lock"} {
		if err := os.WriteFile(lock, []byte("1\n"), 0o444); err != nil {
			t.Fatal(err)
		}
		os.Chmod(lock, 0o444) // whatever the umask
		open := fmt.Errorf("lock %s: %w", lock, &os.PathError{Op: "open", Path: lock, Err: syscall.EACCES})
		err := lockPlaceRefused(what, strings.TrimSuffix(lock, ".lock"), open).Error()
		for _, w := range []string{fmt.Sprintf("uid %d", os.Getuid()), "may not write " + lock + " (-r--r--r--, owner uid", "lock file", what, "permission denied"} {
			if !strings.Contains(err, w) {
				t.Errorf("%q lacks %q", err, w)
			}
		}
		if strings.Contains(err, "may not create files in") {
			t.Errorf("the writable directory is blamed: %q", err)
		}
	}
	// So too the database file and the spool the start opens itself.
	file := filepath.Join(dir, "q.db.spool")
	if err := os.WriteFile(file, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	err := fileRefused(fmt.Errorf("lock %s: %w", file, &os.PathError{Op: "open", Path: file, Err: syscall.EACCES})).Error()
	if !strings.Contains(err, "may not open "+file+" (-r--------, owner uid") || !strings.Contains(err, fmt.Sprintf("uid %d", os.Getuid())) {
		t.Errorf("a file the start opens, refused: %q", err)
	}
}
