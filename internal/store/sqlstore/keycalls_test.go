package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A limited key's calls in flight are counted in the database: up to its
// stored limit, a call ended or whose lease ran out no longer counts, a
// renewed lease keeps counting, and a key without a limit (or unknown)
// records nothing.
func TestKeyCalls(t *testing.T) { storetest.Each(t, testKeyCalls) }

func testKeyCalls(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli())
	for _, k := range []qp.APIKey{{ID: "k2", Hash: "h2", MaxConcurrent: 2, CreatedAt: now}, {ID: "free", Hash: "h3", CreatedAt: now}} {
		if err := st.AddAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	take := func(key, call string, at time.Time, want bool) {
		t.Helper()
		taken, limit, err := st.TakeKeyCall(ctx, key, call, at, at.Add(time.Minute))
		if err != nil || taken != want {
			t.Fatalf("take %s of %s at %s: %v %v, want %v", call, key, at.Sub(now), taken, err, want)
		}
		if key == "k2" && limit != 2 {
			t.Fatalf("take %s: limit %d, want the stored 2", call, limit)
		}
	}
	take("k2", "c1", now, true)
	take("k2", "c2", now, true)
	take("k2", "c3", now, false)
	if err := st.EndKeyCall(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	take("k2", "c3", now, true)
	take("k2", "c4", now, false)

	// c3's lease is renewed; c2's runs out a minute after now.
	if err := st.RenewKeyCalls(ctx, []string{"c3", "gone"}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	take("k2", "c4", later, true)  // c2 expired
	take("k2", "c5", later, false) // c3 (renewed) and c4

	// A changed limit counts at once.
	if err := st.SetAPIKeyLimit(ctx, "k2", 3); err != nil {
		t.Fatal(err)
	}
	if taken, limit, err := st.TakeKeyCall(ctx, "k2", "c5", later, later.Add(time.Minute)); err != nil || !taken || limit != 3 {
		t.Fatalf("after the limit was raised: %v %d %v", taken, limit, err)
	}

	for _, key := range []string{"free", "deleted"} {
		taken, limit, err := st.TakeKeyCall(ctx, key, "x-"+key, now, now.Add(time.Minute))
		if err != nil || !taken || limit != 0 {
			t.Fatalf("a call of key %s: %v %d %v, want taken with no limit", key, taken, limit, err)
		}
	}
	var rows int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM key_calls WHERE call_id LIKE 'x-%'`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("calls of keys without a limit recorded: %d %v", rows, err)
	}
	if err := st.EndKeyCall(ctx, "never-taken"); err != nil {
		t.Fatalf("ending a call with no row: %v", err)
	}
}

// Two instances admitting calls of one key at once together admit exactly
// its limit: each counts after the other's insert, not beside it.
func TestKeyCallsBetweenInstances(t *testing.T) { storetest.Each(t, testKeyCallsBetweenInstances) }

func testKeyCallsBetweenInstances(t *testing.T, dbURL string) {
	first := storetest.Open(t, dbURL)
	second := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.Now()
	if err := first.AddAPIKey(ctx, qp.APIKey{ID: "k", Hash: "h", MaxConcurrent: 3, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var taken atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		st := first
		if i%2 == 1 {
			st = second
		}
		wg.Go(func() {
			ok, _, err := st.TakeKeyCall(ctx, "k", fmt.Sprint("call-", i), now, now.Add(time.Minute))
			if err != nil {
				errs <- err
			}
			if ok {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := taken.Load(); n != 3 {
		t.Fatalf("%d calls admitted between two instances, want the limit, 3", n)
	}
}
