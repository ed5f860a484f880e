//go:build !unix

package app

// lockFile is a no-op where flock is not available.
func lockFile(string) (*pidLock, error) { return &pidLock{}, nil }

// pidLock is a lock file this process holds: none here.
type pidLock struct{}

func (*pidLock) claim()   {}
func (*pidLock) release() {}
func (*pidLock) abandon() {}

// lockHeldFile is a no-op where flock is not available.
func lockHeldFile(string) (func(), error) { return func() {}, nil }

// held is false where flock is not available.
func held(string) bool { return false }
