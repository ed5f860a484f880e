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
