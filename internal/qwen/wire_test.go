package qwen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testJWT is a login token whose payload is {"id":"u","exp":exp}.
func testJWT(exp int64) string {
	payload, _ := json.Marshal(map[string]any{"id": "u", "exp": exp})
	return "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".sig"
}

func TestNewCompletionRequestShape(t *testing.T) {
	now := time.Unix(1761489788, 0)
	req := NewCompletionRequest("chat-1", "parent-1", "qwen3-max", now, MessageSpec{Role: "user", Content: "hi", Thinking: true})
	req.ChatMode = ChatModeNormal
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`{"stream":true,"version":"2.1","incremental_output":true,"chat_id":"chat-1","chatId":"chat-1","chat_mode":"normal","model":"qwen3-max"`,
		`"parent_id":"parent-1","parentId":"parent-1","messages"`, `"timestamp":1761489788}`,
		`"feature_config":{"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Thinking","thinking_format":"summary","auto_search":false}`,
		`"messages":[{"id":null,"fid":"`, `"role":"user","content":"hi","user_action":"chat","files":[]`, `"models":["qwen3-max"],"model":"","chat_type":"t2t"`,
		`"extra":{"meta":{"subChatType":"t2t"}},"sub_chat_type":"t2t","parent_id":"parent-1"}]`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in %s", want, s)
		}
	}
	if len(req.Messages) != 1 || len(req.Messages[0].ChildrenIDs) != 1 || len(req.Messages[0].ChildrenIDs[0]) != 36 {
		t.Fatalf("message %+v", req.Messages)
	}
	first := NewCompletionRequest("c", "", "m", now, MessageSpec{Content: "x"})
	if b, _ := json.Marshal(first); !bytes.Contains(b, []byte(`"parent_id":null,"parentId":null,"messages"`)) || !bytes.Contains(b, []byte(`"thinking_enabled":false,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Fast"`)) {
		t.Fatalf("first turn: %s", b)
	}
}

func TestCredentialForms(t *testing.T) {
	jwt := testJWT(4102444800)
	cases := []struct {
		name                      string
		creds                     Credentials
		configured                bool
		mode, login, umid, cookie string
		misplaced                 bool
	}{
		{"cookie with a token alone", Credentials{Cookies: "a=1; token=" + jwt}, true, "normal", jwt, "", "a=1; token=" + jwt, false},
		{"token cookie and bx-umidtoken", Credentials{Token: "T2gA", Cookies: "token=" + jwt}, true, "normal", jwt, "T2gA", "token=" + jwt, false},
		{"guest", Credentials{Token: "T2gA", Cookies: "acw_tc=1"}, true, "guest", "", "T2gA", "acw_tc=1", false},
		{"guest without bx-umidtoken", Credentials{Cookies: "acw_tc=1"}, false, "guest", "", "", "acw_tc=1", false},
		{"bx-umidtoken alone", Credentials{Token: "T2gA"}, false, "guest", "", "T2gA", "", false},
		{"JWT in QWEN_TOKEN", Credentials{Token: jwt, Cookies: "acw_tc=1;"}, true, "normal", jwt, "", "acw_tc=1; token=" + jwt, true},
		{"JWT in QWEN_TOKEN alone", Credentials{Token: jwt}, true, "normal", jwt, "", "token=" + jwt, true},
		{"nothing", Credentials{}, false, "guest", "", "", "", false},
	}
	for _, tc := range cases {
		c := tc.creds
		if c.Configured() != tc.configured || c.ChatMode() != tc.mode || c.LoginToken() != tc.login || c.UmidToken() != tc.umid ||
			c.CookieHeader() != tc.cookie || c.TokenMisplaced() != tc.misplaced {
			t.Errorf("%s: configured %v mode %s login %q umid %q cookie %q misplaced %v", tc.name, c.Configured(), c.ChatMode(),
				c.LoginToken(), c.UmidToken(), c.CookieHeader(), c.TokenMisplaced())
		}
	}
	// What was given but cannot sign a call says why; nothing given, or
	// enough, says nothing.
	for _, c := range []Credentials{{Cookies: "acw_tc=1"}, {Token: "T2gA"}} {
		if c.Configured() || c.Incomplete() == "" {
			t.Errorf("%+v: configured %v, incomplete %q", c, c.Configured(), c.Incomplete())
		}
	}
	for _, c := range []Credentials{{}, {Token: "T2gA", Cookies: "acw_tc=1"}, {Cookies: "token=" + jwt}} {
		if c.Incomplete() != "" {
			t.Errorf("%+v: incomplete %q", c, c.Incomplete())
		}
	}
	if exp, ok := (Credentials{Token: jwt}).Expiry(); !ok || exp.Unix() != 4102444800 {
		t.Fatalf("expiry %v %v", exp, ok)
	}
}

// recording serves the three calls and keeps each request's headers.
type recording struct {
	mu     sync.Mutex
	calls  []*http.Request
	bodies [][]byte
}

func (rec *recording) serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.calls, rec.bodies = append(rec.calls, r), append(rec.bodies, b)
		rec.mu.Unlock()
		switch {
		case strings.Contains(r.URL.Path, "/models"):
			io.WriteString(w, `{"success":true,"data":{"data":[{"id":"qwen3.8-max","info":{"is_active":true,"meta":{"think_skip":{"enable":false}}}},`+
				`{"id":"qwen3-max","info":{"is_active":true,"meta":{"think_skip":{"enable":true}}}}]}}`)
		case strings.HasSuffix(r.URL.Path, "/chats/new"):
			io.WriteString(w, `{"success":true,"data":{"id":"chat-9"}}`)
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, okStream)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestEveryCallCarriesTheWebClientHeaders(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	jwt := testJWT(4102444800)
	c := New(Config{BaseURL: srv.URL, WebVersion: "0.9.9", Credentials: StaticCredentials{Cookies: "acw_tc=1; token=" + jwt}})
	ctx := context.Background()
	if _, err := c.Models(ctx); err != nil {
		t.Fatal(err)
	}
	chatID, _, err := c.NewChat(ctx, "qwen3-max")
	if err != nil {
		t.Fatal(err)
	}
	s, sent, _, err := c.Complete(ctx, NewCompletionRequest(chatID, "", "qwen3-max", time.Now(), MessageSpec{Content: "hi"}))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(rec.calls) != 3 {
		t.Fatalf("%d calls", len(rec.calls))
	}
	ids := map[string]bool{}
	for i, r := range rec.calls {
		h := r.Header
		referer := srv.URL + "/c/new-chat"
		if i == 2 {
			referer = srv.URL + "/c/chat-9"
		}
		want := map[string]string{"source": "web", "Version": "0.9.9", "Origin": srv.URL, "Referer": referer, "Accept": "application/json",
			"Authorization": "Bearer " + jwt, "Cookie": "acw_tc=1; token=" + jwt, "User-Agent": DefaultUserAgent,
			"sec-ch-ua-platform": `"Windows"`, "sec-fetch-mode": "cors"}
		for k, v := range want {
			if h.Get(k) != v {
				t.Errorf("call %d %s: %s = %q, want %q", i, r.URL.Path, k, h.Get(k), v)
			}
		}
		if !strings.Contains(h.Get("sec-ch-ua"), `"Google Chrome";v="149"`) || !strings.Contains(DefaultUserAgent, "Chrome/149.") {
			t.Errorf("client hints %q for %q", h.Get("sec-ch-ua"), DefaultUserAgent)
		}
		if _, err := time.Parse("Mon Jan 02 2006 15:04:05 GMT-0700", h.Get("timezone")); err != nil {
			t.Errorf("timezone %q: %v", h.Get("timezone"), err)
		}
		if id := h.Get("x-request-id"); len(id) != 36 || ids[id] {
			t.Errorf("x-request-id %q not a fresh UUID", id)
		} else {
			ids[id] = true
		}
		if h.Get("bx-umidtoken") != "" {
			t.Errorf("bx-umidtoken sent though none is configured")
		}
	}
	var newChat map[string]any
	if err := json.Unmarshal(rec.bodies[1], &newChat); err != nil {
		t.Fatal(err)
	}
	if newChat["chatId"] != "" || newChat["project_id"] != "" || newChat["chat_mode"] != "normal" || newChat["chat_type"] != "t2t" ||
		newChat["timestamp"].(float64) < 1e12 || newChat["title"] != nil {
		t.Fatalf("chats/new body %s", rec.bodies[1])
	}
	if !bytes.Equal(sent, rec.bodies[2]) || !bytes.Contains(sent, []byte(`"chat_mode":"normal"`)) {
		t.Fatalf("sent %s, received %s", sent, rec.bodies[2])
	}
}

func TestGuestCallsAndACustomUserAgent(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	c := New(Config{BaseURL: srv.URL, UserAgent: "curl/8", Credentials: StaticCredentials{Token: "T2gA", Cookies: "acw_tc=1"}})
	if _, _, err := c.NewChat(context.Background(), "qwen3-max"); err != nil {
		t.Fatal(err)
	}
	h := rec.calls[0].Header
	if h.Get("bx-umidtoken") != "T2gA" || h.Get("Authorization") != "" || h.Get("Version") != DefaultWebVersion || h.Get("sec-ch-ua") != "" || h.Get("User-Agent") != "curl/8" {
		t.Fatalf("headers %v", h)
	}
	if !bytes.Contains(rec.bodies[0], []byte(`"chat_mode":"guest"`)) {
		t.Fatalf("body %s", rec.bodies[0])
	}
}

func TestThinkingRequiredModelsAlwaysThink(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Cookies: "token=" + testJWT(4102444800)}})
	ctx := context.Background()
	// Thinking forced on is paired as the web client pairs it: an explicit
	// mode with auto_thinking off; thinking already on (left to Qwen, or
	// asked for) is sent as asked.
	forced := `"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Thinking"`
	auto := `"thinking_enabled":true,"output_schema":"phase","research_mode":"normal","auto_thinking":true,"thinking_mode":"Auto"`
	off := `"thinking_enabled":false,"output_schema":"phase","research_mode":"normal","auto_thinking":false,"thinking_mode":"Fast"`
	for _, tc := range []struct {
		model string
		spec  MessageSpec
		want  string
	}{
		{"qwen3.8-max", MessageSpec{Content: "x"}, forced},
		{"qwen3.8-max", MessageSpec{Content: "x", Thinking: true}, forced},
		{"qwen3.8-max", MessageSpec{Content: "x", Thinking: true, ThinkingAuto: true}, auto},
		{"qwen3-max", MessageSpec{Content: "x"}, off},
		{"qwen3-max", MessageSpec{Content: "x", Thinking: true, ThinkingAuto: true}, auto},
	} {
		s, sent, _, err := c.Complete(ctx, NewCompletionRequest("c", "", tc.model, time.Now(), tc.spec))
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if !bytes.Contains(sent, []byte(tc.want)) {
			t.Errorf("%s %+v: want %s in %s", tc.model, tc.spec, tc.want, sent)
		}
	}
	models := 0
	for _, r := range rec.calls {
		if strings.Contains(r.URL.Path, "/models") {
			models++
		}
	}
	if models != 1 {
		t.Fatalf("model list fetched %d times, want once", models)
	}
}

func TestCompleteRefusesMoreThanOneMessage(t *testing.T) {
	req := NewCompletionRequest("c", "", "m", time.Now(), MessageSpec{Content: "x"})
	req.Messages = append(req.Messages, req.Messages[0])
	c := New(Config{BaseURL: "http://127.0.0.1:1", Credentials: StaticCredentials{Token: "t", Cookies: "c"}})
	if _, _, n, err := c.Complete(context.Background(), req); err == nil || n.N != 0 {
		t.Fatalf("two messages: %v after %d attempts", err, n.N)
	}
}

func TestConcurrentFirstCallsFetchTheModelListOnce(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Cookies: "token=" + testJWT(4102444800)}})
	var wg sync.WaitGroup
	got := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got <- c.ThinkingRequired(context.Background(), "qwen3.8-max")
		}()
	}
	wg.Wait()
	close(got)
	for g := range got {
		if !g {
			t.Fatal("a caller did not learn that qwen3.8-max requires thinking")
		}
	}
	if len(rec.calls) != 1 {
		t.Fatalf("%d model-list calls, want 1", len(rec.calls))
	}
}
