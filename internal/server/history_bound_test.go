package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/metrics"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/recorder"
)

// read is how a fake store answers one of its reads.
type read int

const (
	readOK     read = iota // the row, or none (see each read)
	readHung               // nothing until the read's context ends: a frozen PostgreSQL
	readFailed             // an error at once: a database that refused it
)

// errRefused is a database's refusal.
var errRefused = errors.New("connection refused")

// answer is the read's outcome: for readHung it waits for ctx, as pgx
// returns at the context's deadline from a server that stopped answering.
func (r read) answer(ctx context.Context) error {
	switch r {
	case readHung:
		<-ctx.Done()
		return context.Cause(ctx)
	case readFailed:
		return errRefused
	}
	return nil
}

// fakeHistory serves the reads the Responses API makes: one recorded
// response (storedResponse), its session and its deletion mark.
type fakeHistory struct {
	qp.HistoryStore
	qp.ResponseObjectStore
	request, session, deleted read
	items                     read // the index of the ids clients gave their items
	export                    func(fn func(*qp.RequestRecord) error) error
}

// storedRequestID is the recorded call behind storedResponseID.
const storedRequestID = "0190aaaa-bbbb-cccc-dddd-eeeeffff0000"

// storedResponseID names the stored response, in the session s1.
var storedResponseID = responseID(storedRequestID, "s1")

func (h *fakeHistory) Request(ctx context.Context, key string) (*qp.RequestRecord, error) {
	if err := h.request.answer(ctx); err != nil {
		return nil, err
	}
	if key != storedRequestID {
		return nil, qp.ErrNotFound
	}
	return &qp.RequestRecord{RequestID: storedRequestID, SessionID: "s1", Path: "/v1/responses", Timestamp: time.Now(),
		OpenAIRequest: []byte(`{"model":"m","input":[{"type":"item_reference","id":"msg_0190aaaabbbbccccddddeeeeffff1111in0"},{"role":"user","content":"hi"}]}`),
		Response:      &qp.ResponseRecord{OpenAIResponse: []byte(`{"id":"` + storedResponseID + `","object":"response","output":[]}`)}}, nil
}

func (h *fakeHistory) SessionRecord(ctx context.Context, id string) (*qp.SessionRecord, error) {
	if err := h.session.answer(ctx); err != nil {
		return nil, err
	}
	return nil, qp.ErrNotFound
}

func (h *fakeHistory) ResponseObjectDeleted(ctx context.Context, requestID string) (bool, error) {
	if err := h.deleted.answer(ctx); err != nil {
		return false, err
	}
	return false, nil
}

func (h *fakeHistory) CallWithItem(ctx context.Context, keyID, itemID string) (string, error) {
	return "", h.items.answer(ctx)
}

func (h *fakeHistory) Export(ctx context.Context, f qp.CallFilter, bodies bool, fn func(*qp.RequestRecord) error) error {
	return h.export(fn)
}

// fakeConversations holds the conversation conv_1 (no entries), of no key.
type fakeConversations struct {
	qp.ConversationStore
	conversation, entries, item read
}

func (c *fakeConversations) Conversation(ctx context.Context, id string) (*qp.ConversationObject, error) {
	if err := c.conversation.answer(ctx); err != nil {
		return nil, err
	}
	if id != "conv_1" {
		return nil, qp.ErrNotFound
	}
	return &qp.ConversationObject{ID: id, CreatedAt: time.Now()}, nil
}

func (c *fakeConversations) ConversationEntries(ctx context.Context, id string) ([]qp.ConversationEntry, error) {
	return nil, c.entries.answer(ctx)
}

func (c *fakeConversations) ConversationItem(ctx context.Context, entryID string) (string, string, qp.ConversationEntry, error) {
	if err := c.item.answer(ctx); err != nil {
		return "", "", qp.ConversationEntry{}, err
	}
	return "", "", qp.ConversationEntry{}, qp.ErrNotFound
}

func (c *fakeConversations) ConversationItemWithID(ctx context.Context, keyID, itemID string) (string, qp.ConversationEntry, error) {
	if err := c.item.answer(ctx); err != nil {
		return "", qp.ConversationEntry{}, err
	}
	return "", qp.ConversationEntry{}, qp.ErrNotFound
}

// syncedRecorder is a recorder with nothing queued.
type syncedRecorder struct{ Recorder }

func (syncedRecorder) Sync(context.Context) error       { return nil }
func (syncedRecorder) InDatabase(context.Context) error { return nil }
func (syncedRecorder) Durable() bool                    { return true }
func (syncedRecorder) Stats() recorder.Stats            { return recorder.Stats{} }

// noUpstream is a Qwen that answers nothing: a turn that got past the
// reads would fail there, not crash the test.
type noUpstream struct{}

func (noUpstream) NewChatOf(context.Context, string, string) (string, qwen.Attempts, error) {
	return "", qwen.Attempts{}, errRefused
}

func (noUpstream) Complete(context.Context, *qwen.CompletionRequest) (*qwen.Stream, []byte, qwen.Attempts, error) {
	return nil, nil, qwen.Attempts{}, errRefused
}

func (noUpstream) Models(context.Context) ([]qwen.Model, error) { return nil, errRefused }

// boundedServer serves the API on h and c, its history reads bounded at
// HISTORY_READ_TIMEOUT 100 ms.
func boundedServer(t *testing.T, h *fakeHistory, c *fakeConversations, m *metrics.Metrics) *httptest.Server {
	t.Helper()
	s := New(Config{HistoryReadTimeout: 100 * time.Millisecond, RecordBodies: true},
		Deps{Upstream: noUpstream{}, History: h, ResponseObjects: h, Conversations: c, Recorder: syncedRecorder{}, Metrics: m, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// boundedCall makes a request within the test's own bound (10 s, far past the
// reads' 100 ms), which a read without a bound waited for.
func boundedCall(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v (the read waited for the client: no HISTORY_READ_TIMEOUT)", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The Responses and Conversations APIs read the history without
// HISTORY_READ_TIMEOUT: on a database that stopped answering a read waited
// for as long as its client did (minutes, or for ever), and a lookup that
// failed was taken for "not found" (a 404, or a turn refused with 400
// previous_response_not_found, which a client does not retry, or an item
// left out of a listing). Each is now a timely 503 database_unavailable in
// the API's own format, the turn it was part of not begun.
func TestTheResponsesAndConversationsAPIsReadsEndAtTheReadBound(t *testing.T) {
	previous := `{"model":"m","input":"go on","previous_response_id":"` + storedResponseID + `"}`
	// An id made before its session was known: its call names the session.
	unsessioned := `{"model":"m","input":"go on","previous_response_id":"` + responseID(storedRequestID, "") + `"}`
	reference := `{"model":"m","input":[{"type":"item_reference","id":"msg_0190aaaabbbbccccddddeeeeffff1111in0"}]}`
	cases := []struct {
		name         string
		h            fakeHistory
		c            fakeConversations
		method, path string
		body         string
	}{
		{name: "a response, its call's read hung", h: fakeHistory{request: readHung}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID},
		{name: "a response, its deletion's read hung", h: fakeHistory{deleted: readHung}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID},
		{name: "a response, its deletion's read refused", h: fakeHistory{deleted: readFailed}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID},
		{name: "a response's input items, its call's read hung", h: fakeHistory{request: readHung}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID + "/input_items"},
		{name: "a response's input items, an item_reference's read hung", c: fakeConversations{item: readHung}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID + "/input_items"},
		{name: "a response's input items, an item_reference's read refused", c: fakeConversations{item: readFailed}, method: http.MethodGet, path: "/v1/responses/" + storedResponseID + "/input_items"},
		{name: "previous_response_id, its deletion's read hung", h: fakeHistory{deleted: readHung}, method: http.MethodPost, path: "/v1/responses", body: previous},
		{name: "previous_response_id, its deletion's read refused", h: fakeHistory{deleted: readFailed}, method: http.MethodPost, path: "/v1/responses", body: previous},
		{name: "previous_response_id, its call's read hung", h: fakeHistory{request: readHung}, method: http.MethodPost, path: "/v1/responses", body: unsessioned},
		{name: "previous_response_id, its call's read refused", h: fakeHistory{request: readFailed}, method: http.MethodPost, path: "/v1/responses", body: unsessioned},
		{name: "previous_response_id, its conversation's read hung", c: fakeConversations{conversation: readHung}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"m","input":"go on","previous_response_id":"` + responseID(storedRequestID, "conv_1") + `"}`},
		{name: "previous_response_id, its tool calls' session read hung", h: fakeHistory{session: readHung}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"qwen3-max","previous_response_id":"` + storedResponseID + `","input":[{"type":"function_call_output","call_id":"call_1","output":"42"}]}`},
		{name: "previous_response_id, its tool calls' session read refused", h: fakeHistory{session: readFailed}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"qwen3-max","previous_response_id":"` + storedResponseID + `","input":[{"type":"function_call_output","call_id":"call_1","output":"42"}]}`},
		{name: "an item_reference, its read hung", h: fakeHistory{request: readHung}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"m","input":[{"type":"item_reference","id":"msg_` + strings.ReplaceAll(storedRequestID, "-", "") + `in1"}]}`},
		{name: "an item_reference to a client's id, the index's read hung", h: fakeHistory{items: readHung}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"m","input":[{"type":"item_reference","id":"msg_clients"}]}`},
		{name: "an item_reference to a client's id, the index's read refused", h: fakeHistory{items: readFailed}, method: http.MethodPost, path: "/v1/responses",
			body: `{"model":"m","input":[{"type":"item_reference","id":"msg_clients"}]}`},
		{name: "an item_reference to a conversation's item, its read hung", c: fakeConversations{item: readHung}, method: http.MethodPost, path: "/v1/responses", body: reference},
		{name: "a conversation, its read hung", c: fakeConversations{conversation: readHung}, method: http.MethodGet, path: "/v1/conversations/conv_1"},
		{name: "a conversation's items, their read hung", c: fakeConversations{entries: readHung}, method: http.MethodGet, path: "/v1/conversations/conv_1/items"},
		{name: "a conversation's item, its read hung", c: fakeConversations{entries: readHung}, method: http.MethodGet, path: "/v1/conversations/conv_1/items/msg_1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := boundedServer(t, &tc.h, &tc.c, nil)
			code, body := boundedCall(t, srv, tc.method, tc.path, tc.body)
			if code != http.StatusServiceUnavailable || !strings.Contains(body, `"code":"database_unavailable"`) || !strings.Contains(body, `"error":{`) {
				t.Fatalf("%s %s: %d %s, want 503 database_unavailable in OpenAI's error format", tc.method, tc.path, code, body)
			}
		})
	}
}

// An X-Session-Id that names a conversation of the caller's is refused
// outside it; a database that could not say whether it does let the call
// go on as if it named none (in the conversation's chat, unseen by it).
func TestASessionNamingAConversationUnreadIsA503(t *testing.T) {
	for _, mode := range []read{readHung, readFailed} {
		srv := boundedServer(t, &fakeHistory{}, &fakeConversations{conversation: mode}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Session-Id", "conv_1")
		resp, err := srv.Client().Do(req)
		if err != nil {
			cancel()
			t.Fatalf("a session naming a conversation, its read %d: %v (no HISTORY_READ_TIMEOUT)", mode, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), `"code":"database_unavailable"`) {
			t.Fatalf("a session naming a conversation, its read %d: %d %s, want 503 database_unavailable", mode, resp.StatusCode, b)
		}
	}
}
