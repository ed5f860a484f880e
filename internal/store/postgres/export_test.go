package postgres

import "time"

// SetSessionLockSlice sets how long one wait for a session's lock lasts, for
// the stores opened until restore.
func SetSessionLockSlice(d time.Duration) (restore func()) {
	was := sessionLockSlice
	sessionLockSlice = d
	return func() { sessionLockSlice = was }
}
