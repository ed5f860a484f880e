package recorder

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/benchcpu"
	"qwenproxy/internal/store/storetest"
)

// Calls (a request and a response record each, with 4 KB of bodies, under
// the ids the server mints: qp.NewID) per
// second through the recorder's single batching writer, into a real SQLite
// file and into a real PostgreSQL server, against the same writer committing
// every call alone, and without bodies (RECORD_BODIES=false):
//
//	go test -run '^$' -bench Recorder -benchmem ./internal/recorder
//
// calls/s and cpu-µs/call time the recording alone; ns/op also counts
// opening the store and making the calls' bodies.
func BenchmarkRecorderBatched(b *testing.B)         { benchRecorder(b, "sqlite", 100, true, false) }
func BenchmarkRecorderPerRecord(b *testing.B)       { benchRecorder(b, "sqlite", 1, true, false) }
func BenchmarkRecorderBatchedMetadata(b *testing.B) { benchRecorder(b, "sqlite", 100, false, false) }

// BenchmarkRecorderBatchedSessions is BenchmarkRecorderBatched with what
// the server records beside each call: its session's new state (every
// turn saves it; here conversations of ten turns), written in the same
// transactions.
//
//	go test -run '^$' -bench 'RecorderBatched(Sessions)?$' -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchedSessions(b *testing.B) { benchRecorder(b, "sqlite", 100, true, true) }

// BenchmarkRecorderBatchSizes is BenchmarkRecorderBatched by batch size:
// what a transaction costs whatever it holds (the server's batches are what
// queues during its linger, 500 ms by default, up to RECORDER_BATCH_SIZE).
//
//	go test -run '^$' -bench RecorderBatchSizes -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchSizes(b *testing.B) {
	for _, n := range []int{10, 30, 100, 300, 1000} {
		b.Run(fmt.Sprint("batch=", n), func(b *testing.B) { benchRecorder(b, "sqlite", n, true, false) })
	}
}

func BenchmarkRecorderBatchedPostgres(b *testing.B)   { benchRecorder(b, "postgres", 100, true, false) }
func BenchmarkRecorderPerRecordPostgres(b *testing.B) { benchRecorder(b, "postgres", 1, true, false) }

// BenchmarkRecorderBatchedSessionsPostgres is BenchmarkRecorderBatchedSessions
// on PostgreSQL, each conversation opened by a first message of its own of
// about 1 KB (an agent's task): each saved turn writes its session's row
// again, and with it the entries of the session search's trigram index
// (migration 0037).
//
//	QWENPROXY_TEST_DATABASE_URL=… go test -run '^$' -bench 'RecorderBatchedSessionsPostgres$' -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchedSessionsPostgres(b *testing.B) {
	longFirstMessages = true
	defer func() { longFirstMessages = false }()
	benchRecorder(b, "postgres", 100, true, true)
}

// BenchmarkRecorderBatchedSessionsLong is BenchmarkRecorderBatchedSessions
// with each conversation opened by a first message of about 1 KB of its
// own: on SQLite each new session writes its first message's entries in
// the session search's trigram index (migration 0038).
//
//	go test -run '^$' -bench 'RecorderBatchedSessionsLong$' -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchedSessionsLong(b *testing.B) {
	longFirstMessages = true
	defer func() { longFirstMessages = false }()
	benchRecorder(b, "sqlite", 100, true, true)
}

// BenchmarkRecorderBatchedNewSessions is BenchmarkRecorderBatchedSessions
// with every call a conversation of its own (an agent's side calls, a
// script's one-shot questions, the qwenbench harness): each batch writes as
// many new sessions as calls, each adding its first message to the session
// search's index.
//
//	go test -run '^$' -bench 'RecorderBatched(Sessions|NewSessions)?$' -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchedNewSessions(b *testing.B) {
	turnsPerSession = 1
	defer func() { turnsPerSession = 10 }()
	benchRecorder(b, "sqlite", 100, true, true)
}

// turnsPerSession is how many calls of the benchmark go on one conversation.
var turnsPerSession = 10

// longFirstMessages gives each benchmark conversation a first message of
// about 1 KB of its own, not "call".
var longFirstMessages bool

// BenchmarkRecorderBatchedKeys is BenchmarkRecorderBatched with calls made
// with four proxy API keys in turn, as under auth: each key's calls are
// counted in the rollups per key (0026) and the requests per key (0027).
//
//	go test -run '^$' -bench 'RecorderBatched(Keys)?$' -benchtime 20000x ./internal/recorder
func BenchmarkRecorderBatchedKeys(b *testing.B) {
	benchRecorderKeys(b, "sqlite", 100, true, false, []string{"key-a9e1c0de", "key-c1c1c1c1", "env-5eed0042", "key-0dd0dd00"})
}

func benchRecorder(b *testing.B, backend string, batch int, bodies, sessions bool) {
	benchRecorderKeys(b, backend, batch, bodies, sessions, nil)
}

// benchRecorderKeys records b.N calls, made with keys in turn (none when
// keys is empty).
func benchRecorderKeys(b *testing.B, backend string, batch int, bodies, sessions bool, keys []string) {
	st := storetest.Open(b, storetest.URL(b, backend))
	r, err := New(st, quiet, Options{QueueSize: b.N + 1, BatchSize: batch, Linger: -1})
	if err != nil {
		b.Fatal(err)
	}
	// 4 KB of bodies per call, each its own (no two calls share a part),
	// text-like (compressible as JSON text is).
	words := strings.Fields("the a file read write test function error value build run module package return string agent")
	body := func(i, field int) []byte {
		if !bodies {
			return nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, `{"messages":[{"role":"user","content":"call %d field %d`, i, field)
		for j := 0; b.Len() < 1000; j++ {
			b.WriteString(" " + words[(i*7+j*13+field+j*j)%len(words)])
		}
		b.WriteString(`"}]}`)
		return []byte(b.String())
	}
	calls := make([]qp.Exchange, b.N)
	var states []qp.Session
	now := time.Now()
	for i := range calls {
		if sessions {
			conv := i / turnsPerSession
			first := fmt.Sprint("call ", conv)
			if longFirstMessages {
				first = string(body(conv, 9))
			}
			s := qp.Session{ID: fmt.Sprint("bench-", conv), ChatID: fmt.Sprint("chat-", conv), ParentID: qp.NewID(), Model: "qwen3-max",
				FirstUserMessage: first, MessageCount: 2 * (i%turnsPerSession + 1), ConversationKey: qp.NewID(), CreatedAt: now, LastAccessed: now.Add(time.Duration(i)),
				ExpiresAt: now.Add(time.Hour)}
			states = append(states, s)
		}
		calls[i] = qp.Exchange{
			Request: qp.Request{RequestID: qp.NewID(), Timestamp: now, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
				OpenAIRequest: body(i, 0), QwenRequest: body(i, 1)},
			Response: qp.Response{ResponseID: qp.NewID(), Timestamp: now, Status: qp.StatusSuccess, HTTPStatus: 200,
				OpenAIResponse: body(i, 2), QwenResponse: body(i, 3), TotalTokens: 10, Duration: time.Second},
		}
		if len(keys) > 0 {
			calls[i].Request.APIKeyID = keys[i%len(keys)]
		}
	}
	// Timed to the last commit: Record only queues.
	cpu0, _ := benchcpu.Process()
	start := time.Now()
	for i := range calls {
		if sessions {
			calls[i].Request.SessionID = states[i].ID
			r.SaveSession(states[i])
		}
		r.Record(calls[i])
	}
	if err := r.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if sessions {
		last := states[len(states)-1]
		got, err := st.Session(context.Background(), last.ID)
		if err != nil || got.MessageCount != last.MessageCount {
			b.Fatalf("session %s: %+v, %v", last.ID, got, err)
		}
	}
	if st := r.Stats(); st.Written != int64(b.N) {
		b.Fatalf("%d of %d written (%d dropped)", st.Written, b.N, st.Dropped)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	// CPU per call is what a loaded machine distorts least.
	cpu1, _ := benchcpu.Process()
	b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/call")
}
