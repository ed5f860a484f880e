package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlstore"
)

// The history benchmarks run against one SQLite file holding benchCalls
// recorded calls (~2 KB of bodies each) over 30 days in 50,000 sessions. The
// file is built once (a minute or two) and reused:
//
//	go test -run '^$' -bench History -benchtime 100x ./internal/store/sqlite
//
// QWENPROXY_BENCH_DB names the file (default: in the temp directory), or a
// postgres:// URL to measure the same on PostgreSQL.
const benchCalls = 1_000_000

var (
	benchOnce  sync.Once
	benchStore *sqlstore.Store
	benchErr   error
	benchStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

func benchDB(b *testing.B) *sqlstore.Store {
	b.Helper()
	benchOnce.Do(func() {
		path := os.Getenv("QWENPROXY_BENCH_DB")
		if path == "" {
			path = filepath.Join(os.TempDir(), fmt.Sprintf("qwenproxy-bench-%d.db", benchCalls))
		}
		benchStore, benchErr = openBench(path)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func openBench(path string) (*sqlstore.Store, error) { return openFilled(path, fill) }

// openFilled opens the benchmark database at path (a file or a postgres://
// URL), made with fill (which warms it) unless it holds benchCalls calls
// already.
func openFilled(path string, fill func(*sqlstore.Store) error) (*sqlstore.Store, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	var have int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&have); err != nil {
		return nil, err
	}
	if have == benchCalls {
		return st, warm(st)
	}
	if have != 0 {
		return nil, fmt.Errorf("%s holds %d calls, not %d: remove it", path, have, benchCalls)
	}
	return st, fill(st)
}

var benchModels = []string{"qwen3-max", "qwen3-coder-plus", "qwen3-vl-plus", "qwen3-vl-32b"}

// benchAccounts serve the sessions in turn; benchErrorTypes are why the
// failed calls (3 %) ended, in turn, so that by_error_type and the
// error_type filter have groups to tell apart (the turns align with the
// models': a model's failed calls all have one type).
var (
	benchAccounts   = []string{"acct-a@example.com", "acct-b@example.com", "acct-c@example.com"}
	benchErrorTypes = []string{qp.ErrorTypeUpstream, qp.ErrorTypeUpstreamTimeout, qp.ErrorTypeRateLimited, qp.ErrorTypeClientDisconnect}
)

// fill writes the calls as the recorder would: batches of 1000.
func fill(st *sqlstore.Store) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const sessions = 50_000
	now := time.Now()
	var all []qp.Session
	for s := range sessions {
		t := benchStart.Add(time.Duration(s) * (30 * 24 * time.Hour / sessions))
		all = append(all, qp.Session{ID: fmt.Sprintf("bench-%05d", s), ChatID: fmt.Sprintf("chat-%05d", s), Model: benchModels[s%4], Account: benchAccounts[s%3],
			FirstUserMessage: fmt.Sprintf("Refactor module %d of the billing service", s), CreatedAt: t, LastAccessed: t, ExpiresAt: t})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: all}); err != nil {
		return err
	}
	prompt := strings.Repeat("You are a coding agent. Follow the tool protocol. ", 16) // ~800 B
	answer := strings.Repeat("Here is the change you asked for, with tests. ", 12)     // ~550 B
	batch := make([]qp.Exchange, 0, 1000)
	for i := range benchCalls {
		s := i % sessions
		ts := benchStart.Add(time.Duration(i) * (30 * 24 * time.Hour / benchCalls))
		dur := time.Duration(200+rng.IntN(4000)) * time.Millisecond
		status, code, errType := qp.StatusSuccess, 200, ""
		if rng.IntN(100) < 3 {
			status, code, errType = qp.StatusError, 502, benchErrorTypes[i%len(benchErrorTypes)]
		}
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: id, SessionID: fmt.Sprintf("bench-%05d", s), Timestamp: ts, Method: "POST",
				Path: "/v1/chat/completions", Model: benchModels[s%4], Stream: i%2 == 0, ClientIP: "127.0.0.1", UserAgent: "OpenAI/Go 3.98.0",
				Account:       benchAccounts[s%3],
				OpenAIRequest: []byte(`{"model":"` + benchModels[s%4] + `","messages":[{"role":"system","content":"` + prompt + `"},{"role":"user","content":"step ` + fmt.Sprint(i) + `"}]}`),
				QwenRequest:   []byte(`{"stream":true,"chat_id":"chat","messages":[{"role":"user","content":"step ` + fmt.Sprint(i) + `"}]}`)},
			Response: qp.Response{ResponseID: "r" + id[1:], Timestamp: ts.Add(dur), Status: status, HTTPStatus: code, FinishReason: "stop",
				ChatID: "chat", ParentID: "parent", PromptTokens: 300 + rng.IntN(3000), CompletionTokens: 50 + rng.IntN(800),
				TotalTokens: 1000, FirstTokenAt: ts.Add(time.Duration(100+rng.IntN(900)) * time.Millisecond), Duration: dur,
				UpstreamAttempts: 1, ErrorType: errType,
				OpenAIResponse: []byte(`{"id":"chatcmpl","object":"chat.completion","choices":[{"message":{"role":"assistant","content":"` + answer + `"}}]}`),
				QwenResponse:   []byte(`{"success":true,"data":{"choices":[{"message":{"content":"` + answer + `"}}]}}`)},
		})
		if len(batch) == cap(batch) {
			if err := st.WriteExchanges(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	fmt.Fprintf(os.Stderr, "filled %d calls in %s\n", benchCalls, time.Since(now).Round(time.Second))
	return warm(st)
}

// warm reads the tables once: pages evicted while idle make a first query
// look 100× slower than it is.
func warm(st *sqlstore.Store) error {
	if st.Backend() == "postgres" {
		// As autovacuum leaves a bulk load a little later: planner
		// statistics, and (PostgreSQL 13 on vacuums after inserts) the
		// visibility map, without which a count by index reads the table
		// too and the planner prefers a parallel scan of it.
		if _, err := st.DB().Exec(`VACUUM ANALYZE`); err != nil {
			return err
		}
	}
	for _, q := range []string{`SELECT COUNT(*) FROM requests`, `SELECT COUNT(*) FROM responses`, `SELECT COUNT(*) FROM stats_hourly`,
		`SELECT SUM(duration_ms) FROM responses`} {
		var n any
		if err := st.DB().QueryRow(q).Scan(&n); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkHistory(b *testing.B) {
	st := benchDB(b)
	ctx := context.Background()
	deep, err := st.ListRequests(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 1, Offset: 900_000, NoTotal: true})
	if err != nil || len(deep.Items) != 1 {
		b.Fatal(err)
	}
	deepCursor := &qp.Cursor{Value: deep.Items[0].Timestamp.UnixMilli(), ID: deep.Items[0].ID}
	mustList := func(f qp.CallFilter, o qp.ListOptions) {
		res, err := st.ListRequests(ctx, f, o)
		if err != nil || len(res.Items) == 0 {
			b.Fatal(err, res)
		}
	}
	cases := []struct {
		name string
		fn   func(i int)
	}{
		{"ListRequests/first-page", func(int) { mustList(qp.CallFilter{}, qp.ListOptions{Limit: 50}) }},
		{"ListRequests/first-page-no-total", func(int) { mustList(qp.CallFilter{}, qp.ListOptions{Limit: 50, NoTotal: true}) }},
		{"ListRequests/deep-offset-900k", func(int) { mustList(qp.CallFilter{}, qp.ListOptions{Limit: 50, Offset: 900_000, NoTotal: true}) }},
		{"ListRequests/deep-cursor-900k", func(int) { mustList(qp.CallFilter{}, qp.ListOptions{Limit: 50, After: deepCursor, NoTotal: true}) }},
		{"ListRequests/filter-model-status", func(int) {
			mustList(qp.CallFilter{Model: "qwen3-vl-plus", Status: qp.StatusError}, qp.ListOptions{Limit: 50})
		}},
		{"ListResponses/sort-duration", func(int) {
			if res, err := st.ListResponses(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 50, Sort: "duration_ms"}); err != nil || len(res.Items) != 50 {
				b.Fatal(err)
			}
		}},
		{"ListSessions/first-page", func(int) {
			if res, err := st.ListSessions(ctx, qp.SessionFilter{}, qp.ListOptions{Limit: 50}); err != nil || len(res.Items) != 50 {
				b.Fatal(err)
			}
		}},
		{"Request/by-id", func(i int) {
			if _, err := st.Request(ctx, fmt.Sprint(1+(i*7919)%benchCalls)); err != nil {
				b.Fatal(err)
			}
		}},
		{"Stats/session", func(i int) {
			if s, err := st.Stats(ctx, qp.StatsQuery{SessionID: fmt.Sprintf("bench-%05d", i%50_000)}); err != nil || s.Totals.Requests != 20 {
				b.Fatal(err, s)
			}
		}},
		{"Stats/all-by-model-and-day", func(int) {
			if s, err := st.Stats(ctx, qp.StatsQuery{Bucket: "day"}); err != nil || s.Totals.Requests != benchCalls || len(s.ByBucket) < 30 {
				b.Fatal(err)
			}
		}},
		{"Stats/one-week-unaligned", func(int) {
			r := qp.TimeRange{Start: benchStart.Add(7*24*time.Hour + 17*time.Minute), End: benchStart.Add(14*24*time.Hour + 43*time.Minute)}
			if _, err := st.Stats(ctx, qp.StatsQuery{Range: r, Bucket: "hour"}); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				c.fn(i)
			}
		})
	}
	b.Run("Export/rows", func(b *testing.B) {
		// Each iteration exports one hour of calls (~1,400) with bodies.
		n := 0
		for i := 0; b.Loop(); i++ {
			from := benchStart.Add(time.Duration(i%700) * time.Hour)
			err := st.Export(ctx, qp.CallFilter{Range: qp.TimeRange{Start: from, End: from.Add(time.Hour)}}, true, func(*qp.RequestRecord) error {
				n++
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	})
}
