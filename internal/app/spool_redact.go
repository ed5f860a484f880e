package app

import (
	"errors"
	"fmt"

	"qwenproxy/internal/recorder"
)

// ErrSpoolHeld is RedactSpool's answer when a server holds the spool: the
// records it has not written to the database yet (queued in its memory or
// in the spool) cannot be reached from another process.
var ErrSpoolHeld = errors.New("a running server holds the spool")

// RedactSpool masks the records in the recorder's spool at path (see
// recorder.RedactSpool) under the locks a server takes on it at its start
// (lock): none can start meanwhile, and a spool a server holds is refused
// with ErrSpoolHeld, naming its pid. A spool that was never made is
// nothing to mask (and no lock file is left behind).
func RedactSpool(path string, m recorder.SpoolMask) (recorder.SpoolRedaction, error) {
	if path == "" || !recorder.HasSpool(path) {
		return recorder.SpoolRedaction{}, nil
	}
	l, err := lockFile(lockName(path))
	if errors.Is(err, errLocked) {
		return recorder.SpoolRedaction{}, fmt.Errorf("%w: %v", ErrSpoolHeld, err)
	}
	if err != nil {
		return recorder.SpoolRedaction{}, err
	}
	defer l.abandon() // as found: this process never names itself in it
	release, err := lockHeldFile(path)
	if errors.Is(err, errLocked) {
		return recorder.SpoolRedaction{}, fmt.Errorf("%w: %v", ErrSpoolHeld, err)
	}
	if err != nil {
		return recorder.SpoolRedaction{}, err
	}
	defer release()
	return recorder.RedactSpool(path, m)
}
