package sqlstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"

	qp "qwenproxy"
	"qwenproxy/internal/store/bodies"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// agentCalls makes the bodies of a few agent conversations in the three
// client APIs' shapes: each call resends a long system prompt, a tools list
// and every earlier turn, and adds one. Conversations share the system
// prompt and tools. Some bodies are not JSON, some are absent.
func agentCalls(sessions, turns int, start time.Time) []qp.Exchange {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the a file read write test function error value build run module package return string agent tool")
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(" ")
		}
		return b.String()
	}
	system := text(20_000)
	var tools []string
	for i := range 12 {
		tools = append(tools, fmt.Sprintf(`{"type":"function","function":{"name":"tool%d","description":%q,"parameters":{"type":"object"}}}`, i, text(600)))
	}
	var out []qp.Exchange
	at := start
	for s := range sessions {
		var history []string
		for turn := range turns {
			history = append(history, fmt.Sprintf(`{"role":"user","content":%q}`, text(300+rng.IntN(400))))
			var req string
			switch s % 3 {
			case 0: // Chat Completions
				req = `{"model":"qwen3-max","messages":[{"role":"system","content":` + fmt.Sprintf("%q", system) + `},` +
					strings.Join(history, ",") + `],"tools":[` + strings.Join(tools, ",") + `],"stream":true}`
			case 1: // Anthropic Messages: system and tools as their own fields
				req = `{"model":"claude","system":` + fmt.Sprintf("%q", system) + `,"max_tokens":1024,"messages":[` +
					strings.Join(history, ",") + `],"tools":[` + strings.Join(tools, ",") + `]}`
			default: // Responses, pretty-printed
				req = "{\n  \"model\": \"qwen3-max\",\n  \"instructions\": " + fmt.Sprintf("%q", system) + ",\n  \"input\": [\n    " +
					strings.Join(history, ",\n    ") + "\n  ]\n}"
			}
			answer := fmt.Sprintf(`{"role":"assistant","content":%q}`, text(200+rng.IntN(600)))
			history = append(history, answer)
			id := fmt.Sprintf("s%d-t%d", s, turn)
			reply := `{"choices":[{"message":` + answer + `}]}`
			if s%3 == 2 { // a Responses object echoes the instructions
				reply = `{"id":"resp_` + id + `","instructions":` + fmt.Sprintf("%q", system) + `,"output":[` + answer + `]}`
			}
			ex := qp.Exchange{
				Request: qp.Request{RequestID: id, Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
					OpenAIRequest: []byte(req), QwenRequest: []byte(`{"messages":[` + history[len(history)-2] + `]}`)},
				Response: qp.Response{ResponseID: "r-" + id, Timestamp: at.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
					OpenAIResponse: []byte(reply), Duration: time.Second},
			}
			switch turn % 5 {
			case 1:
				ex.Response.QwenResponse = []byte("data: {\"x\":1}\n\ndata: [DONE]\n\n") // not JSON
			case 2:
				ex.Request.QwenRequest = nil
			case 3:
				ex.Request.QwenRequest = []byte{}
			}
			out = append(out, ex)
			at = at.Add(time.Minute)
		}
	}
	return out
}

// numbered is query, written with SQLite's numbered parameters (?1 … ?3),
// for st's backend.
func numbered(st *sqlstore.Store, query string) string {
	if st.Backend() == "postgres" {
		return strings.NewReplacer("?1", "$1", "?2", "$2", "?3", "$3").Replace(query)
	}
	return query
}

// asRead is what a read returns for a stored body: the JSON itself, a body
// that is not JSON as a JSON string, none as nil.
func asRead(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	q, _ := json.Marshal(string(b))
	return q
}

// checkBodies reads every call of want back through each read path and
// requires each body byte for byte.
func checkBodies(t *testing.T, st *sqlstore.Store, want []qp.Exchange) {
	t.Helper()
	ctx := context.Background()
	byID := map[string]*qp.Exchange{}
	for i := range want {
		byID[want[i].Request.RequestID] = &want[i]
	}
	same := func(path, id, field string, got json.RawMessage, raw []byte) {
		t.Helper()
		if !bytes.Equal(got, asRead(raw)) {
			t.Fatalf("%s: %s %s: got %d bytes, want %d: %.80q", path, id, field, len(got), len(asRead(raw)), got)
		}
	}
	seen := 0
	if err := st.Export(ctx, qp.CallFilter{}, true, func(rec *qp.RequestRecord) error {
		ex := byID[rec.RequestID]
		if ex == nil {
			return nil
		}
		seen++
		same("export", rec.RequestID, "openai_request", rec.OpenAIRequest, ex.Request.OpenAIRequest)
		same("export", rec.RequestID, "qwen_request", rec.QwenRequest, ex.Request.QwenRequest)
		same("export", rec.RequestID, "openai_response", rec.Response.OpenAIResponse, ex.Response.OpenAIResponse)
		same("export", rec.RequestID, "qwen_response", rec.Response.QwenResponse, ex.Response.QwenResponse)

		one, err := st.Request(ctx, rec.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		same("request", rec.RequestID, "openai_request", one.OpenAIRequest, ex.Request.OpenAIRequest)
		same("request", rec.RequestID, "qwen_request", one.QwenRequest, ex.Request.QwenRequest)
		same("request", rec.RequestID, "openai_response", one.Response.OpenAIResponse, ex.Response.OpenAIResponse)
		resp, err := st.Response(ctx, strconv.FormatInt(one.Response.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		same("response", rec.RequestID, "qwen_response", resp.QwenResponse, ex.Response.QwenResponse)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if seen != len(want) {
		t.Fatalf("export found %d of %d calls", seen, len(want))
	}
	page, err := st.ListResponses(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 1000, Bodies: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Items {
		if ex := byID[r.RequestUUID]; ex != nil {
			same("response list", r.RequestUUID, "openai_response", r.OpenAIResponse, ex.Response.OpenAIResponse)
			same("response list", r.RequestUUID, "qwen_response", r.QwenResponse, ex.Response.QwenResponse)
		}
	}
}

func count(t *testing.T, st *sqlstore.Store, query string) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBodiesStoredOnceReadBackWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		start := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
		calls := agentCalls(3, 12, start)
		for i := 0; i < len(calls); i += 7 { // batches of several calls, as the recorder writes
			if err := st.WriteExchanges(ctx, calls[i:min(i+7, len(calls))]); err != nil {
				t.Fatal(err)
			}
		}
		checkBodies(t, st, calls)

		// Each distinct part once: the 20 KB system prompt is one part
		// (two: the Chat form is a message, the others a string) however
		// many calls resend it.
		if n := count(t, st, `SELECT COUNT(*) FROM body_parts WHERE size > 20000`); n < 1 || n > 3 {
			t.Errorf("%d parts of the system prompt's size, want 1 to 3", n)
		}
		var raw, parts int
		for _, c := range calls {
			raw += len(c.Request.OpenAIRequest)
		}
		parts = count(t, st, `SELECT SUM(size) FROM body_parts`)
		if parts*10 > raw {
			t.Errorf("parts hold %d bytes of %d sent: not stored once", parts, raw)
		}

		// An answer's echo of its request (the Responses API's
		// instructions) is the request's part, not 20 KB more a call.
		if n := count(t, st, `SELECT SUM(LENGTH(openai_response_z)) FROM response_bodies`); n > 20_000 {
			t.Errorf("the answers take %d bytes: the echoed instructions are stored with each", n)
		}

		// Every call counted once as a user of the system prompt's parts.
		const promptUses = `SELECT COALESCE(SUM(u.uses), 0) FROM body_parts p JOIN body_part_uses u ON u.part_id = p.id WHERE p.size > 20000`
		if n := count(t, st, promptUses); n != len(calls) {
			t.Errorf("system prompt parts used %d times, want %d", n, len(calls))
		}

		// Retention removes the first conversation, whose parts (system
		// prompt, tools) the others share: those stay, its own go.
		before := count(t, st, `SELECT COUNT(*) FROM body_parts`)
		if n, err := st.DeleteRequestsBefore(ctx, start.Add(12*time.Minute), 100, nil); err != nil || n != 12 {
			t.Fatalf("deleted %d: %v", n, err)
		}
		if _, err := st.DeleteUnusedParts(ctx, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		after := count(t, st, `SELECT COUNT(*) FROM body_parts`)
		if after >= before {
			t.Errorf("parts: %d before retention, %d after: the deleted conversation's own were kept", before, after)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM body_part_uses WHERE uses <= 0`); n != 0 {
			t.Fatalf("%d parts no call uses are left", n)
		}
		checkBodies(t, st, calls[12:])
		if n := count(t, st, promptUses); n != len(calls)-12 {
			t.Errorf("after retention, system prompt parts used %d times, want %d", n, len(calls)-12)
		}

		// Deleting a session removes its calls' own parts too.
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "gone", ChatID: "c", FirstUserMessage: "x",
			CreatedAt: start, LastAccessed: start, ExpiresAt: start}}}); err != nil {
			t.Fatal(err)
		}
		extra := agentCalls(1, 2, start.Add(240*time.Hour))
		for i := range extra {
			extra[i].Request.RequestID += "-gone"
			extra[i].Response.ResponseID += "-gone"
			extra[i].Request.SessionID = "gone"
			extra[i].Request.OpenAIRequest = append([]byte(`{"unique":"`+strings.Repeat("u", 300)+`",`), extra[i].Request.OpenAIRequest[1:]...)
		}
		if err := st.WriteExchanges(ctx, extra); err != nil {
			t.Fatal(err)
		}
		withSession := count(t, st, `SELECT COUNT(*) FROM body_parts`)
		if err := st.DeleteSession(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if st.PartGrace() == 0 { // PostgreSQL keeps them for its grace, then the sweep takes them
			if got := count(t, st, `SELECT COUNT(*) FROM body_parts`); got >= withSession {
				t.Errorf("parts: %d with the session, %d after deleting it", withSession, got)
			}
		}
		checkBodies(t, st, calls[12:])
	})
}

// Bodies this store wrote before the built-in dictionary — skeletons whose
// blobs are S2 alone, and upstream bodies S2 against the call's client body
// — read back whole beside bodies written now, in every read.
func TestBodiesWrittenBeforeTheBuiltinDictionaryRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		calls := agentCalls(2, 4, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		// The blobs of those days: format 2 (S2), and 3 (S2 with the call's
		// client body as dictionary, from 2 KB), each a skeleton without parts.
		skeleton := func(raw, dict []byte) any {
			if raw == nil {
				return nil
			}
			blob := append([]byte{2}, s2.Encode(nil, raw)...)
			if len(dict) >= bodies.MinDict {
				blob = append([]byte{3}, s2.MakeDict(dict, nil).Encode(nil, raw)...)
			}
			return bodies.Pack(nil, nil, blob)
		}
		q := func(query string) string { return numbered(st, query) }
		for _, c := range calls[:len(calls)/2] { // the rest as written now
			rq, rs := c.Request, c.Response
			if _, err := st.DB().ExecContext(ctx, q(`UPDATE request_bodies SET openai_request_z = ?2, qwen_request_z = ?3
				WHERE request_id = (SELECT id FROM requests WHERE request_id = ?1)`),
				rq.RequestID, skeleton(rq.OpenAIRequest, nil), skeleton(rq.QwenRequest, rq.OpenAIRequest)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.DB().ExecContext(ctx, q(`UPDATE response_bodies SET openai_response_z = ?2, qwen_response_z = ?3
				WHERE response_id = (SELECT id FROM responses WHERE response_id = ?1)`),
				rs.ResponseID, skeleton(rs.OpenAIResponse, nil), skeleton(rs.QwenResponse, rs.OpenAIResponse)); err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, st, `SELECT COUNT(*) FROM request_bodies WHERE qwen_request_z IS NOT NULL`); n == 0 {
			t.Fatal("no upstream request stored")
		}
		checkBodies(t, st, calls)
	})
}

// Qwen's answer is compressed on its own, not against the client's answer
// (hashing a dictionary as long as a streamed answer costs several times
// what compressing the answer does, for a few bytes); the request sent to
// Qwen still is against the client's request. Answers written against the
// client's (format 5, as the versions of 2026-12-01 wrote them) read back
// whole beside them.
func TestUpstreamAnswersCompressedOnTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		calls := agentCalls(1, 6, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		for i := range calls { // streamed answers of 300 events, each side
			var client, upstream strings.Builder
			for j := range 300 {
				word := fmt.Sprintf(" w%d", (i*31+j*j)%97)
				fmt.Fprintf(&client, "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", word)
				fmt.Fprintf(&upstream, "data: {\"choices\":[{\"delta\":{\"content\":%q,\"phase\":\"answer\"}}],\"usage\":{\"output_tokens\":%d}}\n\n", word, j)
			}
			calls[i].Response.OpenAIResponse, calls[i].Response.QwenResponse = []byte(client.String()), []byte(upstream.String())
			calls[i].Request.QwenRequest = []byte(`{"messages":[{"content":` + strconv.Quote(string(calls[i].Request.OpenAIRequest[len(calls[i].Request.OpenAIRequest)-3000:])) + `}]}`)
		}
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		codec := bodies.NewCodec()
		againstClient := codec.CompressWith(calls[0].Response.QwenResponse, calls[0].Response.OpenAIResponse)[0]
		format := func(query string) map[byte]int {
			rows, err := st.DB().QueryContext(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			formats := map[byte]int{}
			for rows.Next() {
				var blob []byte
				if err := rows.Scan(&blob); err != nil {
					t.Fatal(err)
				}
				_, literal, err := bodies.Unpack(blob)
				if err != nil || len(literal) == 0 {
					t.Fatalf("a skeleton that does not unpack: %v", err)
				}
				formats[literal[0]]++
			}
			return formats
		}
		if f := format(`SELECT qwen_response_z FROM response_bodies`); f[againstClient] != 0 || len(f) == 0 {
			t.Errorf("Qwen's answers stored in formats %v: %d against the client's answer", f, f[againstClient])
		}
		if f := format(`SELECT qwen_request_z FROM request_bodies WHERE qwen_request_z IS NOT NULL`); f[againstClient] != len(calls) {
			t.Errorf("requests sent to Qwen stored in formats %v: want all %d against the client's request", f, len(calls))
		}

		// Half rewritten as the versions before wrote them.
		q := numbered(st, `UPDATE response_bodies SET qwen_response_z = ?2 WHERE response_id = (SELECT id FROM responses WHERE response_id = ?1)`)
		for _, c := range calls[:len(calls)/2] {
			blob := bodies.Pack(nil, nil, codec.CompressWith(c.Response.QwenResponse, c.Response.OpenAIResponse))
			if _, err := st.DB().ExecContext(ctx, q, c.Response.ResponseID, blob); err != nil {
				t.Fatal(err)
			}
		}
		if f := format(`SELECT qwen_response_z FROM response_bodies`); f[againstClient] != len(calls)/2 {
			t.Fatalf("formats %v after the rewrite", f)
		}
		checkBodies(t, st, calls)
	})
}

// A database populated before migration 0008 (bodies whole, as text)
// migrates on start and reads the same before and after the background
// re-encoding, which is resumable and reports progress; copying such a
// database to another gives the same.
func TestMigrateOldDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		old := storetest.Open(t, dbURL)
		ctx := context.Background()
		calls := agentCalls(2, 5, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		writeOldFormat(t, old, calls)
		// Back to the schema before 0008, rows and all.
		for _, q := range []string{`DROP TABLE body_part_uses`, `DROP TABLE body_parts`,
			`ALTER TABLE request_bodies DROP COLUMN openai_request_z`, `ALTER TABLE request_bodies DROP COLUMN qwen_request_z`,
			`ALTER TABLE response_bodies DROP COLUMN openai_response_z`, `ALTER TABLE response_bodies DROP COLUMN qwen_response_z`,
			`DROP INDEX idx_request_bodies_text`, `DROP INDEX idx_response_bodies_text`,
			`DELETE FROM schema_migrations WHERE version = 8`} {
			if _, err := old.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		old.Close()

		st := storetest.Open(t, dbURL) // migrates
		checkBodies(t, st, calls)

		// Stopped after its first batch (3 rows), then run again: it resumes.
		stop, cancel := context.WithCancel(ctx)
		var first []sqlstore.ReencodeProgress
		_, err := st.ReencodeBodies(stop, 3, func(p sqlstore.ReencodeProgress) {
			first = append(first, p)
			cancel()
		})
		if err == nil || len(first) != 1 || first[0].Done != 3 || first[0].Total != 20 {
			t.Fatalf("first run: %v, progress %+v", err, first)
		}
		checkBodies(t, st, calls)
		p, err := st.ReencodeBodies(ctx, 3, nil)
		if err != nil || p.Done != 17 || p.Total != 17 {
			t.Fatalf("second run: %+v %v", p, err)
		}
		if n := count(t, st, `SELECT COUNT(*) FROM request_bodies WHERE openai_request IS NOT NULL OR qwen_request IS NOT NULL`); n != 0 {
			t.Fatalf("%d request bodies left as text", n)
		}
		checkBodies(t, st, calls)
		if p, err := st.ReencodeBodies(ctx, 3, nil); err != nil || p.Total != 0 {
			t.Fatalf("third run: %+v %v", p, err)
		}

		// copy: from a database of old-format rows to a new one.
		src := storetest.Open(t, storetest.URL(t, st.Backend()))
		writeOldFormat(t, src, calls)
		dst := storetest.Open(t, storetest.URL(t, "sqlite"))
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		checkBodies(t, dst, calls)
	})
}

// writeOldFormat stores calls as the store did before migration 0008: rows
// through the current writer without bodies, then the bodies whole as text.
func writeOldFormat(t testing.TB, st *sqlstore.Store, calls []qp.Exchange) {
	t.Helper()
	ctx := context.Background()
	bare := make([]qp.Exchange, len(calls))
	for i, c := range calls {
		bare[i] = c
		bare[i].Request.OpenAIRequest, bare[i].Request.QwenRequest = nil, nil
		bare[i].Response.OpenAIResponse, bare[i].Response.QwenResponse = nil, nil
	}
	if err := st.WriteExchanges(ctx, bare); err != nil {
		t.Fatal(err)
	}
	text := func(b []byte) any {
		if b == nil {
			return nil
		}
		return string(b)
	}
	q := func(query string) string { return numbered(st, query) }
	for _, c := range calls {
		if _, err := st.DB().ExecContext(ctx, q(`INSERT INTO request_bodies (request_id, openai_request, qwen_request)
			SELECT id, ?2, ?3 FROM requests WHERE request_id = ?1`), c.Request.RequestID, text(c.Request.OpenAIRequest), text(c.Request.QwenRequest)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, q(`INSERT INTO response_bodies (response_id, openai_response, qwen_response)
			SELECT id, ?2, ?3 FROM responses WHERE response_id = ?1`), c.Response.ResponseID, text(c.Response.OpenAIResponse), text(c.Response.QwenResponse)); err != nil {
			t.Fatal(err)
		}
	}
}

// RETENTION_MAX_BYTES: the oldest calls go until the history fits, the
// newest stay whole.
func TestDeleteOldestOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		empty, err := st.Size(ctx) // the schema's own pages (SQLite)
		if err != nil {
			t.Fatal(err)
		}
		// Conversations of their own (no shared system prompt): each call's
		// bodies are its own bytes.
		rng := rand.New(rand.NewPCG(3, 4))
		var calls []qp.Exchange
		for s := range 6 {
			c := agentCalls(1, 6, time.UnixMilli(time.Now().Add(time.Duration(s-10)*time.Hour).UnixMilli()))
			for i := range c {
				c[i].Request.RequestID += fmt.Sprint("-", s)
				c[i].Response.ResponseID += fmt.Sprint("-", s)
				c[i].Request.OpenAIRequest = []byte(fmt.Sprintf(`{"n":%d,"m":[%s]}`, s, c[i].Request.OpenAIRequest))
				noise := make([]byte, 4000) // incompressible: the size is the bodies'
				for j := range noise {
					noise[j] = "0123456789abcdef"[rng.IntN(16)]
				}
				c[i].Response.OpenAIResponse = []byte(fmt.Sprintf(`{"r":"%d-%d-%s"}`, s, i, noise))
			}
			calls = append(calls, c...)
		}
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		full, err := st.Size(ctx)
		if err != nil || full <= 0 {
			t.Fatalf("size %d: %v", full, err)
		}
		limit := empty + (full-empty)/2
		n, err := st.DeleteOldestOver(ctx, limit, 5)
		if err != nil || n == 0 || n == len(calls) {
			t.Fatalf("deleted %d of %d: %v", n, len(calls), err)
		}
		if size, _ := st.Size(ctx); size > limit {
			t.Errorf("size %d after retention, limit %d (was %d)", size, limit, full)
		}
		checkBodies(t, st, calls[n:]) // the newest, whole
		if got := count(t, st, `SELECT COUNT(*) FROM requests`); got != len(calls)-n {
			t.Errorf("%d calls left, want %d", got, len(calls)-n)
		}
		if n, err := st.DeleteOldestOver(ctx, limit, 5); err != nil || n != 0 {
			t.Errorf("a second sweep under the limit deleted %d: %v", n, err)
		}
	})
}

// RETENTION_MAX_BYTES with sessions: the sessions a sweep's deletes leave
// empty go with their calls. Kept (each holds its first message), they
// outweighed the limit: every call was deleted, the newest too, sweep after
// sweep.
func TestDeleteOldestOverTakesTheSessionsItEmpties(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		empty, err := st.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(5, 6))
		noise := func(n int) string { // incompressible
			b := make([]byte, n)
			for j := range b {
				b[j] = "0123456789abcdef"[rng.IntN(16)]
			}
			return string(b)
		}
		var b qp.Batch
		start := time.UnixMilli(time.Now().Add(-10 * time.Hour).UnixMilli())
		for s := range 8 {
			at := start.Add(time.Duration(s) * time.Hour)
			id := fmt.Sprint("conversation-", s)
			b.Sessions = append(b.Sessions, qp.Session{ID: id, ChatID: "chat-" + id, Model: "qwen3-max", FirstUserMessage: noise(40_000),
				CreatedAt: at, LastAccessed: at.Add(3 * time.Minute), ExpiresAt: at.Add(24 * time.Hour)})
			for i := range 3 {
				b.Exchanges = append(b.Exchanges, qp.Exchange{
					Request: qp.Request{RequestID: fmt.Sprintf("%s-%d", id, i), SessionID: id, Timestamp: at.Add(time.Duration(i) * time.Minute),
						Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max", OpenAIRequest: []byte(fmt.Sprintf(`{"m":%q}`, noise(4000)))},
					Response: qp.Response{ResponseID: fmt.Sprintf("%s-r%d", id, i), Timestamp: at.Add(time.Duration(i) * time.Minute), Status: qp.StatusSuccess,
						HTTPStatus: 200, OpenAIResponse: []byte(fmt.Sprintf(`{"r":%q}`, noise(4000)))},
				})
			}
		}
		if err := st.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		full, err := st.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		limit := empty + (full-empty)/2
		n, err := st.DeleteOldestOver(ctx, limit, 2)
		if err != nil || n == 0 || n == len(b.Exchanges) {
			t.Fatalf("deleted %d of %d calls: %v", n, len(b.Exchanges), err)
		}
		if size, _ := st.Size(ctx); size > limit {
			t.Errorf("size %d after retention, limit %d (was %d)", size, limit, full)
		}
		kept := map[string]bool{} // the sessions of the newest calls, kept whole
		for _, c := range b.Exchanges[n:] {
			kept[c.Request.SessionID] = true
		}
		for _, sess := range b.Sessions {
			if _, err := st.Session(ctx, sess.ID); kept[sess.ID] && err != nil || !kept[sess.ID] && !errors.Is(err, qp.ErrNotFound) {
				t.Errorf("session %s (a kept call's: %v): %v", sess.ID, kept[sess.ID], err)
			}
		}
		if n, err := st.DeleteOldestOver(ctx, limit, 2); err != nil || n != 0 {
			t.Errorf("a second sweep under the limit deleted %d: %v", n, err)
		}
	})
}

// RETENTION_MAX_BYTES behind many calls recorded without bodies: on
// PostgreSQL they count nothing, so rounds of deletes freed nothing for
// long; the sweep gave up after a few such rounds with the history still
// over the limit, and each later sweep deleted fewer calls.
func TestDeleteOldestOverPassesCallsWithoutBodies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(7, 8))
		start := time.UnixMilli(time.Now().Add(-10 * time.Hour).UnixMilli())
		call := func(i int, body string) qp.Exchange {
			at := start.Add(time.Duration(i) * time.Second)
			return qp.Exchange{
				Request: qp.Request{RequestID: fmt.Sprint("call-", i), Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max",
					OpenAIRequest: []byte(body)},
				Response: qp.Response{ResponseID: fmt.Sprint("answer-", i), Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200},
			}
		}
		var calls []qp.Exchange
		for i := range 1000 { // metadata only, the oldest
			calls = append(calls, call(i, ""))
		}
		for i := range 10 {
			noise := make([]byte, 20_000) // incompressible
			for j := range noise {
				noise[j] = "0123456789abcdef"[rng.IntN(16)]
			}
			calls = append(calls, call(1000+i, fmt.Sprintf(`{"n":%q}`, noise)))
		}
		for i := range calls {
			if len(calls[i].Request.OpenAIRequest) == 0 {
				calls[i].Request.OpenAIRequest = nil
			}
		}
		if err := st.WriteExchanges(ctx, calls); err != nil {
			t.Fatal(err)
		}
		full, err := st.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		limit := full - 30_000 // a body and a half over
		n, err := st.DeleteOldestOver(ctx, limit, 100)
		if err != nil || n == len(calls) {
			t.Fatalf("deleted %d of %d calls: %v", n, len(calls), err)
		}
		if size, _ := st.Size(ctx); size > limit {
			t.Errorf("size %d after one sweep, limit %d (was %d); %d calls deleted", size, limit, full, n)
		}
		// Where they take bytes (SQLite: rows), only as many go as the
		// limit needs: every older call went with the first body.
		if st.Backend() == "sqlite" && n >= 1000 {
			t.Errorf("%d calls deleted: a call with a body among them", n)
		}
		checkBodies(t, st, calls[n:])
	})
}

// The sessions a sweep empties go, but for one still touched within
// SessionInFlight that began after the oldest call kept: calls that run at
// once begin their sessions in any order, and its first call may still be
// running. Idle longer, it goes too (one was left for good: its creation
// was the oldest kept call's millisecond).
func TestDeleteOldestOverTakesEmptySessionsOnceIdle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		now := time.UnixMilli(time.Now().UnixMilli())
		old := now.Add(-3 * time.Hour)
		rng := rand.New(rand.NewPCG(9, 10))
		body := func(int) []byte { // incompressible
			noise := make([]byte, 30_000)
			for j := range noise {
				noise[j] = "0123456789abcdef"[rng.IntN(16)]
			}
			return []byte(fmt.Sprintf(`{"m":%q}`, noise))
		}
		var b qp.Batch
		// idle-2h and recent began after the kept call (old+1s) and have no
		// call; deleted-call's only call is the one the sweep deletes.
		for _, s := range []struct {
			id      string
			created time.Time
			touched time.Time
		}{{"deleted-call", old, old}, {"idle-2h", old.Add(2 * time.Second), now.Add(-2 * time.Hour)}, {"recent", old.Add(2 * time.Second), now.Add(-time.Minute)}} {
			b.Sessions = append(b.Sessions, qp.Session{ID: s.id, ChatID: "chat-" + s.id, Model: "qwen3-max", CreatedAt: s.created,
				LastAccessed: s.touched, ExpiresAt: now.Add(24 * time.Hour)})
		}
		for i, sess := range []string{"deleted-call", ""} {
			at := old.Add(time.Duration(i) * time.Second)
			b.Exchanges = append(b.Exchanges, qp.Exchange{
				Request: qp.Request{RequestID: fmt.Sprint("call-", i), SessionID: sess, Timestamp: at, Method: "POST", Path: "/v1/chat/completions",
					Model: "qwen3-max", OpenAIRequest: body(i)},
				Response: qp.Response{ResponseID: fmt.Sprint("answer-", i), Timestamp: at, Status: qp.StatusSuccess, HTTPStatus: 200},
			})
		}
		if err := st.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		full, err := st.Size(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := st.DeleteOldestOver(ctx, full-1000, 10); err != nil || n != 1 {
			t.Fatalf("deleted %d calls, want the oldest: %v", n, err)
		}
		for id, kept := range map[string]bool{"deleted-call": false, "idle-2h": false, "recent": true} {
			if _, err := st.Session(ctx, id); kept && err != nil || !kept && !errors.Is(err, qp.ErrNotFound) {
				t.Errorf("session %s (kept: %v): %v", id, kept, err)
			}
		}
		// A sweep with the history under its limit takes empty idle
		// sessions too (they stayed until a sweep deleted calls).
		idle := now.Add(-2 * time.Hour)
		if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{{ID: "idle-later", ChatID: "chat-idle-later", Model: "qwen3-max",
			CreatedAt: idle, LastAccessed: idle, ExpiresAt: now.Add(24 * time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.DeleteOldestOver(ctx, full, 10); err != nil || n != 0 {
			t.Fatalf("under the limit: deleted %d calls: %v", n, err)
		}
		if _, err := st.Session(ctx, "idle-later"); !errors.Is(err, qp.ErrNotFound) {
			t.Errorf("an empty session idle 2 h was kept: %v", err)
		}
	})
}

// FuzzStoreThenRead: whatever a body holds, stored in a real SQLite database
// (alone, and as a message resent beside a shared one) it reads back byte
// for byte.
func FuzzStoreThenRead(f *testing.F) {
	long := strings.Repeat("w ", 100)
	for _, s := range []string{`{"messages":[{"role":"user","content":"` + long + `"}]}`, `["` + long + `",{"a":"` + long + `"}]`,
		`{"a":1}`, `x`, ``, "\x00\xff"} {
		f.Add([]byte(s))
	}
	st := storetest.Open(f, storetest.URL(f, "sqlite"))
	ctx := context.Background()
	shared := `{"role":"system","content":"` + long + `"}`
	big := strings.Repeat("v ", 1500)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		wrapped := []byte(`{"messages":[` + shared + `,`)
		if json.Valid(body) {
			wrapped = append(append(wrapped, body...), "]}"...)
		} else {
			wrapped = append(append(wrapped, fmt.Sprintf("%q", body)...), "]}"...)
		}
		ex := qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprint("f", n), Timestamp: time.UnixMilli(int64(n)), Method: "POST", Path: "/v1/chat/completions",
				Model: "m", OpenAIRequest: body, QwenRequest: wrapped},
			Response: qp.Response{ResponseID: fmt.Sprint("fr", n), Timestamp: time.UnixMilli(int64(n)), Status: qp.StatusSuccess,
				HTTPStatus: 200, OpenAIResponse: wrapped},
		}
		if err := st.WriteExchanges(ctx, []qp.Exchange{ex}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Request(ctx, ex.Request.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.OpenAIRequest, asRead(body)) || !bytes.Equal(got.QwenRequest, asRead(wrapped)) ||
			!bytes.Equal(got.Response.OpenAIResponse, asRead(wrapped)) {
			t.Fatalf("%q read back as %q / %q", body, got.OpenAIRequest, got.QwenRequest)
		}

		// Client bodies over bodies.MinDict: the upstream bodies, which
		// repeat them, are compressed against them.
		request := []byte(`{"messages":[{"role":"system","content":"` + big + `"},` + string(wrapped[len(`{"messages":[`):]))
		upstream := []byte(fmt.Sprintf(`{"content":%q}`, request))
		answer := []byte(`{"content":"` + big + `","item":` + string(wrapped) + `}`)
		upstreamAnswer := append([]byte("data: "+string(answer)+"\n\n"), body...) // not JSON
		ex2 := qp.Exchange{
			Request: qp.Request{RequestID: fmt.Sprint("g", n), Timestamp: time.UnixMilli(int64(n)), Method: "POST", Path: "/v1/chat/completions",
				Model: "m", OpenAIRequest: request, QwenRequest: upstream},
			Response: qp.Response{ResponseID: fmt.Sprint("gr", n), Timestamp: time.UnixMilli(int64(n)), Status: qp.StatusSuccess,
				HTTPStatus: 200, OpenAIResponse: answer, QwenResponse: upstreamAnswer},
		}
		if err := st.WriteExchanges(ctx, []qp.Exchange{ex2}); err != nil {
			t.Fatal(err)
		}
		page, err := st.ListRequests(ctx, qp.CallFilter{}, qp.ListOptions{Limit: 1, Bodies: true, NoTotal: true})
		if err != nil || len(page.Items) != 1 {
			t.Fatal(err)
		}
		for _, got := range []*qp.RequestRecord{&page.Items[0], nil} {
			if got == nil {
				if got, err = st.Request(ctx, ex2.Request.RequestID); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got.OpenAIRequest, asRead(request)) || !bytes.Equal(got.QwenRequest, asRead(upstream)) ||
				!bytes.Equal(got.Response.OpenAIResponse, asRead(answer)) || !bytes.Equal(got.Response.QwenResponse, asRead(upstreamAnswer)) {
				t.Fatalf("%q: the bodies compressed against each other read back otherwise", body)
			}
		}
	})
}

// Two instances on one database: one records calls that resend the same
// parts while the other deletes the older calls and removes the parts no
// call uses, at the same time. Every call left reads back whole: no part a
// call uses is ever removed.
func TestPartRemovalRacesWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		writer := storetest.Open(t, dbURL)
		remover := storetest.Open(t, dbURL)
		ctx := context.Background()
		start := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		calls := agentCalls(1, 40, start)
		done := make(chan error, 1)
		// The remover sweeps once for each call the writer writes, while it
		// writes the next: sweeping without pause, it could hold SQLite's
		// write lock turn after turn until the writer's wait for it passed
		// DATABASE_BUSY_TIMEOUT (a writer in service retries its batch).
		wrote := make(chan struct{}, 1)
		go func() {
			for i := range calls {
				if err := writer.WriteExchanges(ctx, calls[i:i+1]); err != nil {
					done <- err
					return
				}
				select {
				case wrote <- struct{}{}:
				default:
				}
			}
			done <- nil
		}()
		removed := 0
		for running := true; running; {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				running = false
			case <-wrote:
			}
			// Delete all but the newest few calls, then sweep.
			if _, err := remover.DeleteRequestsBefore(ctx, time.Now().Add(-time.Hour).Add(30*time.Minute), 5, nil); err != nil {
				t.Fatal(err)
			}
			n, err := remover.DeleteUnusedParts(ctx, time.Now().Add(-remover.PartGrace()))
			if err != nil {
				t.Fatal(err)
			}
			removed += n
		}
		var left []qp.Exchange
		for _, c := range calls {
			if _, err := writer.Request(ctx, c.Request.RequestID); err == nil {
				left = append(left, c)
			}
		}
		if len(left) == 0 {
			t.Fatal("every call deleted: nothing raced")
		}
		checkBodies(t, writer, left)
	})
}

// A part a call uses again after partTouch has its last use refreshed (what
// keeps another instance's removal off it); parts not used again keep theirs.
func TestPartsLastUseRefreshed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		calls := agentCalls(2, 3, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		if err := st.WriteExchanges(ctx, calls[:5]); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DB().ExecContext(ctx, `UPDATE body_parts SET last_used = 1`); err != nil {
			t.Fatal(err)
		}
		before := count(t, st, `SELECT COUNT(*) FROM body_parts`)
		if err := st.WriteExchanges(ctx, calls[5:]); err != nil { // resends the second conversation
			t.Fatal(err)
		}
		refreshed := count(t, st, `SELECT COUNT(*) FROM body_parts WHERE last_used > 1`)
		old := count(t, st, `SELECT COUNT(*) FROM body_parts WHERE last_used = 1`)
		if refreshed == 0 || old == 0 || old > before {
			t.Errorf("%d parts refreshed, %d left as they were (of %d)", refreshed, old, before)
		}
		checkBodies(t, st, calls)
	})
}

// The background re-encoding compresses and hashes a batch before its
// write transaction, as the recorder does: it held the write lock (SQLite's
// one write connection, PostgreSQL's lock every instance's writers take)
// while it encoded 200 rows, so an old history of large bodies (agents'
// 100–200 KB requests, bodies up to RECORD_MAX_BODY_BYTES) held every
// instance's recording off for as long as compressing megabytes took, batch
// after batch. Encoded before its transaction, a batch leaves out the rows
// another instance moved meanwhile: their parts' uses are counted once.
func TestReencodingEncodesOutsideItsWriteTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		st := storetest.Open(t, dbURL)
		ctx := context.Background()
		calls := agentCalls(1, 6, time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
		writeOldFormat(t, st, calls)
		other := storetest.Open(t, dbURL) // another instance
		moved := false
		sqlstore.OnReencodeEncoding(st, func() {
			if n := sqlstore.ConnsInUse(st); n != 0 {
				t.Errorf("%d connections in use (a write transaction open) while encoding", n)
				return // another instance's write would wait for it
			}
			if !moved { // meanwhile, another instance moves the first batch's rows
				moved = true
				if _, err := other.ReencodeBodies(ctx, 3, nil); err != nil {
					t.Error(err)
				}
			}
		})
		if _, err := st.ReencodeBodies(ctx, 3, nil); err != nil {
			t.Fatal(err)
		}
		checkBodies(t, st, calls)
		const promptUses = `SELECT COALESCE(SUM(u.uses), 0) FROM body_parts p JOIN body_part_uses u ON u.part_id = p.id WHERE p.size > 20000`
		if n := count(t, st, promptUses); n != len(calls) {
			t.Errorf("the system prompt's part counted %d uses for %d calls", n, len(calls))
		}
	})
}
