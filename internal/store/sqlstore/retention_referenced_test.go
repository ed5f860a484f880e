package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// RETENTION_MAX_BYTES counts the items a Responses call's item_references
// named, kept beside its request body (response_referenced_items, migration
// 0041), as it counts the body: on PostgreSQL the size was the bodies'
// alone, so a history could outgrow the limit by those rows, and a round's
// plan (what deleting each of the oldest calls frees) did not see them
// either, deleting newer calls the limit had room for. Here the second
// oldest call's kept items are 3 MB, its body small: it goes, the calls
// after it stay.
func TestRetentionBySizeCountsReferencedItems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(11, 12))
		noise := func(n int) string { // incompressible: the size is what is kept
			b := make([]byte, n)
			for j := range b {
				b[j] = "0123456789abcdef"[rng.IntN(16)]
			}
			return string(b)
		}
		start := time.UnixMilli(time.Now().Add(-10 * time.Hour).UnixMilli())
		var calls []qp.Exchange
		for i := range 41 {
			at := start.Add(time.Duration(i) * time.Minute)
			c := qp.Exchange{
				Request: qp.Request{RequestID: fmt.Sprint("call-", i), Timestamp: at, Method: "POST", Path: "/v1/responses", Model: "qwen3-max",
					OpenAIRequest: []byte(fmt.Sprintf(`{"model":"m","input":[{"type":"item_reference","id":"msg_%d"},{"role":"user","content":%q}]}`, i, noise(4000)))},
				Response: qp.Response{ResponseID: fmt.Sprint("resp-", i), Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200,
					OpenAIResponse: []byte(fmt.Sprintf(`{"object":"response","output":[],"r":%q}`, noise(100)))},
			}
			if i == 1 { // the second oldest
				c.Request.ReferencedItems = []byte(fmt.Sprintf(`{"msg_1":[{"type":"message","role":"user","content":%q}]}`, noise(3<<20)))
			}
			calls = append(calls, c)
		}
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		full, err := st.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if full < 3<<20 {
			t.Fatalf("size %d with 3 MB of kept referenced items: they are not counted", full)
		}
		limit := full - 1<<20 // the big call alone frees three times that
		n, err := st.DeleteOldestOver(ctx, limit, 500)
		if err != nil {
			t.Fatal(err)
		}
		if size, _ := st.Size(ctx); size > limit {
			t.Errorf("size %d after retention, limit %d (was %d)", size, limit, full)
		}
		most := 3 // measured after batches of 1, 2, 4… calls (SQLite)
		if strings.HasPrefix(dbURL, "postgres") {
			most = 2 // counted before the deletes
		}
		if n < 2 || n > most {
			t.Errorf("deleted %d calls, want the 2 oldest (the big one the second), or the batch that held them", n)
		}
		if left := count(t, st, `SELECT COUNT(*) FROM response_referenced_items`); left != 0 {
			t.Errorf("%d rows of referenced items left, want none (the call that kept them is gone)", left)
		}
	})
}
