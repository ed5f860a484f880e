package sqlite

import (
	"fmt"
	"path/filepath"

	"qwenproxy/internal/diskroom"
)

// openRoomBytes is the room under which an open that failed is put down
// to a full disk: the recorder's readiness calls a file system with less
// than this full too (recorder.MinFreeBytes).
const openRoomBytes = 1 << 20

// noRoom says why an open failed when the file system of path is full, ""
// otherwise (or when its room is not known). SQLite opens a WAL database
// by making and sizing its -shm and -wal, and says only "disk I/O error
// (4874)" or "database or disk is full" when it cannot: a server restarted
// on a full disk gave the operator no hint of it.
func noRoom(path string) string {
	dir := filepath.Dir(path)
	free, err := diskroom.Free(dir)
	if err != nil || free >= openRoomBytes {
		return ""
	}
	return fmt.Sprintf("the file system of %s is full (%d bytes free): SQLite needs room there to open the database (its -shm and -wal); free some space there and try again", dir, free)
}
