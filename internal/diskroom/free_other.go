//go:build !unix

package diskroom

import "errors"

// Free is not known here: callers then act as on a disk with room.
func Free(string) (uint64, error) { return 0, errors.New("free space unknown on this system") }
