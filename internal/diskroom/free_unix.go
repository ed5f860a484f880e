//go:build unix

package diskroom

import (
	"fmt"
	"syscall"
)

// Free is the bytes an unprivileged process may still write on the file
// system of dir.
func Free(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
