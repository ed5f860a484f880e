package recorder

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	qp "qwenproxy"
)

// spool is an append-only file of records the database could not take yet:
// the queue was full, or the database refused a batch (locked past its busy
// timeout, disk full, read-only). The writer replays it, in order, as soon as
// the database takes writes again, and at the next start.
type spool struct {
	path  string
	mu    sync.Mutex
	f     *os.File
	size  int64
	aside int64 // bytes set aside by a replay in progress
}

// spoolLine is one spooled item.
type spoolLine struct {
	Session  *qp.Session  `json:"session,omitempty"`
	Exchange *qp.Exchange `json:"exchange,omitempty"`
}

func openSpool(path string) (*spool, error) {
	// A replay cut short by a crash left its file: it goes back in front.
	if _, err := os.Stat(path + ".replaying"); err == nil {
		if err := prependFile(path, path+".replaying"); err != nil {
			return nil, fmt.Errorf("open spool: %w", err)
		}
	}
	// Its directory may not exist yet: on PostgreSQL nothing else made it.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open spool: %w", err)
	}
	return &spool{path: path, f: f, size: st.Size()}, nil
}

// prependFile puts the contents of front before those of path, then
// removes front.
func prependFile(path, front string) error {
	head, err := os.ReadFile(front)
	if err != nil {
		return err
	}
	tail, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(head, tail...), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return os.Remove(front)
}

// append writes items at the end of the spool.
func (s *spool) append(items []item) error {
	var buf []byte
	for _, it := range items {
		if it.barrier != nil {
			continue
		}
		b, err := json.Marshal(spoolLine{Session: it.session, Exchange: it.ex})
		if err != nil {
			return fmt.Errorf("spool: encode: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.f.Write(buf)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// bytes is what the spool holds, counting a replay in progress.
func (s *spool) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size + s.aside
}

// replay feeds the spooled items to write, in order, in batches of n. It
// takes the spool aside first, so that appends (from handlers, which must
// never wait on the database) go on meanwhile into a fresh file. Items not
// written go back in front of those.
func (s *spool) replay(n int, write func([]item) error) (replayed int, err error) {
	aside := s.path + ".replaying"
	s.mu.Lock()
	if s.size == 0 {
		s.mu.Unlock()
		return 0, nil
	}
	s.aside = s.size
	err = s.swap(func() error { return os.Rename(s.path, aside) })
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.aside = 0
		s.mu.Unlock()
	}()
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}

	r, err := os.Open(aside)
	if err != nil {
		return 0, fmt.Errorf("spool: %w", err)
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var offset int64 // bytes of the set-aside spool written to the database
	var writeErr error
	for writeErr == nil {
		var batch []item
		var batchBytes int64
		for len(batch) < n {
			line, readErr := br.ReadBytes('\n')
			if len(line) > 0 && line[len(line)-1] == '\n' {
				batchBytes += int64(len(line))
				var sl spoolLine
				if json.Unmarshal(line, &sl) == nil && (sl.Exchange != nil || sl.Session != nil) {
					batch = append(batch, item{ex: sl.Exchange, session: sl.Session})
				}
			}
			if readErr != nil {
				break // EOF, or a torn last line from a crash: dropped with the file
			}
		}
		if len(batch) == 0 {
			break
		}
		if writeErr = write(batch); writeErr == nil {
			replayed += len(batch)
			offset += batchBytes
		}
	}
	r.Close()
	if writeErr == nil {
		return replayed, os.Remove(aside)
	}
	// Keep what was not written, ahead of what was appended meanwhile.
	if err := cutFront(aside, offset); err != nil {
		return replayed, errors.Join(writeErr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.swap(func() error { return prependFile(s.path, aside) }); err != nil {
		return replayed, errors.Join(writeErr, err)
	}
	return replayed, writeErr
}

// swap closes the spool file, runs change on the files, and reopens the
// spool. The caller holds s.mu.
func (s *spool) swap(change func() error) error {
	s.f.Close()
	changeErr := change()
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return errors.Join(changeErr, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return errors.Join(changeErr, err)
	}
	s.f, s.size = f, st.Size()
	return changeErr
}

// cutFront drops the first offset bytes of a file.
func cutFront(path string, offset int64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b[min(offset, int64(len(b))):], 0o600)
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
