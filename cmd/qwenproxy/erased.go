package main

import (
	"errors"
	"fmt"
	"strings"

	"qwenproxy/internal/store/sqlstore"
)

// warnNotErased turns a store's failure to finish erasing what a command
// removed or replaced (sqlstore.ErrNotErased: its write is committed, but a
// server beside it held the WAL) into a warning on stderr, saying where
// copies may remain and when they leave (again, when set, is another way
// to erase them); it returns any other error as is. erased is false after
// a warning.
func warnNotErased(c *cli, command string, err error, again ...string) (erased bool, _ error) {
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, sqlstore.ErrNotErased) {
		return false, err
	}
	fmt.Fprintf(c.stderr, "qwenproxy %s: warning: done, but %v: the values it removed or replaced may still be readable in the database's -wal, "+
		"and in the file until the WAL is checkpointed; they leave when the servers on this database stop (the last to close checkpoints "+
		"the WAL into the file and removes it)%s\n", command, err, strings.Join(again, ""))
	return false, nil
}
