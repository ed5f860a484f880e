//go:build unix

package benchcpu

import (
	"syscall"
	"time"
)

// Process is the CPU time the process has used so far (user and system),
// and whether it could be read.
func Process() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
