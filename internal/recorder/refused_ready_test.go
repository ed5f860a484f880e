package recorder

import (
	"context"
	"path/filepath"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// A record the database refuses for what it holds says nothing of the
// database: it is set aside, and the database takes every other record.
// Before, the refusal stayed as the database's answer (Stats.Refusal, which
// /health/ready shows as "refuses the recorder's writes") until another batch
// was written, so one refused call left an idle instance not ready — and a
// load balancer that then sent it nothing kept it so for good.
func TestARecordSetAsideLeavesTheDatabaseTakingWrites(t *testing.T) {
	for _, batches := range []struct {
		name  string
		calls []int // answers: a repeated one is refused
	}{
		{"alone", []int{0}},
		{"last of its batch", []int{1, 2, 1}},
	} {
		t.Run(batches.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dbURL string) {
				st := storetest.Open(t, dbURL)
				r := mustNew(t, st, quiet, Options{SpoolPath: filepath.Join(t.TempDir(), "db.spool"), BatchSize: 100})
				defer r.Close(context.Background())
				r.Record(storedCall(0, 0))
				if err := r.Sync(context.Background()); err != nil {
					t.Fatal(err)
				}
				for i, answer := range batches.calls {
					r.Record(storedCall(100+i, answer)) // the last one repeats an answer stored before it
				}
				if err := r.Sync(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := r.Stats(); got.Rejected != 1 || got.Refusal != "" {
					t.Fatalf("after a record set aside: rejected %d, refusal %q; want 1 and none", got.Rejected, got.Refusal)
				}
			})
		})
	}
}
