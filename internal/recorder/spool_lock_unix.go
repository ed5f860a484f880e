//go:build unix

package recorder

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockRemade takes an exclusive flock on a spool file the recorder made
// again (follow): the server's start locked the file it found or made, not
// this one, and without a lock a second server naming the same spool would
// take it, and replay this server's records into its own database. A file
// another process holds locked (that second server's, made at the path
// meanwhile) is refused, not shared.
func lockRemade(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("the file now at %s is another server's (it holds it locked): each instance needs its own RECORDER_SPOOL", f.Name())
		}
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return nil
}
