//go:build !unix

package app

// lockFile is a no-op where flock is not available.
func lockFile(string) (func(), error) { return func() {}, nil }

// lockHeldFile is a no-op where flock is not available.
func lockHeldFile(string) (func(), error) { return func() {}, nil }
