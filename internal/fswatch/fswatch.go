//go:build linux

// Package fswatch tells tests when a file appears in a directory (Linux's
// inotify), so that a test can act at that moment — kill a process while
// it writes the file — instead of sleeping and hoping.
package fswatch

import (
	"bytes"
	"syscall"
	"testing"
	"unsafe"
)

// Creations watches dir for files created in it from now on, until the
// test ends. Its Next returns the name of the next one that match accepts,
// blocking until there is one.
type Creations struct {
	t  testing.TB
	fd int
}

// Watch starts watching dir.
func Watch(t testing.TB, dir string) *Creations {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	return &Creations{t: t, fd: fd}
}

// Next returns the name (within the directory) of the next file created
// whose name match accepts.
func (c *Creations) Next(match func(name string) bool) string {
	c.t.Helper()
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(c.fd, buf)
		if err != nil {
			c.t.Fatal(err)
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			start := off + syscall.SizeofInotifyEvent
			name := string(bytes.TrimRight(buf[start:start+int(ev.Len)], "\x00"))
			off = start + int(ev.Len)
			if match(name) {
				return name
			}
		}
	}
}
