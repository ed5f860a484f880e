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

// RETENTION_MAX_BYTES over calls of uneven sizes, on both backends: a 3 MB
// call among the oldest goes, and the small calls after it that the limit
// leaves room for stay. Each round deleted the share of the calls that the
// bytes over the limit were of the size: 12 of 41 here, the newer small ones
// with the big one. SQLite (where the size is three pragmas) measures as the
// deletes go; PostgreSQL (where it is a scan of every body) counts what each
// of the oldest calls' bodies frees before it deletes.
func TestDeleteOldestOverDeletesNoMoreThanTheBytesNeed(t *testing.T) {
	storetest.Each(t, testDeleteOldestOverDeletesNoMoreThanTheBytesNeed)
}

func testDeleteOldestOverDeletesNoMoreThanTheBytesNeed(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	noise := func(n int) string { // incompressible: the size is the bodies'
		b := make([]byte, n)
		for j := range b {
			b[j] = "0123456789abcdef"[rng.IntN(16)]
		}
		return string(b)
	}
	start := time.UnixMilli(time.Now().Add(-10 * time.Hour).UnixMilli())
	var calls []qp.Exchange
	for i := range 41 {
		size := 4000
		if i == 1 {
			size = 3 << 20 // the second oldest
		}
		at := start.Add(time.Duration(i) * time.Minute)
		calls = append(calls, qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprint("call-", i), Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
				OpenAIRequest: []byte(fmt.Sprintf(`{"m":%q}`, noise(size)))},
			Response: qp.Response{ResponseID: fmt.Sprint("resp-", i), Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200,
				OpenAIResponse: []byte(fmt.Sprintf(`{"r":%q}`, noise(100)))},
		})
	}
	if err := st.WriteExchanges(ctx, calls); err != nil {
		t.Fatal(err)
	}
	full, err := st.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	limit := full - 1<<20 // the big call alone frees three times that
	n, err := st.DeleteOldestOver(ctx, limit, 500)
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := st.Size(ctx); size > limit {
		t.Errorf("size %d after retention, limit %d (was %d)", size, limit, full)
	}
	// The 2 oldest (the big one the second) must go; measured after batches
	// of 1, 2, 4… calls, a round stops at most one batch past them (SQLite);
	// counted, at them (PostgreSQL).
	most := 3
	if strings.HasPrefix(dbURL, "postgres") {
		most = 2
	}
	if n < 2 || n > most {
		t.Errorf("deleted %d calls, want the 2 oldest (the big one the second), or the batch that held them", n)
	}
	checkBodies(t, st, calls[n:])
}
