package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// exportFile is the file export --output writes. A regular file (there or
// not) is written under a temporary name beside it and renamed over it
// once the export is whole: an export that fails part-way (a body it cannot
// read, a lost connection, ^C) leaves the file as it was rather than
// truncated, or holding the calls before the failure as if they were all.
// Anything else (/dev/stdout, a pipe) is written as it is.
type exportFile struct {
	*os.File
	tmp, final string // tmp is "" when written in place
}

// newExportMode is a new export file's: readable by its owner alone, as the
// database it was read from is (an export holds every conversation it
// lists); under the usual umask os.Create made it readable by every user
// of the machine.
const newExportMode = 0o600

func createExportFile(path string) (*exportFile, error) {
	final := path
	resolved, linkErr := filepath.EvalSymlinks(path)
	if linkErr == nil {
		final = resolved // a link is written through, not replaced
	}
	fi, err := os.Stat(final)
	if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 && linkErr != nil ||
		err == nil && !fi.Mode().IsRegular() || err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A link to no file yet (made here, as a new file is), a device
		// or a pipe.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, newExportMode)
		return &exportFile{File: f}, err
	}
	tmp := filepath.Join(filepath.Dir(final), fmt.Sprintf(".%s.%d.partial", filepath.Base(final), os.Getpid()))
	// A new file's mode is newExportMode; a replaced file keeps its own.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, newExportMode)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, &fs.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return nil, err
	}
	if fi != nil {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			f.Close()
			os.Remove(tmp)
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	}
	return &exportFile{File: f, tmp: tmp, final: final}, nil
}

// commit closes the file (a write the disk refused may show only here) and
// puts it in place.
func (f *exportFile) commit() error {
	if err := f.File.Close(); err != nil {
		f.abandon()
		return err
	}
	if f.tmp == "" {
		return nil
	}
	if err := os.Rename(f.tmp, f.final); err != nil {
		os.Remove(f.tmp)
		return fmt.Errorf("--output: %w", err)
	}
	f.tmp = ""
	return nil
}

// abandon closes the file and removes what was written under the
// temporary name; after commit it does nothing.
func (f *exportFile) abandon() {
	f.File.Close()
	if f.tmp != "" {
		os.Remove(f.tmp)
		f.tmp = ""
	}
}
