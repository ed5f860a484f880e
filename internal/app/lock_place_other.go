//go:build !unix

package app

// lockPlaceRefused is err as it is here: no lock is made on this system.
func lockPlaceRefused(_, _ string, err error) error { return err }

// fileRefused is err as it is here.
func fileRefused(err error) error { return err }
