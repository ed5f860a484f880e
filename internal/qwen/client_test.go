package qwen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scripted serves one canned answer per call, in order. The model list the
// client fetches before its first completion (to learn which models require
// thinking) is answered apart, with an empty list, and not counted.
func scripted(t *testing.T, answers ...func(w http.ResponseWriter)) (*Client, *atomic.Int32) {
	return scriptedModels(t, false, answers...)
}

// scriptedModels is scripted; with models the model-list calls are scripted
// answers too.
func scriptedModels(t *testing.T, models bool, answers ...func(w http.ResponseWriter)) (*Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("bx-umidtoken") != "tok" || r.Header.Get("Cookie") != "c=1" || !strings.Contains(r.UserAgent(), "Chrome") {
			t.Errorf("headers %v", r.Header)
		}
		if !models && strings.Contains(r.URL.Path, "/models") {
			io.WriteString(w, `{"success":true,"data":{"data":[]}}`)
			return
		}
		i := int(n.Add(1)) - 1
		if i >= len(answers) {
			t.Errorf("unexpected call %d", i+1)
			return
		}
		answers[i](w)
	}))
	t.Cleanup(srv.Close)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Token: "tok", Cookies: "c=1"}, Timeout: 2 * time.Second,
		MaxRetries: 2, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond})
	return c, &n
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(contentType, b string, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", contentType)
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		io.WriteString(w, b)
	}
}

const okStream = "data: {\"response.created\":{\"chat_id\": \"c\", \"parent_id\": \"p\", \"response_id\":\"r\"}} \n\n" +
	"data: {\"choices\": [{\"delta\": {\"role\": \"assistant\", \"content\": \"hi\", \"phase\": \"answer\", \"status\": \"typing\"}}]}\n\n"

func TestCompleteClassifiesAndRetries(t *testing.T) {
	sse := "text/event-stream; charset=utf-8"
	cases := []struct {
		name     string
		answers  []func(http.ResponseWriter)
		kind     Kind // "" for success
		attempts int
	}{
		{"ok", []func(http.ResponseWriter){body(sse, okStream)}, "", 1},
		{"5xx then ok", []func(http.ResponseWriter){status(503), body(sse, okStream)}, "", 2},
		{"5xx throughout", []func(http.ResponseWriter){status(500), status(502), status(504)}, KindServer, 3},
		{"401 not retried", []func(http.ResponseWriter){status(401)}, KindAuth, 1},
		{"403 not retried", []func(http.ResponseWriter){status(403)}, KindAuth, 1},
		{"400 not retried", []func(http.ResponseWriter){status(400)}, KindBadRequest, 1},
		{"429 past the backoff cap", []func(http.ResponseWriter){status(429, "Retry-After", "120")}, KindRateLimited, 1},
		{"429 within the cap", []func(http.ResponseWriter){status(429, "Retry-After", "0"), body(sse, okStream)}, "", 2},
		{"busy envelope retried", []func(http.ResponseWriter){
			body("application/json", `{"success":false,"data":{"code":"Bad_Request","details":"The chat is in progress!"}}`, "X-Actual-Status-Code", "400"),
			body(sse, okStream)}, "", 2},
		{"quota envelope", []func(http.ResponseWriter){
			body("application/json", `{"success":false,"request_id":"x","data":{"code":"RateLimited","details":"You've reached the upper limit for today's usage.","num":6}}`)},
			KindRateLimited, 1},
		{"parent missing", []func(http.ResponseWriter){
			body("application/json", `{"success":false,"data":{"code":"Bad_Request","details":"Invalid input chat parent_id x is not exist."}}`)}, KindNotFound, 1},
		{"firewall html", []func(http.ResponseWriter){body("text/html", "<!doctype html><html>challenge</html>")}, KindFirewall, 1},
		{"firewall json", []func(http.ResponseWriter){body("application/json", `{"requestInfo":{"x":1}}`)}, KindFirewall, 1},
		{"empty stream retried", []func(http.ResponseWriter){body(sse, ""), body(sse, okStream)}, "", 2},
		{"empty stream throughout", []func(http.ResponseWriter){body(sse, ""), body(sse, "data: [DONE]\n\n"), body(sse, "")}, KindEmptyAnswer, 3},
		{"risk control body", []func(http.ResponseWriter){body("application/json",
			`{"ret":["FAIL_SYS_USER_VALIDATE","RGV587_ERROR::SM::哎哟喂, 被挤爆啦, 请稍后重试"],"data":{"url":"https://chat.qwen.ai/punish?x=1"}}`)}, KindFirewall, 1},
		{"risk control as the only stream event", []func(http.ResponseWriter){body(sse,
			"data: {\"ret\":[\"FAIL_SYS_USER_VALIDATE\",\"RGV587_ERROR::SM::busy\"],\"data\":{}}\n\n")}, KindFirewall, 1},
		{"baxia page", []func(http.ResponseWriter){body("application/json", `{"x":"baxia-dialog"}`)}, KindFirewall, 1},
		{"captcha page", []func(http.ResponseWriter){body("text/plain", `please solve the captcha`)}, KindFirewall, 1},
		{"Bad_Request internal error not retried", []func(http.ResponseWriter){
			body("application/json", `{"success":false,"data":{"code":"Bad_Request","details":"Internal error..."}}`)}, KindBadRequest, 1},
		{"Internal_Server_Error retried", []func(http.ResponseWriter){
			body("application/json", `{"success":false,"data":{"code":"Internal_Server_Error","details":"Internal error"}}`), body(sse, okStream)}, "", 2},
		{"gateway 504 page in HTTP 200 retried", []func(http.ResponseWriter){
			body("text/html", `<html><head><title>504 Gateway Time-out</title></head><body>alibaba-ga</body></html>`), body(sse, okStream)}, "", 2},
		{"x-actual-status-code 504 retried", []func(http.ResponseWriter){
			body("text/html", `<html>timeout</html>`, "X-Actual-Status-Code", "504"), body(sse, okStream)}, "", 2},
		{"bare code and detail", []func(http.ResponseWriter){body(sse, "data: {\"code\":\"Unauthorized\",\"detail\":\"token expired\"}\n\n")}, KindAuth, 1},
		{"non-stream success", []func(http.ResponseWriter){body("application/json",
			`{"success":true,"data":{"parent_id":"p","message_id":"m","choices":[{"message":{"role":"assistant","content":"whole"}}]}}`)}, "", 1},
		{"non-stream success that speaks of a captcha", []func(http.ResponseWriter){body("application/json",
			`{"success":true,"data":{"parent_id":"p","message_id":"m","choices":[{"message":{"role":"assistant","content":"a captcha (baxia, punish) tells people from bots"}}]}}`)}, "", 1},
		{"failure envelope of the firewall", []func(http.ResponseWriter){body("application/json",
			`{"success":false,"data":{"code":"Bad_Request","details":"please pass the captcha"}}`)}, KindFirewall, 1},
		// Qwen's JSON answer is success:true (qwen-wire.md §4.3); JSON of
		// another shape is no answer, and not an answer-less stream.
		{"JSON that is no answer", []func(http.ResponseWriter){body("application/json", `{"unexpected":1}`)}, KindBadResponse, 1},
		// "Token has expired" says the token expired (qwen-2026.md §1.3).
		{"token has expired", []func(http.ResponseWriter){body("application/json",
			`{"success":false,"data":{"code":"Bad_Request","details":"Token has expired"}}`)}, KindAuth, 1},
		// KIY's account-failure texts (qwen-2026.md §1.3): the session is
		// the login's, whatever code carries them.
		{"session has expired", []func(http.ResponseWriter){body("application/json",
			`{"success":false,"data":{"code":"Bad_Request","details":"Your session has expired, please sign in again"}}`)}, KindAuth, 1},
		{"session no longer valid", []func(http.ResponseWriter){body(sse,
			"data: {\"error\": {\"code\": \"Forbidden\", \"details\": \"This session is no longer valid\"}}\n\n")}, KindAuth, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, calls := scripted(t, tc.answers...)
			s, _, attempts, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "m", time.Now(), MessageSpec{Content: "hi"}))
			if attempts.N != tc.attempts || int(calls.Load()) != tc.attempts {
				t.Fatalf("attempts %d (server saw %d), want %d", attempts.N, calls.Load(), tc.attempts)
			}
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ev, err := s.Next()
				if err != nil || ev.Kind != EventCreated || ev.Created.ParentID != "p" {
					t.Fatalf("first event %+v %v", ev, err)
				}
				return
			}
			qe, ok := AsError(err)
			if !ok || qe.Kind != tc.kind {
				t.Fatalf("err = %v, want kind %s", err, tc.kind)
			}
		})
	}
}

func TestCompleteTimesOutWithoutRetrying(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Token: "t", Cookies: "c"}, Timeout: 50 * time.Millisecond, MaxRetries: 3})
	c.thinking.learn(nil, time.Now()) // no model-list call on the way
	_, _, attempts, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "m", time.Now(), MessageSpec{Content: "hi"}))
	if qe, ok := AsError(err); !ok || qe.Kind != KindTimeout || attempts.N != 1 || calls.Load() != 1 {
		t.Fatalf("err %v attempts %d calls %d", err, attempts.N, calls.Load())
	}
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c := New(Config{BaseURL: url, Credentials: StaticCredentials{Token: "t", Cookies: "c"}, MaxRetries: 2, RetryBase: time.Millisecond})
	_, attempts, err := c.NewChat(context.Background(), "qwen3-max")
	if qe, ok := AsError(err); !ok || qe.Kind != KindNetwork || attempts.N != 3 {
		t.Fatalf("err %v attempts %d", err, attempts.N)
	}
	// Each failed attempt says how it failed, for the call's record.
	want := "chats_new: " + string(KindNetwork)
	if len(attempts.Failures) != 3 || attempts.Failures[0] != want || attempts.Failures[2] != want {
		t.Errorf("failures %q, want three of %q", attempts.Failures, want)
	}
}

func TestNoCredentialsNeverCallsUpstream(t *testing.T) {
	c := New(Config{BaseURL: "http://127.0.0.1:1", Credentials: StaticCredentials{Token: "t"}})
	if _, _, err := c.NewChat(context.Background(), "m"); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err %v", err)
	}
}

func TestNewChatReadsEveryIDForm(t *testing.T) {
	for _, b := range []string{
		`{"success":true,"request_id":"r","data":{"id":"chat-1"}}`,
		`{"success":true,"data":{"chat_id":"chat-1"}}`,
		`{"success":true,"data":{"chat":{"id":"chat-1"}}}`,
	} {
		c, _ := scripted(t, body("application/json", b))
		id, _, err := c.NewChat(context.Background(), "qwen3-max")
		if err != nil || id != "chat-1" {
			t.Errorf("%s: id %q err %v", b, id, err)
		}
	}
	c, _ := scripted(t, body("application/json", `{"success":true,"data":{}}`))
	if _, _, err := c.NewChat(context.Background(), "m"); err == nil {
		t.Fatal("no chat id accepted")
	}
}

func TestModelsReadsBothGenerations(t *testing.T) {
	for _, answers := range [][]func(http.ResponseWriter){
		{body("application/json", `{"success":true,"data":{"data":[{"id":"qwen3-max","info":{"is_active":true}}]}}`)},
		{status(404), body("application/json", `{"data":[{"id":"qwen3-max","info":{"is_active":true}}]}`)},
	} {
		c, _ := scriptedModels(t, true, answers...)
		models, err := c.Models(context.Background())
		if err != nil || len(models) != 1 || models[0].ID != "qwen3-max" || !models[0].Info.IsActive {
			t.Fatalf("models %+v err %v", models, err)
		}
	}
}

func TestBackoffIsBoundedWithJitter(t *testing.T) {
	c := New(Config{RetryBase: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond})
	for attempt, lo := range map[int]time.Duration{1: 50 * time.Millisecond, 2: 100 * time.Millisecond, 3: 200 * time.Millisecond, 10: 200 * time.Millisecond} {
		for range 50 {
			d := c.backoff(attempt)
			if d < lo || d > 2*lo {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, lo, 2*lo)
			}
		}
	}
}

func TestRetryHereCanHandAFailureBackAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	var asked []error
	c := New(Config{BaseURL: url, Credentials: StaticCredentials{Token: "t", Cookies: "c"}, MaxRetries: 2, RetryBase: time.Millisecond,
		RetryHere: func(_ context.Context, err error) bool { asked = append(asked, err); return false }})
	_, attempts, err := c.NewChat(context.Background(), "qwen3-max")
	if qe, ok := AsError(err); !ok || qe.Kind != KindNetwork || attempts.N != 1 || len(asked) != 1 {
		t.Fatalf("err %v after %d attempts, asked %d times", err, attempts.N, len(asked))
	}
}

// A Retry-After far ahead (a date years away, a huge count of seconds) or
// a quota answer's huge num of hours rests an account a day at most.
func TestRateLimitRestIsHeldToADay(t *testing.T) {
	for _, answer := range []func(http.ResponseWriter){
		status(429, "Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT"),
		status(429, "Retry-After", "99999999999999"),
		body("application/json", `{"success":false,"data":{"code":"RateLimited","details":"You've reached the upper limit for today's usage.","num":100000}}`),
	} {
		c, _ := scripted(t, answer)
		_, _, _, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "m", time.Now(), MessageSpec{Content: "hi"}))
		qe, ok := AsError(err)
		if !ok || qe.Kind != KindRateLimited || qe.RetryAfter != MaxRateLimitRest {
			t.Fatalf("rate limit: %v, retry after %v", err, qe.RetryAfter)
		}
	}
	if d := ParseRetryAfter(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), time.Now()); d <= 58*time.Minute || d > time.Hour {
		t.Fatalf("an hour ahead: %v", d)
	}
}

// A successful JSON answer is never scanned for the firewall's markers:
// a model list whose description speaks of a captcha is a model list, and
// a chat titled "baxia" is a chat. Pages and failures still are.
func TestAMarkerWordInASuccessIsNotAFirewall(t *testing.T) {
	models := `{"success":true,"data":{"data":[{"id":"m","name":"M","info":{"meta":{"description":"Solves a captcha, reads RGV587 and baxia logs"}}}]}}`
	c, _ := scriptedModels(t, true, body("application/json", models), body("application/json", `{"success":true,"data":{"id":"chat-1","title":"punish x5sec"}}`))
	if list, err := c.Models(context.Background()); err != nil || len(list) != 1 {
		t.Fatalf("model list: %v %v", list, err)
	}
	if id, _, err := c.NewChat(context.Background(), "m"); err != nil || id != "chat-1" {
		t.Fatalf("new chat: %q %v", id, err)
	}
	for _, answer := range []func(http.ResponseWriter){
		body("text/html", "<html>Please slide to verify</html>"),
		body("application/json", `{"success":false,"data":{"code":"Forbidden","details":"captcha required"}}`),
		body("text/plain", "baxia-dialog"),
	} {
		c, _ := scriptedModels(t, true, answer)
		_, err := c.Models(context.Background())
		if qe, ok := AsError(err); !ok || qe.Kind != KindFirewall {
			t.Fatalf("a firewall answer to the model list: %v", err)
		}
	}
}

// Qwen's non-streamed answer as recorded (qwen-wire.md §4.3: a JSON body
// spread over many lines) is read as an answer when it comes instead of the
// stream asked for: its parent and message ids and the whole text.
func TestRecordedNonStreamAnswerIsRead(t *testing.T) {
	rec, err := os.ReadFile("../../testdata/qwen/completion-nonstream.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Data struct {
			ParentID  string `json:"parent_id"`
			MessageID string `json:"message_id"`
			Choices   []struct{ Message struct{ Content string } }
		}
	}
	if err := json.Unmarshal(rec, &want); err != nil {
		t.Fatal(err)
	}
	c, _ := scripted(t, body("application/json", string(rec)))
	s, _, _, err := c.Complete(context.Background(), NewCompletionRequest("c", "", "qwen3-max", c.now(), MessageSpec{Content: "explain religion to an alien"}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := readAll(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Kind != EventCreated || evs[0].Created.ParentID != want.Data.ParentID || evs[0].Created.ResponseID != want.Data.MessageID {
		t.Fatalf("events %+v", evs)
	}
	if evs[1].Phase != PhaseAnswer || !evs[1].Finished || evs[1].Content != want.Data.Choices[0].Message.Content {
		t.Fatalf("answer %+v", evs[1])
	}
}

// A firewall or risk-control page is the firewall's whatever status it
// comes with (qwen-2026.md §1.3: the markers are a class of their own, and
// a WAF page must surface as one): with a 403 it was taken for rejected
// credentials (the account set aside until they changed), with a 405 for a
// refused request. A 4xx without a marker, and a gateway's 5xx page, keep
// their status's meaning.
func TestAFirewallPageWithAnErrorStatusIsTheFirewall(t *testing.T) {
	page := func(code int, contentType, b string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(code)
			io.WriteString(w, b)
		}
	}
	waf := `<!doctype html><html><body><div id="nc_1_n1z"></div><script>var aliyun_waf_aa="x";</script></body></html>`
	risk := `{"ret":["FAIL_SYS_USER_VALIDATE","RGV587_ERROR::SM::busy"],"data":{"url":"https://chat.qwen.ai/punish?x=1"}}`
	cases := []struct {
		name   string
		answer func(http.ResponseWriter)
		kind   Kind
	}{
		{"waf page 403", page(403, "text/html", waf), KindFirewall},
		{"waf page 405", page(405, "text/html; charset=utf-8", waf), KindFirewall},
		{"risk control 403", page(403, "application/json", risk), KindFirewall},
		{"plain 403", page(403, "text/plain", "Forbidden"), KindAuth},
		{"unauthorized envelope 401", page(401, "application/json", `{"success":false,"data":{"code":"Unauthorized","details":"Invalid token"}}`), KindAuth},
		{"gateway page 502", page(502, "text/html", "<html><body>502 Bad Gateway</body></html>"), KindServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := scriptedModels(t, true, tc.answer, tc.answer, tc.answer)
			_, err := c.Models(context.Background())
			if qe, ok := AsError(err); !ok || qe.Kind != tc.kind {
				t.Errorf("model list: %v, want %s", err, tc.kind)
			}
			c, _ = scripted(t, tc.answer, tc.answer, tc.answer)
			c.cfg.MaxRetries = 0
			if _, _, err := c.NewChat(context.Background(), "m"); !isKind(err, tc.kind) {
				t.Errorf("new chat: %v, want %s", err, tc.kind)
			}
			c, _ = scripted(t, tc.answer, tc.answer, tc.answer)
			c.cfg.MaxRetries = 0
			if _, _, _, err := c.Complete(context.Background(), NewCompletionRequest("chat", "", "m", time.Now(), MessageSpec{Content: "hi"})); !isKind(err, tc.kind) {
				t.Errorf("completion: %v, want %s", err, tc.kind)
			}
		})
	}
}

func isKind(err error, kind Kind) bool {
	qe, ok := AsError(err)
	return ok && qe.Kind == kind
}
