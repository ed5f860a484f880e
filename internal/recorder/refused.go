package recorder

import (
	"errors"
	"fmt"
	"os"

	qp "qwenproxy"
)

// isolate writes b, which the database refused with err for what a record
// in it holds (qp.ErrRecordRefused), in halves until each record it refuses
// is alone, and sets those aside (setAside): written again as it is, the
// batch would fail again, and held up every record after it, the spool's
// replay too, for good. It returns how many calls it set aside, or the
// first error that is not a refusal (the database became unavailable: the
// whole batch is then parked, and what was written of it is skipped when it
// is written again).
func (r *Recorder) isolate(b qp.Batch, err error) (int, error) {
	if len(b.Sessions)+len(b.Exchanges) == 1 {
		r.setAside(b, err)
		return len(b.Exchanges), nil
	}
	total := 0
	for _, half := range halves(b) {
		err := r.writeBatch(half)
		if err == nil {
			continue
		}
		if !errors.Is(err, qp.ErrRecordRefused) {
			return 0, err
		}
		n, err := r.isolate(half, err)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// halves cuts b in two, sessions before calls as a batch writes them.
func halves(b qp.Batch) [2]qp.Batch {
	k := (len(b.Sessions) + len(b.Exchanges)) / 2
	if k <= len(b.Sessions) {
		return [2]qp.Batch{{Sessions: b.Sessions[:k]}, {Sessions: b.Sessions[k:], Exchanges: b.Exchanges}}
	}
	k -= len(b.Sessions)
	return [2]qp.Batch{{Sessions: b.Sessions, Exchanges: b.Exchanges[:k]}, {Exchanges: b.Exchanges[k:]}}
}

// setAside keeps a record the database refuses in the spool's side file
// path + ".rejected" (a spool line, as the spool holds it), for an operator
// to look at, and logs it; without a spool it is dropped, and logged so.
func (r *Recorder) setAside(b qp.Batch, why error) {
	// A call is set aside once: its batch may be written again (retried,
	// or parked and replayed when the database went away mid-isolation),
	// and refused again.
	if len(b.Exchanges) == 1 {
		id := b.Exchanges[0].Request.RequestID
		if r.setAsideIDs[id] {
			return
		}
		if len(r.setAsideIDs) >= maxSetAsideIDs {
			clear(r.setAsideIDs) // bounded: an older one may then be set aside twice
		}
		r.setAsideIDs[id] = true
	}
	items := (&batch{Batch: b}).items()
	if r.spool == nil {
		r.dropAll(items, "the database refuses it: "+why.Error())
		return
	}
	path := r.spool.path + ".rejected"
	if err := appendLines(path, items); err != nil {
		r.dropAll(items, fmt.Sprintf("the database refuses it (%v), and %v", why, err))
		return
	}
	r.rejected.Add(1)
	args := []any{"kept_in", path, "err", why}
	if len(b.Exchanges) == 1 {
		args = append(args, "request_id", b.Exchanges[0].Request.RequestID)
	} else {
		args = append(args, "session_id", b.Sessions[0].ID)
	}
	r.log.Error("record refused by the database; set aside", args...)
}

// maxSetAsideIDs bounds the request ids setAside remembers.
const maxSetAsideIDs = 10_000

// appendLines appends items, as spool lines, to the file at path.
func appendLines(path string, items []item) error {
	lines, _, err := encodeLines(items)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("keep refused record: %w", err)
	}
	_, werr := f.Write(lines)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("keep refused record: %w", err)
	}
	return nil
}
