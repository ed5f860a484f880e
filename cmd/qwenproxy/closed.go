package main

import (
	"errors"
	"fmt"
	"io"

	"qwenproxy/internal/store/sqlite"
)

// sayWALKept says on stderr that closing a command's database left its WAL
// not checkpointed (sqlite.ErrWALKept: a full disk, another process's
// reader): the file alone is then not whole, which whoever copies it next
// must know. The command's own work is done (the -wal holds it), so its
// exit status stays as it was.
func sayWALKept(stderr io.Writer, command string, err error) {
	if errors.Is(err, sqlite.ErrWALKept) {
		fmt.Fprintf(stderr, "qwenproxy %s: warning: %v\n", command, err)
	}
}
