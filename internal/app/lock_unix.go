//go:build unix

package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"qwenproxy/internal/mkdirs"
)

// errLocked is a file another process holds.
var errLocked = errors.New("held by another process")

// lockFile takes an exclusive lock on path (created, with its directory,
// if missing). It fails at once with errLocked, naming the holder's pid, if
// another process holds it. The lock goes with the process, however it
// ends. The file names no one until claim writes our pid in it: a start
// refused later (by another lock) abandons it as it was found.
func lockFile(path string) (*pidLock, error) {
	made := mkdirs.Missing(filepath.Dir(path))
	l, err := lockMade(path)
	if err != nil {
		mkdirs.Remove(made)
		return nil, err
	}
	l.dirs = made
	return l, nil
}

// lockMade makes the lock file's directory and locks the file.
func lockMade(path string) (*pidLock, error) {
	// A lock file removed by a start that abandoned it (one it made) may be
	// the file another start opened just before: that one's lock is then on
	// no file, so it checks the file it locked is still the path's, and
	// tries again when not; so too when the directory itself went (made by
	// that start, and empty).
	for range 10 {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		l, err := tryLockFile(path)
		if !errors.Is(err, errGone) {
			return l, err
		}
	}
	return nil, fmt.Errorf("lock %s: %w", path, errGone)
}

// errGone is a lock file removed between its open and its lock.
var errGone = errors.New("the lock file was removed while it was being locked")

func tryLockFile(path string) (*pidLock, error) {
	created := true
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errGone // its directory, made by a start that failed meanwhile, removed
	}
	if errors.Is(err, os.ErrExist) {
		created = false
		f, err = os.OpenFile(path, os.O_RDWR, 0o600)
		if errors.Is(err, os.ErrNotExist) {
			return nil, errGone
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder))
			if pid == "" {
				pid = "not written yet: it is starting"
			}
			return nil, fmt.Errorf("%s is %w (pid %s)", path, errLocked, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	locked, err1 := f.Stat()
	named, err2 := os.Stat(path)
	if err1 != nil || err2 != nil || !os.SameFile(locked, named) {
		f.Close()
		return nil, errGone
	}
	prior, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &pidLock{f: f, path: path, created: created, prior: prior}, nil
}

// pidLock is a lock file this process holds.
type pidLock struct {
	f       *os.File
	path    string
	created bool     // made by this process: abandoned, it goes
	prior   []byte   // its content when locked: abandoned, it is put back
	dirs    []string // directories made for it, the deepest first: abandoned, they go
	claimed bool
}

// claim writes our pid in the lock file, for an operator to see who holds
// it (and for a refused start to say).
func (l *pidLock) claim() {
	_ = l.f.Truncate(0)
	_, _ = l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	l.claimed = true
}

// release lets the lock go, the file naming us still (a stale pid whose
// lock is free, as after a crash).
func (l *pidLock) release() { l.f.Close() }

// abandon lets the lock go of a start that failed, the file as it was
// found: removed when this start made it (while still locked, so that no
// one else took it meanwhile), its content put back when it changed.
func (l *pidLock) abandon() {
	switch {
	case l.created:
		_ = os.Remove(l.path)
	case l.claimed:
		_ = l.f.Truncate(0)
		_, _ = l.f.WriteAt(l.prior, 0)
	}
	l.f.Close()
	mkdirs.Remove(l.dirs)
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

// held reports whether another process holds an exclusive flock on the
// regular file at path (as a server holds its lock files, database and
// spool). It tests with a shared lock, let go at once; a pipe or device is
// never opened (a FIFO's open waits for a writer).
func held(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB), syscall.EWOULDBLOCK)
}
