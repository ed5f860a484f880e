package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
)

// The API key filter's reads at benchCalls calls over 30 days, made with
// four keys: an agent's half of them, a CI job's 30 %, a person's 15 % and
// a rare key's 5 %. Its own file (the history benchmarks' records no key),
// without bodies, built once (a minute or two) and reused:
//
//	go test -run '^$' -bench KeyFilter -benchtime 20x ./internal/store/sqlstore
//
// QWENPROXY_BENCH_KEYS_DB names the file, or a postgres:// URL.
var (
	keyBenchOnce  sync.Once
	keyBenchStore *sqlstore.Store
	keyBenchErr   error
)

// benchKeyOf is the key of the i-th call.
func benchKeyOf(i int) string {
	switch n := i % 20; {
	case n < 10:
		return "key-a9e1c0de"
	case n < 16:
		return "key-c1c1c1c1"
	case n < 19:
		return "env-5eed0042"
	default:
		return "key-0dd0dd00"
	}
}

func keyBenchDB(b *testing.B) *sqlstore.Store {
	b.Helper()
	keyBenchOnce.Do(func() {
		path := os.Getenv("QWENPROXY_BENCH_KEYS_DB")
		if path == "" {
			path = filepath.Join(os.TempDir(), fmt.Sprintf("qwenproxy-bench-keys-%d.db", benchCalls))
		}
		keyBenchStore, keyBenchErr = openKeyBench(path)
	})
	if keyBenchErr != nil {
		b.Fatal(keyBenchErr)
	}
	return keyBenchStore
}

func openKeyBench(path string) (*sqlstore.Store, error) { return openFilled(path, fillKeys) }

// fillKeys writes the calls of the four keys as the recorder would.
func fillKeys(st *sqlstore.Store) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	const sessions = 50_000
	var all []qp.Session
	for s := range sessions {
		t := benchStart.Add(time.Duration(s) * (30 * 24 * time.Hour / sessions))
		all = append(all, qp.Session{ID: fmt.Sprintf("bench-%05d", s), ChatID: fmt.Sprintf("chat-%05d", s), Model: benchModels[s%4],
			FirstUserMessage: "work", CreatedAt: t, LastAccessed: t, ExpiresAt: t, APIKeyID: benchKeyOf(s)})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: all}); err != nil {
		return err
	}
	batch := make([]qp.Exchange, 0, 1000)
	for i := range benchCalls {
		s := i % sessions
		ts := benchStart.Add(time.Duration(i) * (30 * 24 * time.Hour / benchCalls))
		dur := time.Duration(200+rng.IntN(4000)) * time.Millisecond
		status, code := qp.StatusSuccess, 200
		if rng.IntN(100) < 3 {
			status, code = qp.StatusError, 502
		}
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: id, SessionID: fmt.Sprintf("bench-%05d", s), Timestamp: ts, Method: "POST", Path: "/v1/chat/completions",
				Model: benchModels[s%4], Stream: i%2 == 0, APIKeyID: benchKeyOf(s)},
			Response: qp.Response{ResponseID: "r" + id[1:], Timestamp: ts.Add(dur), Status: status, HTTPStatus: code, FinishReason: "stop",
				PromptTokens: 300 + rng.IntN(3000), CompletionTokens: 50 + rng.IntN(800), TotalTokens: 1000 + rng.IntN(3000),
				FirstTokenAt: ts.Add(time.Duration(100+rng.IntN(900)) * time.Millisecond), Duration: dur, UpstreamAttempts: 1},
		})
		if len(batch) == cap(batch) {
			if err := st.WriteExchanges(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return warm(st)
}

func BenchmarkKeyFilter(b *testing.B) {
	st := keyBenchDB(b)
	ctx := context.Background()
	day := qp.TimeRange{Start: benchStart.Add(20*24*time.Hour + 17*time.Minute), End: benchStart.Add(21*24*time.Hour + 17*time.Minute)}
	for _, key := range []struct{ name, id string }{{"half", "key-a9e1c0de"}, {"5pc", "key-0dd0dd00"}} {
		f := qp.CallFilter{APIKeyID: key.id}
		cases := []struct {
			name string
			fn   func() (int, error)
		}{
			{"ListRequests", func() (int, error) {
				r, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 50, NoTotal: true})
				return pageLen(r, err)
			}},
			{"ListRequests/total", func() (int, error) {
				r, err := st.ListRequests(ctx, f, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListRequests/model-error", func() (int, error) {
				r, err := st.ListRequests(ctx, qp.CallFilter{APIKeyID: key.id, Model: "qwen3-vl-32b", Status: qp.StatusError}, qp.ListOptions{Limit: 50, NoTotal: true})
				return pageLen(r, err)
			}},
			{"ListRequests/day", func() (int, error) {
				r, err := st.ListRequests(ctx, qp.CallFilter{APIKeyID: key.id, Range: day}, qp.ListOptions{Limit: 50, NoTotal: true})
				return pageLen(r, err)
			}},
			{"ListRequests/model-error/total", func() (int, error) {
				r, err := st.ListRequests(ctx, qp.CallFilter{APIKeyID: key.id, Model: "qwen3-vl-32b", Status: qp.StatusError}, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListRequests/day/total", func() (int, error) {
				r, err := st.ListRequests(ctx, qp.CallFilter{APIKeyID: key.id, Range: day}, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListResponses", func() (int, error) {
				r, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 50, NoTotal: true})
				return pageLen(r, err)
			}},
			{"ListResponses/total", func() (int, error) {
				r, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListResponses/model-error/total", func() (int, error) {
				r, err := st.ListResponses(ctx, qp.CallFilter{APIKeyID: key.id, Model: "qwen3-vl-32b", Status: qp.StatusError}, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListResponses/day/total", func() (int, error) {
				r, err := st.ListResponses(ctx, qp.CallFilter{APIKeyID: key.id, Range: day}, qp.ListOptions{Limit: 50})
				return pageLen(r, err)
			}},
			{"ListResponses/sort-duration", func() (int, error) {
				r, err := st.ListResponses(ctx, f, qp.ListOptions{Limit: 50, Sort: "duration_ms", NoTotal: true})
				return pageLen(r, err)
			}},
			{"ListSessions", func() (int, error) {
				r, err := st.ListSessions(ctx, qp.SessionFilter{APIKeyID: key.id}, qp.ListOptions{Limit: 50, NoTotal: true})
				return pageLen(r, err)
			}},
			{"Stats/30-days", func() (int, error) {
				s, err := st.Stats(ctx, qp.StatsQuery{APIKeyID: key.id})
				return statsCalls(s, err)
			}},
			{"Stats/day-by-hour", func() (int, error) {
				s, err := st.Stats(ctx, qp.StatsQuery{APIKeyID: key.id, Range: day, Bucket: "hour"})
				return statsCalls(s, err)
			}},
		}
		for _, c := range cases {
			b.Run(key.name+"/"+c.name, func(b *testing.B) {
				for b.Loop() {
					if got, err := c.fn(); err != nil || got == 0 {
						b.Fatal(err, got)
					}
				}
			})
		}
	}
}

func pageLen[T any](r *qp.ListResult[T], err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return len(r.Items), nil
}

func statsCalls(s *qp.Stats, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return int(s.Totals.Requests), nil
}
