// Package diskroom says how much room a file system has left: the
// recorder's spool and the SQLite store's write-ahead log each act on it
// before a disk fills.
package diskroom
