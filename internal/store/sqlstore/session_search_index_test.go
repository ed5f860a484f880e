package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// searchedMessages are first messages a session search must tell apart:
// letters in both cases (beyond ASCII too), LIKE's own characters, the
// escape, and texts shorter than a trigram.
var searchedMessages = []string{
	"Refactor module 4999 of the billing service", "refactor MODULE 49990", "Refactor module 499 of the billing service",
	"100% done", "100 percent", "a_b c", "axb c", `back\slash`, "HÉLLO wörld", "héllo WÖRLD", "ab", "x", "",
	"Ünïcode straße", "STRASSE", "tabs\tand\nnewlines", "日本語のテキスト", "emoji 🙂 here",
}

var sessionSearches = []string{
	"module 4999", "MODULE 499", "refactor", "%", "100%", "_", "a_b", `\`, `k\s`, "ab", "x", "é", "É", "héllo", "HÉLLO WÖ",
	"straße", "STRASSE", "ß", "\t", "本語", "🙂", "zzz", "e", "of the billing",
}

// The session search finds the same sessions through PostgreSQL's trigram
// index (migration 0037) as by reading every first message, in the
// search's documented sense (a substring, letters compared after lower());
// a search of three characters or more reads the index.
func TestTheSessionSearchFindsTheSameSessionsByItsIndex(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.URL(t, "postgres"))
	start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
	var sessions []qp.Session
	for i := range 40 * len(searchedMessages) {
		at := start.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: fmt.Sprint("s", i), ChatID: fmt.Sprint("chat-", i), Model: "qwen3-max",
			FirstUserMessage: searchedMessages[i%len(searchedMessages)], MessageCount: 2, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `ANALYZE sessions`); err != nil {
		t.Fatal(err)
	}
	search := func(s string) []string {
		var ids []string
		o := qp.ListOptions{Limit: 100, NoTotal: true}
		for {
			res, err := st.ListSessions(ctx, qp.SessionFilter{Search: s}, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Items {
				ids = append(ids, r.ID)
			}
			if res.Next == nil {
				return ids
			}
			o.After = res.Next
		}
	}
	indexed := map[string][]string{}
	for _, s := range sessionSearches {
		indexed[s] = search(s)
		if len([]rune(s)) < 3 {
			continue
		}
		query, args, err := sqlstore.SessionPageQuery(ctx, st, qp.SessionFilter{Search: s}, qp.ListOptions{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if plan := explainNoScan(ctx, t, st, inline(st.Backend(), query, args)); !strings.Contains(plan, "idx_sessions_first_message_trgm") {
			t.Errorf("search %q: want the trigram index\n%s\nis planned as\n%s", s, query, plan)
		}
	}
	if indexed["module 4999"] == nil || indexed["100%"] == nil || indexed["zzz"] != nil {
		t.Fatalf("the searches found %v", indexed)
	}
	if _, err := st.DB().ExecContext(ctx, `DROP INDEX idx_sessions_first_message_trgm`); err != nil {
		t.Fatal(err)
	}
	for _, s := range sessionSearches {
		if got := search(s); !slices.Equal(got, indexed[s]) {
			t.Errorf("search %q: %d sessions by reading every first message, %d by the index", s, len(got), len(indexed[s]))
		}
	}
}

// explainNoScan is q's plan on PostgreSQL with the table scan and the walk
// of another index priced out of reach (the test's table is tiny: either
// would win): a search's sessions are found by an index that serves its
// condition, or by a scan.
func explainNoScan(ctx context.Context, t *testing.T, st *sqlstore.Store, q string) string {
	t.Helper()
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off`); err != nil {
		t.Fatal(err)
	}
	var lines []string
	rows, err := tx.QueryContext(ctx, "EXPLAIN "+q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
