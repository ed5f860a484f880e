package recorder

import (
	"path/filepath"
	"strings"
	"testing"
)

// On a full disk /health/ready said "recorder: ok" until a batch of calls
// failed: the database's one-row check still fit in pages it had. The
// recorder now says it has no room as soon as a file system it writes to
// (the database's, the spool's) has less than MinFreeBytes free.
func TestRoomSaysADiskIsFullBeforeABatchFails(t *testing.T) {
	dir := t.TempDir()
	dbDir, spoolDir := filepath.Join(dir, "db"), filepath.Join(dir, "spool")
	free := map[string]uint64{dbDir: 10 << 30, spoolDir: 10 << 30}
	r := mustNew(t, &memWriter{}, quiet, Options{SpoolPath: filepath.Join(spoolDir, "q.spool"), Disks: []string{filepath.Join(dbDir, "q.db")},
		FreeSpace: func(d string) (uint64, error) { return free[d], nil }})
	defer r.Close(t.Context())
	if got := r.Room(); got != "" {
		t.Fatalf("room with 10 GiB free: %q", got)
	}
	for _, full := range []string{dbDir, spoolDir} {
		free[full] = MinFreeBytes - 1
		if got := r.Room(); !strings.Contains(got, "disk full") || !strings.Contains(got, full) {
			t.Errorf("%s nearly full: room %q, want it named", full, got)
		}
		free[full] = 10 << 30
	}
}
