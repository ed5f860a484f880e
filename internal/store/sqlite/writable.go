package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// accessWrite is access(2)'s W_OK.
const accessWrite = 0x2

// whyNotWritable explains an open that failed because the process may not
// write where SQLite must: the database file itself, or its directory, in
// which SQLite makes the -wal and -shm files (and the server its .lock and
// .spool), or the -wal and -shm themselves. SQLite itself says only
// "attempt to write a readonly database (8)" of any of these. It returns ""
// when all are writable (or not there yet), which leaves the error as SQLite
// gave it. access is access(2) (syscall.Access).
func whyNotWritable(path string, access func(path string, mode uint32) error) string {
	if why := fileNotWritable(path, access); why != "" {
		return why
	}
	dir := filepath.Dir(path)
	if err := access(dir, accessWrite); err != nil {
		return fmt.Sprintf("%s may not create files in %s (%s), where SQLite keeps the database's -wal and -shm files: give it write access to the directory", user(), dir, modeOf(dir))
	}
	// SQLite makes the -wal and -shm with the database file's mode: a start
	// refused for a read-only file leaves them read-only, and they refuse
	// the next start after the file was given write access.
	for _, journal := range []string{path + "-wal", path + "-shm"} {
		if err := access(journal, accessWrite); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Sprintf("%s may not write %s (%s), which SQLite made with the database file's mode: give it write access to it, or remove it while no process has the database open", user(), journal, modeOf(journal))
		}
	}
	return ""
}

// fileNotWritable is whyNotWritable's part that no SQLite connection can
// write past: the database file itself may not be written, or its file
// system is read-only. It returns "" otherwise (a directory that may not
// be written still serves a database whose -wal and -shm are there).
func fileNotWritable(path string, access func(path string, mode uint32) error) string {
	dir := filepath.Dir(path)
	switch fileErr, dirErr := access(path, accessWrite), access(dir, accessWrite); {
	case errors.Is(fileErr, syscall.EROFS) || errors.Is(dirErr, syscall.EROFS):
		return fmt.Sprintf("%s is on a read-only file system: the database needs a writable one", dir)
	case fileErr != nil && !errors.Is(fileErr, os.ErrNotExist):
		return fmt.Sprintf("%s may not write the database file (%s): give it write access to the file", user(), modeOf(path))
	}
	// Root may write any file, and an owner may make its own writable: a
	// file no one may write (mode 0444, a backup kept as it is) is taken
	// to be read-only whoever opens it.
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o222 == 0 {
		return fmt.Sprintf("the database file is marked read-only (%s), which keeps it as it is even for a process that could write it: make it writable (chmod u+w) to write it", modeOf(path))
	}
	return ""
}

// user names this process in the refusals.
func user() string { return fmt.Sprintf("this process (uid %d)", os.Getuid()) }

// modeOf is a file's type and permissions and its owner, as ls shows them
// (a directory's with its d: the permissions alone read as a file's).
func modeOf(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return err.Error()
	}
	mode := fi.Mode().Type()&os.ModeDir | fi.Mode().Perm()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%s, owner uid %d", mode, st.Uid)
	}
	return mode.String()
}
