//go:build !unix

package recorder

import "os"

// lockRemade does nothing here: the server's start locks no file on this
// system either.
func lockRemade(*os.File) error { return nil }
