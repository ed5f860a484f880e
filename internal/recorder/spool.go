package recorder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	qp "qwenproxy"
)

// spool is an append-only file of records the database could not take yet:
// the queue was full, or the database refused a batch (locked past its busy
// timeout, disk full, read-only, its file deleted). The writer replays it, in
// order, as soon as the database takes writes again, and at the next start.
//
// The file is never rewritten: a replay reads it from where the last one
// stopped (done) and the file is truncated to nothing only once every byte
// of it was written to the database. A replay cut by a crash starts again
// from the beginning at the next start, which stores nothing twice (a call
// already stored is skipped, an older session state never overwrites a newer
// one). Nothing in it is lost to a full disk: an append that fails is cut
// back to the last whole line, and truncation needs no space.
type spool struct {
	path string
	mu   sync.Mutex
	f    *os.File
	info os.FileInfo // f as opened: the file path must still name
	// gen counts the files f has been: a replay reading an earlier one
	// stops, as its offsets are not the new file's.
	gen int
	// old are the files f was before, kept open for a replay still
	// reading one; closed with the spool.
	old  []*os.File
	size int64 // bytes in the file, all whole lines
	done int64 // bytes from the start already written to the database
	// corrupt counts unreadable lines found by replays; their bytes are
	// kept in the side file (path + ".corrupt") for an operator.
	corrupt int64
}

// spoolLine is one spooled item.
type spoolLine struct {
	Session  *qp.Session  `json:"session,omitempty"`
	Exchange *qp.Exchange `json:"exchange,omitempty"`
}

func openSpool(path string) (*spool, error) {
	// Its directory may not exist yet: on PostgreSQL nothing else made it.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	// Earlier versions set a spool aside while replaying it; one left by a
	// crash goes back in front.
	if _, err := os.Stat(path + ".replaying"); err == nil {
		if err := prependFile(path, path+".replaying"); err != nil {
			return nil, fmt.Errorf("open spool: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open spool: %w", err)
	}
	sp := &spool{path: path, f: f, info: st, size: st.Size()}
	if err := sp.endLine(); err != nil {
		f.Close()
		return nil, fmt.Errorf("open spool: %w", err)
	}
	return sp, nil
}

// endLine ends a line torn by a crash, so that the next append starts a
// line of its own and the torn one alone is set aside as unreadable.
func (s *spool) endLine() error {
	if s.size == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := s.f.ReadAt(last, s.size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	n, err := s.f.Write([]byte{'\n'})
	s.size += int64(n)
	return err
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
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return os.Remove(front)
}

// encodeLines is items as spool lines, and where each item's line ends in
// them (a barrier, which has none, ends where the line before it does).
func encodeLines(items []item) (buf []byte, ends []int, err error) {
	ends = make([]int, len(items))
	for i, it := range items {
		if it.barrier == nil {
			b, err := json.Marshal(spoolLine{Session: it.session, Exchange: it.ex})
			if err != nil {
				return nil, nil, fmt.Errorf("spool: encode: %w", err)
			}
			buf = append(append(buf, b...), '\n')
		}
		ends[i] = len(buf)
	}
	return buf, ends, nil
}

// append writes items at the end of the spool, in order, and returns how
// many it wrote: all of them, or, when a write is cut short (a disk with
// room for some), those whose lines the disk took whole — the torn line
// after them is cut back, so the file never holds one that would spoil the
// next — and the error. All or none would keep a batch that does not fit
// whole out entirely, and every record memory holds behind it: with 13 MB
// of them in memory, 5 MB freed took none. Once it returns, the bytes of the
// items written are the operating system's: they survive the process being
// killed.
func (s *spool) append(items []item) (int, error) {
	buf, ends, err := encodeLines(items)
	if err != nil {
		return 0, err
	}
	if len(buf) == 0 {
		return len(items), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.follow(); err != nil {
		return 0, err
	}
	n, err := s.f.Write(buf)
	if err != nil {
		whole := 0 // items whose line was written whole
		for whole < len(ends) && ends[whole] <= n {
			whole++
		}
		kept := 0
		if whole > 0 {
			kept = ends[whole-1]
		}
		if n > kept {
			if terr := s.f.Truncate(s.size + int64(kept)); terr != nil {
				// The torn tail stays; replay sets it aside as unreadable.
				s.size += int64(n)
				return whole, fmt.Errorf("spool: %w (and cutting the torn line back: %v)", err, terr)
			}
		}
		s.size += int64(kept)
		return whole, fmt.Errorf("spool: %w", err)
	}
	s.size += int64(n)
	return len(items), nil
}

// bytes is what the spool holds that the database does not have yet.
func (s *spool) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size - s.done
}

func (s *spool) corruptLines() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corrupt
}

// corruptLine is an unreadable line found by a replay.
type corruptLine struct {
	offset int64 // where it starts in the spool
	bytes  []byte
}

// replay feeds the spooled items to write, in order, in batches of n, from
// where the last replay stopped. Appends go on meanwhile (handlers must
// never wait on the database); the replay reads up to the size the file had
// when it started. Unreadable lines are handed to bad, and skipped only if
// it succeeds (it keeps them elsewhere); otherwise the replay stops there.
// Once everything is written the file is emptied.
func (s *spool) replay(n int, write func([]item) error, bad func([]corruptLine) error) (replayed int, err error) {
	s.mu.Lock()
	if err := s.follow(); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	start, end, r, gen := s.done, s.size, s.f, s.gen
	s.mu.Unlock()
	if start == end {
		return 0, nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, start, end-start), 1<<20)
	offset := start
	for offset < end {
		var batch []item
		var corrupt []corruptLine
		batchEnd := offset
		for len(batch) < n && batchEnd < end {
			line, readErr := br.ReadBytes('\n')
			if len(line) == 0 && readErr != nil {
				break
			}
			at := batchEnd
			batchEnd += int64(len(line))
			if it, ok := decodeLine(line); ok {
				batch = append(batch, it)
			} else {
				corrupt = append(corrupt, corruptLine{offset: at, bytes: line})
			}
			if readErr != nil {
				break
			}
		}
		if batchEnd == offset {
			break
		}
		// Written first: a batch the database refuses is read again, with
		// its unreadable lines, which must then not be set aside twice.
		if len(batch) > 0 {
			if err := write(batch); err != nil {
				return replayed, err
			}
			replayed += len(batch)
		}
		if len(corrupt) > 0 {
			if err := bad(corrupt); err != nil {
				return replayed, err
			}
			s.mu.Lock()
			s.corrupt += int64(len(corrupt))
			s.mu.Unlock()
		}
		offset = batchEnd
		s.mu.Lock()
		if s.gen != gen { // made again meanwhile: the next replay reads the new file
			s.mu.Unlock()
			return replayed, nil
		}
		s.done = offset
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen && s.done == s.size { // nothing was appended meanwhile
		if err := s.f.Truncate(0); err != nil {
			return replayed, fmt.Errorf("spool: empty it: %w", err)
		}
		s.size, s.done = 0, 0
	}
	return replayed, nil
}

// decodeLine reads one whole spool line.
func decodeLine(line []byte) (item, bool) {
	if !bytes.HasSuffix(line, []byte("\n")) {
		return item{}, false // torn by a crash
	}
	var sl spoolLine
	if json.Unmarshal(line, &sl) != nil || (sl.Exchange == nil) == (sl.Session == nil) {
		return item{}, false
	}
	if sl.Exchange != nil && sl.Exchange.Request.RequestID == "" || sl.Session != nil && sl.Session.ID == "" {
		return item{}, false
	}
	return item{ex: sl.Exchange, session: sl.Session}, true
}

// keepCorrupt appends unreadable lines, as they were, to the side file
// path + ".corrupt", for an operator to look at.
func (s *spool) keepCorrupt(lines []corruptLine) error {
	f, err := os.OpenFile(s.path+".corrupt", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spool: keep unreadable lines: %w", err)
	}
	var buf []byte
	for _, l := range lines {
		buf = append(buf, l.bytes...)
		if !bytes.HasSuffix(l.bytes, []byte("\n")) {
			buf = append(buf, '\n')
		}
	}
	_, werr := f.Write(buf)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("spool: keep unreadable lines: %w", err)
	}
	return nil
}

func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.old {
		f.Close()
	}
	return s.f.Close()
}

// follow makes the spool again at its path when the file there is no
// longer the one open — deleted (its directory removed) or replaced —
// locked as the start locked the first (lockRemade: a file another server
// holds is refused), with what the open one holds that the database does
// not have yet:
// appends to a deleted file would be lost with the process, and a restart
// would find nothing to replay. A file put in its place keeps its lines,
// ahead of these, and is replayed from its start. The caller holds s.mu.
//
// A file cut short (truncated by hand) is replayed from its start again:
// the records appended since the cut lie below the offsets counted, and
// the bytes cut away will never come (a replay stores nothing twice).
func (s *spool) follow() error {
	if cur, err := os.Stat(s.path); err == nil && os.SameFile(cur, s.info) {
		if cur.Size() < s.size {
			s.size, s.done = cur.Size(), 0
			s.gen++
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("spool: make it again: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("spool: make it again: %w", err)
	}
	if err := lockRemade(f); err != nil {
		f.Close()
		return fmt.Errorf("spool: make it again: %w", err)
	}
	next := &spool{path: s.path, f: f}
	if next.info, err = f.Stat(); err == nil {
		next.size = next.info.Size()
		err = next.endLine()
	}
	if err == nil {
		var n int64
		if n, err = io.Copy(f, io.NewSectionReader(s.f, s.done, s.size-s.done)); err != nil {
			f.Truncate(next.size) // a torn tail left: replay sets it aside as unreadable
		}
		next.size += n
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: make it again: %w", err)
	}
	s.old = append(s.old, s.f)
	s.f, s.info, s.size, s.done = f, next.info, next.size, 0
	s.gen++
	return nil
}
