package sqlstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store/bodies"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// oldSecret is a secret recorded before records masked it: in the shared
// system prompt (a part every call uses), the messages, the answers and the
// request sent to Qwen.
const oldSecret = "old-Secret-token-4f9a2b"

// secretCalls are agentCalls with oldSecret where they said "error ", and
// in Qwen's answers that are not JSON.
func secretCalls(start time.Time) []qp.Exchange {
	calls := agentCalls(3, 6, start)
	with := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return bytes.ReplaceAll(b, []byte("error "), []byte(oldSecret+" "))
	}
	for i := range calls {
		rq, rs := &calls[i].Request, &calls[i].Response
		rq.OpenAIRequest, rq.QwenRequest, rs.OpenAIResponse = with(rq.OpenAIRequest), with(rq.QwenRequest), with(rs.OpenAIResponse)
		if rs.QwenResponse != nil {
			rs.QwenResponse = []byte("data: {\"x\":\"" + oldSecret + "\"}\n\ndata: [DONE]\n\n")
		}
		rq.SessionID = "s-secret"
	}
	// The last call's client request holds no secret, nor anything else
	// of it: it is left as it was stored.
	last := &calls[len(calls)-1]
	last.Request.OpenAIRequest = []byte(`{"model":"qwen3-max","messages":[{"role":"user","content":"nothing to hide here"}]}`)
	last.Request.QwenRequest, last.Response.OpenAIResponse, last.Response.QwenResponse = nil, []byte(`{"ok":true}`), nil
	// A failure whose message and upstream errors echoed it.
	calls[3].Response.Status, calls[3].Response.HTTPStatus, calls[3].Response.ErrorType = qp.StatusError, 502, qp.ErrorTypeUpstream
	calls[3].Response.ErrorMessage = "Qwen said: bad token " + oldSecret
	calls[3].Response.UpstreamErrors = []string{"completions: auth 401 (" + oldSecret + ")", "completions: server 502"}
	// A Responses call keeps the items its references named.
	calls[2].Request.ReferencedItems = []byte(`{"msg_1":{"type":"message","role":"user","content":"key ` + oldSecret + `"}}`)
	return calls
}

// masked is calls as a history masking oldSecret reads them.
func masked(calls []qp.Exchange) []qp.Exchange {
	out := make([]qp.Exchange, len(calls))
	mask := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return bytes.ReplaceAll(b, []byte(oldSecret), []byte(redact.Placeholder))
	}
	for i, c := range calls {
		c.Request.OpenAIRequest, c.Request.QwenRequest = mask(c.Request.OpenAIRequest), mask(c.Request.QwenRequest)
		c.Response.OpenAIResponse, c.Response.QwenResponse = mask(c.Response.OpenAIResponse), mask(c.Response.QwenResponse)
		out[i] = c
	}
	return out
}

func secretRedaction() sqlstore.Redaction {
	k := redact.NewKnown("", oldSecret)
	return sqlstore.Redaction{JSON: k.JSON, Text: k.Bytes}
}

// checkUses requires every part's use count to be the number of calls
// whose bodies reference it, and no row to hold oldSecret: parts,
// referenced items, first messages, conversation items and metadata.
func checkStored(t *testing.T, st *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	want := map[int64]int{}
	rows, err := st.DB().QueryContext(ctx, `SELECT qb.openai_request_z, qb.qwen_request_z, rb.openai_response_z, rb.qwen_response_z
		FROM requests q LEFT JOIN request_bodies qb ON qb.request_id = q.id
		LEFT JOIN responses r ON r.request_id = q.id LEFT JOIN response_bodies rb ON rb.response_id = r.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var blobs [4][]byte
		if err := rows.Scan(&blobs[0], &blobs[1], &blobs[2], &blobs[3]); err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, b := range blobs {
			if b == nil {
				continue
			}
			refs, _, err := bodies.Unpack(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refs {
				if !seen[r.ID] {
					seen[r.ID] = true
					want[r.ID]++
				}
			}
		}
	}
	rows.Close()
	got := map[int64]int{}
	rows, err = st.DB().QueryContext(ctx, `SELECT part_id, uses FROM body_part_uses WHERE uses <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		got[id] = n
	}
	rows.Close()
	if len(got) != len(want) {
		t.Errorf("%d parts counted as used, %d referenced", len(got), len(want))
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("part %d: %d uses counted, %d calls reference it", id, got[id], n)
		}
	}
	codec := bodies.NewCodec()
	for _, q := range []string{`SELECT data FROM body_parts`, `SELECT items FROM response_referenced_items`} {
		rows, err := st.DB().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var blob []byte
			if err := rows.Scan(&blob); err != nil {
				t.Fatal(err)
			}
			raw, err := codec.Decompress(blob)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(oldSecret)) {
				t.Errorf("%s: a row holds the secret: %.80q", q, raw)
			}
		}
		rows.Close()
	}
	for _, q := range []string{`SELECT COUNT(*) FROM sessions WHERE first_user_message LIKE '%` + oldSecret + `%'`,
		`SELECT COUNT(*) FROM conversation_entries WHERE item LIKE '%` + oldSecret + `%'`,
		`SELECT COUNT(*) FROM conversations WHERE metadata LIKE '%` + oldSecret + `%'`,
		`SELECT COUNT(*) FROM responses WHERE error LIKE '%` + oldSecret + `%' OR upstream_errors LIKE '%` + oldSecret + `%'`} {
		if n := count(t, st, q); n != 0 {
			t.Errorf("%s: %d", q, n)
		}
	}
}

// A history recorded before records masked a secret reads back, once
// redacted, as it was but for the secret, on every read path; the parts
// that held it are gone, every part's use count is right, and a run again
// changes nothing.
func TestRedactHistoryMasksSecretsAndKeepsTheRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "s-secret", ChatID: "c", FirstUserMessage: "my key is " + oldSecret,
			CreatedAt: start, LastAccessed: start, ExpiresAt: start.Add(time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		calls := secretCalls(start)
		for i := 0; i < len(calls); i += 5 {
			if err := st.WriteExchanges(ctx, calls[i:min(i+5, len(calls))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateConversation(ctx, qp.ConversationObject{ID: "conv_1", CreatedAt: start, Metadata: map[string]string{"note": "k=" + oldSecret}},
			[]qp.ConversationEntry{{ID: "e1", CreatedAt: start, Item: []byte(`{"type":"message","role":"user","content":"` + oldSecret + `"}`)}}); err != nil {
			t.Fatal(err)
		}
		checkBodies(t, st, calls)
		var untouched []byte
		last := calls[len(calls)-1].Request.RequestID
		if err := st.DB().QueryRowContext(ctx, numbered(st, `SELECT qb.openai_request_z FROM request_bodies qb JOIN requests q ON q.id = qb.request_id WHERE q.request_id = ?1`), last).Scan(&untouched); err != nil {
			t.Fatal(err)
		}

		var reports int
		p, err := st.RedactHistory(ctx, secretRedaction(), 4, func(sqlstore.RedactProgress) { reports++ })
		if err != nil {
			t.Fatal(err)
		}
		if p.Calls != len(calls) || p.Rewritten != len(calls)-1 || p.Left != 0 || p.Sessions != 1 || p.Items != 2 || p.Failures != 2 {
			t.Errorf("progress %+v, want %d calls read, %d rewritten, 1 session, 2 items, 2 failure texts", p, len(calls), len(calls)-1)
		}
		failed, err := st.Request(ctx, calls[3].Request.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if rs := failed.Response; rs.Error != "Qwen said: bad token "+redact.Placeholder ||
			rs.UpstreamErrors != "completions: auth 401 ("+redact.Placeholder+"); completions: server 502" {
			t.Errorf("the failure as read: %q %q", rs.Error, rs.UpstreamErrors)
		}
		if reports < len(calls)/4 {
			t.Errorf("progress reported %d times over %d calls in batches of 4", reports, len(calls))
		}
		checkBodies(t, st, masked(calls))
		if _, err := st.DeleteUnusedParts(ctx, time.Now().Add(time.Hour)); err != nil { // PostgreSQL's grace, passed
			t.Fatal(err)
		}
		checkStored(t, st)
		var now []byte
		if err := st.DB().QueryRowContext(ctx, numbered(st, `SELECT qb.openai_request_z FROM request_bodies qb JOIN requests q ON q.id = qb.request_id WHERE q.request_id = ?1`), last).Scan(&now); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, untouched) {
			t.Errorf("a body without the secret was written again")
		}
		s, err := st.Session(ctx, "s-secret")
		if err != nil {
			t.Fatal(err)
		}
		if s.FirstUserMessage != "my key is "+redact.Placeholder {
			t.Errorf("first message %q", s.FirstUserMessage)
		}
		c, err := st.Conversation(ctx, "conv_1")
		if err != nil {
			t.Fatal(err)
		}
		if c.Metadata["note"] != "k="+redact.Placeholder {
			t.Errorf("metadata %q", c.Metadata)
		}
		entries, err := st.ConversationEntries(ctx, "conv_1")
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"type":"message","role":"user","content":"` + redact.Placeholder + `"}`; len(entries) != 1 || string(entries[0].Item) != want {
			t.Errorf("entries %+v, want one item %s", entries, want)
		}

		again, err := st.RedactHistory(ctx, secretRedaction(), 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again != (sqlstore.RedactProgress{Calls: len(calls)}) {
			t.Errorf("a run again: %+v, want only %d calls read", again, len(calls))
		}
		checkBodies(t, st, masked(calls))
	})
}

// A call deleted between a batch's read and its write (retention, another
// instance's delete) is left, and its parts' counts stay right; the calls
// beside it are rewritten.
func TestRedactHistoryLeavesCallsChangedMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
		calls := secretCalls(start)[:6]
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		once := false
		sqlstore.OnRedactEncoded(st, func() {
			if once {
				return
			}
			once = true
			if n, err := st.DeleteRequestsBefore(ctx, calls[1].Request.Timestamp, 100, nil); err != nil || n != 1 {
				t.Errorf("deleted %d: %v", n, err)
			}
		})
		p, err := st.RedactHistory(ctx, secretRedaction(), 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Left != 1 || p.Rewritten != len(calls)-1 {
			t.Errorf("progress %+v, want 1 left and %d rewritten", p, len(calls)-1)
		}
		if _, err := st.DeleteUnusedParts(ctx, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		checkStored(t, st)
		checkBodies(t, st, masked(calls[1:]))
		if !strings.Contains(string(calls[0].Request.OpenAIRequest), oldSecret) {
			t.Fatal("the test's calls hold no secret")
		}
	})
}

// Stopped after its first batch (^C, a kill: what it committed stays), a
// run again finishes, and the history reads as one run would leave it.
func TestRedactHistoryStoppedThenRunAgainFinishes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
		calls := secretCalls(start)
		if err := st.WriteExchanges(context.Background(), calls); err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		p, err := st.RedactHistory(ctx, secretRedaction(), 4, func(sqlstore.RedactProgress) { stop() })
		if err == nil || p.Rewritten != 4 {
			t.Fatalf("stopped after a batch: %+v, %v; want 4 rewritten and an error", p, err)
		}
		p, err = st.RedactHistory(context.Background(), secretRedaction(), 4, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rewritten != len(calls)-1-4 {
			t.Errorf("the run again rewrote %d, want the %d left", p.Rewritten, len(calls)-1-4)
		}
		if _, err := st.DeleteUnusedParts(context.Background(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		checkStored(t, st)
		checkBodies(t, st, masked(calls))
	})
}

// Beside a recorder writing calls that share its parts (a running server's),
// every part's count stays right and every body reads back whole.
func TestRedactHistoryBesideARecorder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
		calls := secretCalls(start)
		if err := st.WriteExchanges(ctx, calls[:6]); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			for i := 6; i < len(calls); i += 2 {
				if err := st.WriteExchanges(ctx, calls[i:min(i+2, len(calls))]); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		if _, err := st.RedactHistory(ctx, secretRedaction(), 2, nil); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// The calls written after its pass: a run again reaches them.
		if _, err := st.RedactHistory(ctx, secretRedaction(), 2, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteUnusedParts(ctx, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		checkStored(t, st)
		checkBodies(t, st, masked(calls))
	})
}

// On a shared database a turn reads its session under the session's lock
// and writes it back before letting go: a first message masked while a turn
// held the lock was written back as the turn had read it. The rewrite waits
// for the lock.
func TestRedactHistoryWaitsForASessionsTurn(t *testing.T) {
	st := storetest.Open(t, storetest.URL(t, "postgres"))
	ctx := context.Background()
	start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "s-turn", ChatID: "c", FirstUserMessage: "my key is " + oldSecret,
		CreatedAt: start, LastAccessed: start, ExpiresAt: start.Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	lock, err := st.Locker().LockSession(ctx, "s-turn")
	if err != nil {
		t.Fatal(err)
	}
	held, err := lock.Session(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := st.RedactHistory(ctx, secretRedaction(), 4, nil)
		done <- err
	}()
	// Until the rewrite waits for an advisory lock (or ends without).
	for waiting := false; !waiting; {
		select {
		case err := <-done:
			lock.Unlock()
			t.Fatalf("the rewrite ended (%v) while a turn held the session", err)
		default:
		}
		if err := st.DB().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	held.LastAccessed = held.LastAccessed.Add(time.Minute) // the turn's own change
	if err := lock.Save(ctx, *held); err != nil {
		t.Fatal(err)
	}
	lock.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, err := st.Session(ctx, "s-turn")
	if err != nil {
		t.Fatal(err)
	}
	if s.FirstUserMessage != "my key is "+redact.Placeholder || !s.LastAccessed.Equal(held.LastAccessed) {
		t.Errorf("after the turn and the rewrite: %q, last accessed %v", s.FirstUserMessage, s.LastAccessed)
	}
}
