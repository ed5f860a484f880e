package main

import (
	"fmt"
	"io"

	"qwenproxy/internal/store/sqlite"
)

// sayRestored tells, on stderr, what the SQLite file the command made
// brought in from the save of an earlier file deleted under a server
// (sqlite.Open does it, for every command as for serve): the keys the
// next server takes, and the copy that brings the calls.
func sayRestored(stderr io.Writer, command string) func(sqlite.RestoredSave) {
	return func(r sqlite.RestoredSave) {
		fmt.Fprintf(stderr, "qwenproxy %s: %s\n", command, r)
	}
}
