package recorder

import (
	"fmt"
	"path/filepath"

	"qwenproxy/internal/diskroom"
)

// MinFreeBytes is the free space, on the file system of each file the
// recorder writes to, under which it is not ready: a batch of calls needs
// more than the one-row write of the database's health check, which still
// fits in pages the database already has on a disk that is full.
const MinFreeBytes = 1 << 20

// Room says why the recorder may soon fail to write ("" when it need not):
// a file system under the database's file or the spool with less than
// MinFreeBytes free. It asks the file systems (a statfs each) when called,
// which readiness does, never a call: nothing is paid per request, and a
// full disk shows before the first batch that it refuses.
func (r *Recorder) Room() string {
	free := r.opt.FreeSpace
	if free == nil {
		free = diskroom.Free
	}
	files := append([]string(nil), r.opt.Disks...)
	if r.opt.SpoolPath != "" {
		files = append(files, r.opt.SpoolPath)
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		n, err := free(dir)
		if err != nil { // unknown: the writes themselves will say
			continue
		}
		if n < MinFreeBytes {
			return fmt.Sprintf("disk full: %d bytes free on the file system of %s (under %d)", n, dir, MinFreeBytes)
		}
	}
	return ""
}
