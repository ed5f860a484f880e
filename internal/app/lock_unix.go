//go:build unix

package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errLocked is a file another process holds.
var errLocked = errors.New("held by another process")

// lockFile takes an exclusive lock on path (created, with its directory,
// if missing) and writes our pid in it. It fails at once with errLocked,
// naming the holder's pid, if another process holds it. The lock goes with
// the process, however it ends.
func lockFile(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is %w (pid %s)", path, errLocked, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}

// lockHeldFile takes an exclusive flock on the file at path itself, when it
// exists: a lock file can be removed under its holder (taken for a stale
// one), which let a second server in, and the file itself cannot be removed
// without becoming another file. It fails at once with errLocked if another
// process holds it. The descriptor stays open until release, which the
// caller runs only after the database is closed: closing a descriptor of
// the file would drop SQLite's own (POSIX) locks on it. flock and SQLite's
// fcntl locks do not touch each other on a local file system.
func lockHeldFile(path string) (release func(), err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return func() {}, nil // made by this start: no one else has it open
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is %w: the file itself, though its lock file was free (removed under that server, or this path is another name of the file, a hard link)", path, errLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
