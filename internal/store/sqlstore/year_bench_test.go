package sqlstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlstore"
)

// BenchmarkYear measures the history as an operator of a year sees it: one
// million calls from 2025-12-01 over 365 days, traffic growing through the
// year and following the day, in some 65,000 conversations of 1 to ~100
// calls, over 12 models (5 % asked for by a mapped name) and 6 accounts, 60 %
// streamed, 4 % failed in six ways, tokens and durations spread as agents'
// are. Its rollups are what such a year makes: some 216,000 hourly rows
// (the 30-day history of BenchmarkHistory makes 2,880), which all-time
// statistics read whole before the daily rollups.
//
//	go test -run '^$' -bench Year -benchtime 20x -timeout 30m ./internal/store/sqlstore
//
// QWENPROXY_BENCH_YEAR_DB names the file (default: in the temp directory),
// or a postgres:// URL; it is built once (about 2 minutes) and reused.
func BenchmarkYear(b *testing.B) {
	st := yearDB(b)
	ctx := context.Background()
	end := yearStart.Add(365 * 24 * time.Hour)
	cases := []struct {
		name string
		q    qp.StatsQuery
	}{
		{"Stats/all-time", qp.StatsQuery{}},
		{"Stats/all-time-by-day", qp.StatsQuery{Bucket: "day"}},
		{"Stats/all-time-one-model", qp.StatsQuery{Model: "qwen3-max"}},
		{"Stats/all-time-one-account", qp.StatsQuery{Account: "bob@example.com"}},
		{"Stats/90-days-unaligned-by-day", qp.StatsQuery{Range: qp.TimeRange{Start: end.Add(-90*24*time.Hour + 17*time.Minute), End: end.Add(-3 * time.Hour)}, Bucket: "day"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if s, err := st.Stats(ctx, c.q); err != nil || s.Totals.Requests == 0 {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ListRequests/first-page-with-total", func(b *testing.B) {
		for b.Loop() {
			if res, err := st.ListRequests(ctx, qp.CallFilter{Status: qp.StatusError}, qp.ListOptions{Limit: 50}); err != nil || res.Total == 0 {
				b.Fatal(err)
			}
		}
	})
}

var (
	yearOnce  sync.Once
	yearStore *sqlstore.Store
	yearErr   error
	yearStart = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
)

func yearDB(b *testing.B) *sqlstore.Store {
	b.Helper()
	yearOnce.Do(func() {
		path := os.Getenv("QWENPROXY_BENCH_YEAR_DB")
		if path == "" {
			path = filepath.Join(os.TempDir(), "qwenproxy-bench-year.db")
		}
		ctx := context.Background()
		yearStore, yearErr = store.Open(ctx, path, store.Options{})
		if yearErr != nil {
			return
		}
		if _, yearErr = yearStore.Migrate(ctx); yearErr != nil {
			return
		}
		var have int
		if yearErr = yearStore.DB().QueryRow(`SELECT COUNT(*) FROM requests`).Scan(&have); yearErr != nil {
			return
		}
		switch have {
		case benchCalls:
			yearErr = warm(yearStore)
		case 0:
			if yearErr = fillYear(ctx, yearStore); yearErr == nil {
				yearErr = warm(yearStore)
			}
		default:
			yearErr = fmt.Errorf("%s holds %d calls, not %d: remove it", path, have, benchCalls)
		}
	})
	if yearErr != nil {
		b.Fatal(yearErr)
	}
	return yearStore
}

var (
	yearModels = []string{"qwen3-max", "qwen3-coder-plus", "qwen3-vl-plus", "qwen3-vl-32b", "qwen3-235b-a22b", "qwen3-30b-a3b",
		"qwen-plus-2025", "qwen3-coder-flash", "qwen2.5-max", "qwq-32b", "qwen3-omni-flash", "qwen-deep-research"}
	yearMapped   = map[string]string{"gpt-4o": "qwen3-max", "claude-sonnet-4": "qwen3-coder-plus"}
	yearAccounts = []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com", "frank@example.com"}
	yearPaths    = []string{"/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/completions"}
	yearErrors   = []struct {
		kind string
		code int
		msg  string
	}{{qp.ErrorTypeUpstream, 502, "upstream 500"}, {qp.ErrorTypeUpstreamTimeout, 504, "timeout"}, {qp.ErrorTypeRateLimited, 429, "rate limited"},
		{qp.ErrorTypeStreamCut, 502, "stream cut"}, {qp.ErrorTypeClientDisconnect, 499, "client left"}, {qp.ErrorTypeAccountsUnavailable, 503, "all resting"}}
)

// uuid7 makes a version 7 UUID of a time and a counter, as the proxy's ids
// are (time-ordered).
func uuid7(ms int64, n uint64) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], uint64(ms)<<16|0x7000|(n>>48)&0x0fff)
	binary.BigEndian.PutUint64(u[8:16], 0x8000000000000000|n&0x3fffffffffffffff)
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// fillYear writes the year's calls as the recorder would: batches of 1,000
// with the sessions they touch.
func fillYear(ctx context.Context, st *sqlstore.Store) error {
	rng := rand.New(rand.NewPCG(7, 11))
	year := 365 * 24 * time.Hour
	ts := make([]time.Time, benchCalls)
	for i := range ts {
		for {
			off := time.Duration(math.Sqrt(rng.Float64()) * float64(year)) // more traffic later in the year
			h := float64(off%(24*time.Hour)) / float64(time.Hour)
			if rng.Float64() < 0.3+0.7*math.Max(0, math.Sin((h-6)/24*2*math.Pi)) { // and by day
				ts[i] = yearStart.Add(off).Truncate(time.Millisecond)
				break
			}
		}
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	type conversation struct {
		id, chat, model, account string
		left                     int
	}
	var open []*conversation
	var sessions []qp.Session
	batch := make([]qp.Exchange, 0, 1000)
	began, n := time.Now(), 0
	for i, t := range ts {
		var s *conversation
		if len(open) < 40 || rng.IntN(20) == 0 {
			m := yearModels[int(math.Min(float64(len(yearModels)-1), rng.ExpFloat64()*3))]
			if rng.IntN(20) == 0 {
				m = []string{"gpt-4o", "claude-sonnet-4"}[rng.IntN(2)]
			}
			s = &conversation{id: uuid7(t.UnixMilli(), uint64(n)), chat: fmt.Sprintf("chat-%d", n), model: m,
				account: yearAccounts[rng.IntN(len(yearAccounts))], left: 1 + int(rng.ExpFloat64()*15)}
			n++
			open = append(open, s)
			sessions = append(sessions, qp.Session{ID: s.id, ChatID: s.chat, Model: s.model, Account: s.account, MessageCount: 1,
				FirstUserMessage: fmt.Sprintf("Refactor module %d of the billing service, Ünïcode Straße %d", n, n%97),
				CreatedAt:        t, LastAccessed: t, ExpiresAt: t.Add(time.Hour)})
		} else {
			s = open[rng.IntN(len(open))]
		}
		if s.left--; s.left <= 0 {
			open = slices.DeleteFunc(open, func(o *conversation) bool { return o == s })
		}
		dur := time.Duration(math.Exp(rng.NormFloat64()*0.9+7.6)*1000) * time.Microsecond // median ~2 s
		firstToken := t.Add(time.Duration(float64(dur) * (0.05 + 0.3*rng.Float64())))
		status, code, kind, msg := qp.StatusSuccess, 200, "", ""
		finish := []string{"stop", "stop", "stop", "tool_calls", "length"}[rng.IntN(5)]
		prompt, completion := 200+int(rng.ExpFloat64()*4000), 20+int(rng.ExpFloat64()*500)
		account := s.account
		if rng.IntN(100) < 4 {
			e := yearErrors[rng.IntN(len(yearErrors))]
			status, code, kind, msg, finish = qp.StatusError, e.code, e.kind, e.msg, ""
			if e.kind == qp.ErrorTypeAccountsUnavailable {
				account = ""
			}
			if e.kind != qp.ErrorTypeStreamCut && e.kind != qp.ErrorTypeClientDisconnect {
				completion, firstToken = 0, time.Time{}
			}
			if rng.IntN(3) == 0 {
				prompt = 0
			}
		}
		step := fmt.Sprintf("step %d", i)
		batch = append(batch, qp.Exchange{
			Request: qp.Request{RequestID: uuid7(t.UnixMilli(), uint64(i)+1<<40), SessionID: s.id, Timestamp: t, Method: "POST",
				Path: yearPaths[rng.IntN(len(yearPaths))], Model: s.model, Stream: rng.IntN(100) < 60,
				ClientIP: fmt.Sprint("10.0.0.", rng.IntN(20)), UserAgent: "OpenAI/Go 3.98.0", Account: account,
				OpenAIRequest: []byte(`{"model":"` + s.model + `","messages":[{"role":"user","content":"` + step + `"}]}`),
				QwenRequest:   []byte(`{"stream":true,"chat_id":"` + s.chat + `","messages":[{"role":"user","content":"` + step + `"}]}`)},
			Response: qp.Response{ResponseID: uuid7(t.Add(dur).UnixMilli(), uint64(i)+2<<40), Model: yearMapped[s.model], Timestamp: t.Add(dur),
				Status: status, HTTPStatus: code, FinishReason: finish, ChatID: s.chat, ParentID: "p", PromptTokens: prompt,
				CompletionTokens: completion, TotalTokens: prompt + completion, FirstTokenAt: firstToken, Duration: dur,
				UpstreamAttempts: 1, ErrorType: kind, ErrorMessage: msg,
				OpenAIResponse: []byte(`{"id":"chatcmpl","object":"chat.completion","choices":[{"message":{"role":"assistant","content":"` + strings.Repeat("ok ", 10) + `"}}]}`),
				QwenResponse:   []byte(`{"success":true}`)},
		})
		if len(batch) == cap(batch) || i == len(ts)-1 {
			if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: batch}); err != nil {
				return err
			}
			batch, sessions = batch[:0], nil
		}
	}
	fmt.Fprintf(os.Stderr, "filled a year of %d calls in %d sessions in %s\n", benchCalls, n, time.Since(began).Round(time.Second))
	return nil
}
