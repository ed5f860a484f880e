package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A call's numeric id names it in links (`/v1/requests/30`, the
// dashboard's `#/calls/30`) and the dashboard's Live page skips response ids
// it has shown: an id given again to a later call would make an old link
// open another call and hide the new one from Live. SQLite gives a new row
// the largest id plus one, so deleting the newest calls (their session, a
// prune) gave their ids again; PostgreSQL's identity columns never do.
func TestIDsOfDeletedCallsAreNotGivenAgain(t *testing.T) {
	storetest.Each(t, testIDsOfDeletedCallsAreNotGivenAgain)
}

func testIDsOfDeletedCallsAreNotGivenAgain(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	ctx := context.Background()
	now := time.Now()
	session := qp.Session{ID: "newest", ChatID: "c", FirstUserMessage: "x", CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour)}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{session}}); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteExchanges(ctx, []qp.Exchange{exchange(1, ""), exchange(2, "newest"), exchange(3, "newest")}); err != nil {
		t.Fatal(err)
	}
	ids := func(requestID string) (request, response int64) {
		t.Helper()
		rec, err := st.Request(ctx, requestID)
		if err != nil {
			t.Fatalf("read %s: %v", requestID, err)
		}
		return rec.ID, rec.Response.ID
	}
	newestRequest, newestResponse := ids("req-3")

	// The newest calls go with their session.
	if err := st.DeleteSession(ctx, "newest"); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteExchanges(ctx, []qp.Exchange{exchange(4, "")}); err != nil {
		t.Fatal(err)
	}
	request, response := ids("req-4")
	if request <= newestRequest || response <= newestResponse {
		t.Fatalf("after the newest calls were deleted, a new call got request id %d and response id %d; the deleted ones had %d and %d",
			request, response, newestRequest, newestResponse)
	}
	if _, err := st.Request(ctx, strconv.FormatInt(newestRequest, 10)); err == nil {
		t.Fatalf("the deleted call's id %d names a call again", newestRequest)
	}

	// Every call goes (a prune of everything), in two batches of one.
	if n, err := st.DeleteRequestsBefore(ctx, time.Now().Add(time.Hour), 1, nil); err != nil || n != 2 {
		t.Fatalf("prune: %d deleted, %v", n, err)
	}
	if err := st.WriteExchanges(ctx, []qp.Exchange{exchange(5, ""), exchange(6, "")}); err != nil {
		t.Fatal(err)
	}
	next, nextResponse := ids("req-5")
	if next <= request || nextResponse <= response {
		t.Fatalf("after every call was deleted, a new call got request id %d and response id %d; the last deleted had %d and %d",
			next, nextResponse, request, response)
	}
	if last, _ := ids("req-6"); last <= next {
		t.Fatalf("the batch's second call got id %d, not after the first's %d", last, next)
	}
}
