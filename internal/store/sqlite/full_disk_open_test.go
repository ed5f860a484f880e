package sqlite

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A server restarted (or a command run) on a full disk was refused with
// SQLite's words alone — "ping sqlite: disk I/O error (4874)": it could not
// make the -shm it opens the file with — and nothing said the disk was
// full. The refusal now says so, naming the file system and what to do,
// and the same file opens once there is room.
func TestAnOpenRefusedOnAFullDiskSaysTheDiskIsFull(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a full disk needs a tmpfs of our own (root): mount: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	free := fillDisk(t, dir)

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

// fillDisk writes a file into dir until its file system is full, to the
// last byte, and returns the way to remove it.
func fillDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	f.Close()
	return func() {
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
}
