// Package diskroomtest gives tests a file system of their own to fill: a
// full disk is a real file system's ENOSPC, which a file-size limit (EFBIG)
// does not stand for.
package diskroomtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of size ("8m", "128m") on a directory of the
// test's, unmounted when it ends, and returns the directory and a way to
// fill it to the last byte (undone by the free it returns). Mounting needs
// root: without it the test is skipped, saying why.
func SmallDisk(t testing.TB, size string) (dir string, fill func() (free func())) {
	t.Helper()
	dir = t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("a full disk needs a tmpfs of our own (root): mount: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir, func() func() { return Fill(t, dir) }
}

// Fill writes a file into dir until its file system is full, to the last
// byte, and returns the way to remove it.
func Fill(t testing.TB, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
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
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}
