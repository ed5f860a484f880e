package main

import (
	"os"
	"path/filepath"
	"testing"

	"qwenproxy/internal/diskroom/diskroomtest"
)

// On a disk with less room than the WAL grows to before SQLite checkpoints
// it (~40 MB), the WAL, not the history, filled the disk: with a commit per
// call, 29 calls filled 8 MB of WAL whose pages took 0.7 MB in the file, and
// no checkpoint could run after (it needs room for the file to grow). Every
// later call waited in memory, and the stop dropped it.
func TestTheWALDoesNotFillADiskTheHistoryFitsOn(t *testing.T) {
	bin := buildBinary(t)
	dir, _ := diskroomtest.SmallDisk(t, "8m")
	db := filepath.Join(dir, "qwenproxy.db")
	// A commit per call: each writes every page it touched into the WAL.
	s := serveLogged(t, bin, db, "RECORDER_LINGER=0")
	acked := s.callsAnswered(t, 400, "small disk")
	s.waitQueue(t)
	if held := s.recorderStat(t, "held"); held > 0 {
		fi, _ := os.Stat(db + "-wal")
		t.Fatalf("%v records in memory after 400 calls on an 8 MB disk (WAL %d bytes)", held, fi.Size())
	}
	if code, body := s.health(t, "/health/ready"); code != 200 {
		t.Fatalf("not ready: %d %v", code, body)
	}
	s.stop(t)
	if n := missing(acked, storedIDs(t, db)); n != 0 {
		t.Fatalf("%d of %d answered calls missing", n, len(acked))
	}
}
