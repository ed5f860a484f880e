package recorder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SpoolMask is what a spool's records are masked with: JSON for the
// bodies (the client's request, the request sent to Qwen, the referenced
// items, both answers), Text for the failure's message and attempts and
// the session's first message — as `history redact` masks the database's
// columns.
type SpoolMask struct {
	JSON, Text func([]byte) []byte
	// Name masks a session's first message (see sqlstore.Redaction); nil:
	// Text.
	Name func([]byte) []byte
}

// SpoolRedaction counts what RedactSpool read and rewrote.
type SpoolRedaction struct {
	Records   int // spool lines read, in the spool and its side files
	Rewritten int // of them, lines that held something masked
	Files     int // files rewritten
}

// spoolFiles are the files a spool at path consists of: the spool, the
// records the database refused (setAside), and the part of a spool an
// earlier version set aside while replaying it (openSpool puts it back in
// front).
func spoolFiles(path string) []string {
	return []string{path, path + ".replaying", path + ".rejected"}
}

// HasSpool says whether the spool at path, or a side file of it, exists.
func HasSpool(path string) bool {
	for _, name := range append(spoolFiles(path), path+".corrupt") {
		if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
			return true
		}
	}
	return false
}

// RedactSpool masks the records a spool at path holds (the records not
// written to the database yet, and those it refused), each file rewritten
// whole — written beside it, synced and renamed over it — only when a line
// of it changed; the unreadable lines set aside in path + ".corrupt" are
// masked as text. The caller must hold the spool's locks: a server
// appending to it meanwhile would lose what it appended. A spool that does
// not exist is nothing to mask. An unreadable file is an error, and the
// files rewritten before it stay rewritten (run again to finish).
func RedactSpool(path string, m SpoolMask) (SpoolRedaction, error) {
	var total SpoolRedaction
	for _, name := range spoolFiles(path) {
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return total, fmt.Errorf("read the spool: %w", err)
		}
		masked, n, err := maskSpoolLines(b, m)
		if err != nil {
			return total, fmt.Errorf("%s: %w", name, err)
		}
		total.Records += bytes.Count(b, []byte{'\n'})
		if n == 0 {
			continue
		}
		if err := replaceFile(name, masked); err != nil {
			return total, err
		}
		total.Rewritten += n
		total.Files++
	}
	corrupt := path + ".corrupt"
	b, err := os.ReadFile(corrupt)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return total, fmt.Errorf("read the spool's unreadable lines: %w", err)
	default:
		if masked := m.Text(b); !bytes.Equal(masked, b) {
			if err := replaceFile(corrupt, masked); err != nil {
				return total, err
			}
			total.Files++
		}
	}
	return total, nil
}

// maskSpoolLines masks each record of a spool file's lines and returns the
// file as it is then, and how many lines changed. A line that cannot be
// read as a record (one torn by a crash, which a replay sets aside) is
// masked as text.
func maskSpoolLines(b []byte, m SpoolMask) ([]byte, int, error) {
	var out bytes.Buffer
	changed := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for sc.Scan() {
		line := sc.Bytes()
		var l spoolLine
		kept := line
		if err := json.Unmarshal(line, &l); err == nil {
			if maskSpoolLine(&l, m) {
				if kept, err = json.Marshal(l); err != nil {
					return nil, 0, fmt.Errorf("encode a masked record: %w", err)
				}
			}
		} else {
			kept = m.Text(line)
		}
		if !bytes.Equal(kept, line) {
			changed++
		}
		out.Write(kept)
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	return out.Bytes(), changed, nil
}

// maskSpoolLine masks a spooled record in place and says whether anything
// changed.
func maskSpoolLine(l *spoolLine, m SpoolMask) bool {
	changed := false
	mask := func(b *[]byte, with func([]byte) []byte) {
		if len(*b) == 0 {
			return
		}
		if kept := with(*b); !bytes.Equal(kept, *b) {
			*b, changed = kept, true
		}
	}
	text := func(s *string) {
		b := []byte(*s)
		mask(&b, m.Text)
		*s = string(b)
	}
	if s := l.Session; s != nil {
		name := m.Name
		if name == nil {
			name = m.Text
		}
		b := []byte(s.FirstUserMessage)
		mask(&b, name)
		s.FirstUserMessage = string(b)
	}
	if e := l.Exchange; e != nil {
		for _, b := range []*[]byte{&e.Request.OpenAIRequest, &e.Request.QwenRequest, &e.Request.ReferencedItems,
			&e.Response.OpenAIResponse, &e.Response.QwenResponse} {
			mask(b, m.JSON)
		}
		text(&e.Response.ErrorMessage)
		for i := range e.Response.UpstreamErrors {
			text(&e.Response.UpstreamErrors[i])
		}
	}
	return changed
}

// replaceFile puts b in place of the file at name: written beside it
// (owner-only, as the spool is), synced, renamed over it, and the
// directory synced, so that a crash leaves the old file or the new, whole.
func replaceFile(name string, b []byte) error {
	tmp := name + ".redacting"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", name, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rewrite %s: %w", name, err)
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
