package app

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// ServersFile says whose file path is when it is one a qwenproxy server
// keeps — its SQLite database (or that file's -wal, -shm or -journal) or
// its spool, wherever its DATABASE_PATH and RECORDER_SPOOL put them — or ""
// when it is none: a lock file beside it that a server holds, or that a
// server left (a pid, or empty), or the file itself held locked, as a
// running server holds its database and spool. A command writing a file a
// person named (export --output) knew only the files its own environment
// names: a server's spool elsewhere (RECORDER_SPOOL not set for the
// command) was written over, and that server replayed the export as
// records. It takes no lock a server would find taken but for the instant
// of a test (shared, never exclusive), and opens no pipe or device.
func ServersFile(path string) string {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		base, ok := strings.CutSuffix(path, suffix)
		if !ok || base == "" {
			continue
		}
		if why := serversFile(base); why != "" {
			if suffix != "" {
				return "a file of " + base + ", " + why
			}
			return why
		}
	}
	return ""
}

// pidFile is what a server writes in its lock file: its pid, or nothing
// yet.
var pidFile = regexp.MustCompile(`^[0-9]*\n?$`)

func serversFile(path string) string {
	lock := lockName(path)
	if held(lock) {
		holder, _ := os.ReadFile(lock)
		pid := strings.TrimSpace(string(holder))
		if pid == "" {
			pid = "not written yet: it is starting"
		}
		return fmt.Sprintf("held by a running qwenproxy server (its lock file %s, pid %s)", lock, pid)
	}
	if b, err := readSmall(lock); err == nil && pidFile.Match(b) {
		return fmt.Sprintf("a qwenproxy server's (the lock file %s is beside it; no server holds it now)", lock)
	}
	if held(path) {
		return "held locked by another process, as a running qwenproxy server holds its database and spool"
	}
	return ""
}

// readSmall reads the regular file at path when it is a few bytes, as a
// lock file is.
func readSmall(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 32 {
		return nil, fmt.Errorf("%s: not a lock file", path)
	}
	return os.ReadFile(path)
}
