package sqlstore_test

import (
	"context"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// Migration 0007 gives calls recorded before it their duration in
// microseconds (from the milliseconds they had) and no new-chat attempts;
// calls recorded after it keep sub-millisecond durations.
func TestCallTimingMigration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		call := func(id string, d time.Duration) qp.Exchange {
			return qp.Exchange{
				Request: qp.Request{RequestID: id, Timestamp: now, Method: "POST", Path: "/v1/chat/completions", Model: "m"},
				Response: qp.Response{ResponseID: "r-" + id, Timestamp: now.Add(d), Status: qp.StatusSuccess, HTTPStatus: 200, Duration: d,
					UpstreamAttempts: 1, NewChatAttempts: 1},
			}
		}
		if err := st.WriteExchanges(ctx, []qp.Exchange{call("old", 123456*time.Microsecond)}); err != nil {
			t.Fatal(err)
		}
		// Take the database back to before 0007: the columns it added go,
		// the old row keeps only its milliseconds.
		index := "CREATE INDEX idx_responses_duration ON responses(duration_ms)"
		if st.Backend() == "postgres" {
			index = "CREATE INDEX idx_responses_duration ON responses(duration_ms, id)"
		}
		for _, q := range []string{"DROP INDEX idx_responses_duration", "ALTER TABLE responses DROP COLUMN duration_us",
			"ALTER TABLE responses DROP COLUMN new_chat_attempts", index, "DELETE FROM schema_migrations WHERE version = 7"} {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if n, err := st.Migrate(ctx); err != nil || n != 1 {
			t.Fatalf("migrate: %d %v", n, err)
		}
		if err := st.WriteExchanges(ctx, []qp.Exchange{call("new", 420*time.Microsecond)}); err != nil {
			t.Fatal(err)
		}
		res, err := st.ListResponses(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 10, Sort: "duration_ms", Asc: true})
		if err != nil || len(res.Items) != 2 {
			t.Fatalf("%v %+v", err, res)
		}
		got := []qp.ResponseRecord{res.Items[0], res.Items[1]}
		if got[0].RequestUUID != "new" || got[0].DurationMillis != 0.42 || got[0].NewChatAttempts != 1 ||
			got[1].RequestUUID != "old" || got[1].DurationMillis != 123 || got[1].NewChatAttempts != 0 || got[1].UpstreamAttempts != 1 {
			t.Fatalf("after the migration: %+v", got)
		}
	})
}
