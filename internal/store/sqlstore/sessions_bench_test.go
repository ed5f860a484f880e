package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// A conversation looked up by its history (SessionByKey), as a call whose
// conversation is not in memory does, in a SQLite file of 10,000
// conversations: the read alone, its statement prepared once.
//
//	go test -run '^$' -bench SessionByKey ./internal/store/sqlstore
func BenchmarkSessionByKey(b *testing.B) {
	st := storetest.Open(b, storetest.URL(b, "sqlite"))
	ctx := context.Background()
	now := time.Now()
	var batch qp.Batch
	for i := range 10_000 {
		batch.Sessions = append(batch.Sessions, qp.Session{ID: fmt.Sprint("s", i), ChatID: "c", FirstUserMessage: "hi",
			ConversationKey: fmt.Sprint("key", i), CreatedAt: now, LastAccessed: now, ExpiresAt: now.Add(time.Hour)})
	}
	if err := st.WriteBatch(ctx, batch); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprint("key", i%20_000) // half of them are found
		if s, err := st.SessionByKey(ctx, key, "", "", now); (err == nil) != (i%20_000 < 10_000) || err == nil && s.ID != fmt.Sprint("s", i%20_000) {
			b.Fatalf("%s: %v %v", key, s, err)
		}
	}
}
