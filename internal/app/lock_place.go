//go:build unix

package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// lockPlaceRefused says why the lock beside path (the database's or the
// spool's, named by what) could not be made when the place refused it — a
// read-only file system, a directory this process may not write — and err
// as it is otherwise. The lock is the start's first write: the store's own
// account of an unwritable database came after it, so such a start said
// only "lock …: read-only file system".
func lockPlaceRefused(what, path string, err error) error {
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s is on a read-only file system: %s needs a writable one (%w)", dir, what, err)
	case errors.Is(err, fs.ErrPermission):
		mode := "its mode unknown"
		if fi, statErr := os.Stat(dir); statErr == nil {
			mode = fi.Mode().String()
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				mode += fmt.Sprintf(", owner uid %d", st.Uid)
			}
		}
		return fmt.Errorf("this process (uid %d) may not create files in %s (%s), where %s and its lock are kept: give it write access to the directory (%w)", os.Getuid(), dir, mode, what, err)
	}
	return err
}
