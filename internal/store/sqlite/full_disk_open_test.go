package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/diskroom/diskroomtest"
)

// A server restarted (or a command run) on a full disk was refused with
// SQLite's words alone — "ping sqlite: disk I/O error (4874)": it could not
// make the -shm it opens the file with — and nothing said the disk was
// full. The refusal now says so, naming the file system and what to do,
// and the same file opens once there is room.
func TestAnOpenRefusedOnAFullDiskSaysTheDiskIsFull(t *testing.T) {
	ctx := context.Background()
	dir, fill := diskroomtest.SmallDisk(t, "4m")
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	free := fill()

	_, err := Open(ctx, path, Options{Serving: true})
	if err == nil {
		t.Fatal("opened on a full disk; the test needs the open refused")
	}
	for _, want := range []string{"the file system of " + dir + " is full", "free some space"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}

	free()
	s, err := Open(ctx, path, Options{Serving: true})
	if err != nil {
		t.Fatalf("open once there is room: %v", err)
	}
	s.Close()
}
