package recorder

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// InDatabase tells a reader that looks records up by id whether what was
// queued before it is in the database, where Sync says only that it was
// placed: with the database refusing, records spooled or held in memory
// are not there, and a record a client was just given was read as "not
// found" (GET /v1/requests/{id}, /v1/responses/{id}: 404).
func TestInDatabaseIsNotSatisfiedByTheSpoolOrMemory(t *testing.T) {
	for _, c := range []struct {
		name  string
		spool bool
	}{{"held in memory", false}, {"spooled", true}} {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{RetryDelay: time.Millisecond, WriteRetries: 1}
			if c.spool {
				opt.SpoolPath = filepath.Join(t.TempDir(), "db.spool")
			}
			w := &memWriter{fail: 1 << 30}
			r := mustNew(t, w, quiet, opt)
			defer r.Close(context.Background())
			if err := r.InDatabase(context.Background()); err != nil {
				t.Fatalf("InDatabase with nothing queued: %v", err)
			}
			r.Record(ex(1))
			if err := r.Sync(context.Background()); err != nil {
				t.Fatalf("Sync with the record placed elsewhere: %v", err)
			}
			if st := r.Stats(); c.spool && st.SpoolBytes == 0 || !c.spool && st.Held != 1 {
				t.Fatalf("the record is not where the test wants it: %+v", st)
			}
			if err := r.InDatabase(context.Background()); !errors.Is(err, ErrNotInDatabase) {
				t.Fatalf("InDatabase with the record %s: %v, want ErrNotInDatabase", c.name, err)
			}
			// The database takes writes again: the barrier writes what is
			// held or spooled first.
			w.mu.Lock()
			w.fail = 0
			w.mu.Unlock()
			if err := r.InDatabase(context.Background()); err != nil {
				t.Fatalf("InDatabase once the database takes the record: %v", err)
			}
			if ids := w.ids(); len(ids) != 1 || ids[0] != "1" {
				t.Fatalf("written: %v", ids)
			}
		})
	}
}
