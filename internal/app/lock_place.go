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
// read-only file system, a directory this process may not write, a lock
// file it may not write — and err as it is otherwise. The lock is the
// start's first write: the store's own account of an unwritable database
// came after it, so such a start said only "lock …: read-only file system".
func lockPlaceRefused(what, path string, err error) error {
	dir := filepath.Dir(path)
	switch {
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s is on a read-only file system: %s needs a writable one (%w)", dir, what, err)
	case errors.Is(err, fs.ErrPermission):
		// The lock file there already (left read-only by a chmod -R, or
		// another user's) refuses the open, not the directory, which was
		// blamed even when this process could write it.
		if file := refusedFile(err); file != "" {
			return fmt.Errorf("this process (uid %d) may not write %s (%s), the lock file that keeps a second server off %s: "+
				"give it write access to the file (chmod u+w, or chown it to this user), or remove it while no server runs (%w)", os.Getuid(), file, modeAndOwner(file), what, err)
		}
		return fmt.Errorf("this process (uid %d) may not create files in %s (%s), where %s and its lock are kept: give it write access to the directory (%w)", os.Getuid(), dir, modeAndOwner(dir), what, err)
	}
	return err
}

// fileRefused words a permission error of a file the start opens besides
// its lock (the database file it locks too, the spool): which file, with
// its mode and owner and this process's uid. err as it is otherwise.
func fileRefused(err error) error {
	file := refusedFile(err)
	if !errors.Is(err, fs.ErrPermission) || file == "" {
		return err
	}
	return fmt.Errorf("this process (uid %d) may not open %s (%s): give it read and write access to the file (%w)", os.Getuid(), file, modeAndOwner(file), err)
}

// refusedFile is the path of the file err's open refused, when a file is
// there (not a directory): "" when none is, so the place refused its
// creation.
func refusedFile(err error) string {
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) {
		return ""
	}
	if fi, statErr := os.Stat(pathErr.Path); statErr != nil || fi.IsDir() {
		return ""
	}
	return pathErr.Path
}

// modeAndOwner is a path's mode and owner, as ls shows them.
func modeAndOwner(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "its mode unknown"
	}
	mode := fi.Mode().String()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		mode += fmt.Sprintf(", owner uid %d", st.Uid)
	}
	return mode
}
