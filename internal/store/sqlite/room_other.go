//go:build !unix

package sqlite

import "errors"

// freeSpace is not known here: the WAL is left to SQLite's own checkpoints.
func freeSpace(string) (uint64, error) {
	return 0, errors.New("free space unknown on this system")
}
