package qwensim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// webClient sends what the 2026 web client sends; edit adjusts a request.
func webCall(t *testing.T, srv *Server, path, body string, edit func(*http.Request)) (int, string, string) {
	t.Helper()
	method := http.MethodPost
	if body == "" {
		method = http.MethodGet
	}
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "acw_tc=1; "+LoginCookie())
	req.Header.Set("User-Agent", "Mozilla/5.0 Chrome/149.0.0.0")
	req.Header.Set("x-request-id", "8e6d2b1c-0000-4000-8000-000000000000")
	req.Header.Set("source", "web")
	req.Header.Set("Version", "0.3.11")
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func newChat2026(t *testing.T, srv *Server, edit func(*http.Request), mode string) string {
	t.Helper()
	_, _, b := webCall(t, srv, "/api/v2/chats/new", `{"chatId":"","models":["qwen3-max"],"project_id":"","timestamp":1,"chat_type":"t2t","chat_mode":"`+mode+`"}`, edit)
	var v struct{ Data struct{ ID string } }
	if json.Unmarshal([]byte(b), &v); v.Data.ID == "" {
		t.Fatalf("new chat: %s", b)
	}
	return v.Data.ID
}

func completion(chatID, mode, model string, thinking bool, contents ...string) string {
	var msgs []string
	for _, c := range contents {
		b, _ := json.Marshal(c)
		msgs = append(msgs, `{"role":"user","content":`+string(b)+`,"parent_id":null,"feature_config":{"thinking_enabled":`+map[bool]string{true: "true", false: "false"}[thinking]+`}}`)
	}
	return `{"stream":true,"version":"2.1","chat_id":"` + chatID + `","chat_mode":"` + mode + `","model":"` + model + `","parent_id":null,"messages":[` + strings.Join(msgs, ",") + `]}`
}

func TestTheRequestRulesOf2026(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	del := func(h string) func(*http.Request) { return func(r *http.Request) { r.Header.Del(h) } }
	guest := func(r *http.Request) { r.Header.Set("Cookie", "acw_tc=1") }
	cases := []struct {
		name, path, body string
		edit             func(*http.Request)
		want             string // a part of the answer
	}{
		{"web client", "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", "qwen3-max", false, "hi"), nil, `"response.created"`},
		{"no x-request-id", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`, del("x-request-id"), "aliyun_waf"},
		{"no Version", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`, del("Version"), `"code":"Bad_Request","details":"Internal error..."`},
		{"no Version on the model list is fine", "/api/v2/models/", "", del("Version"), `"success":true`},
		{"guest without bx-umidtoken", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"guest"}`, guest, "aliyun_waf"},
		{"guest with bx-umidtoken", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"guest"}`,
			func(r *http.Request) { guest(r); r.Header.Set("bx-umidtoken", "T2gA") }, `"success":true`},
		{"Bearer alone signs in", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`,
			func(r *http.Request) {
				r.Header.Del("Cookie")
				r.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(LoginCookie(), "token="))
			}, `"success":true`},
		{"a token that is no JWT", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"normal"}`,
			func(r *http.Request) { r.Header.Set("Cookie", "token=abc") }, `"code":"Unauthorized"`},
		{"guest mode while logged in", "/api/v2/chats/new", `{"models":["qwen3-max"],"chat_mode":"guest"}`, nil, `does not match`},
		{"normal mode as a guest", "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", "qwen3-max", false, "hi"),
			func(r *http.Request) { guest(r); r.Header.Set("bx-umidtoken", "T2gA") }, `does not match`},
		{"two messages", "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", "qwen3-max", false, "sys", "hi"), nil, TooManyMessages},
		{"thinking off on a model that requires it", "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", ThinkingModel, false, "hi"), nil, "invalid_input"},
	}
	for _, tc := range cases {
		_, _, b := webCall(t, srv, tc.path, tc.body, tc.edit)
		if !strings.Contains(b, tc.want) {
			t.Errorf("%s: answer %.300s, want %s", tc.name, b, tc.want)
		}
	}
	// The 2026 model list carries the thinking-required entry.
	_, _, b := webCall(t, srv, "/api/v2/models/", "", nil)
	if !strings.Contains(b, `"id":"`+ThinkingModel+`"`) || !strings.Contains(b, `"think_skip":{"enable":false}`) {
		t.Fatalf("model list %.200s", b)
	}
	// The 2025 path serves the same list, bare, as a 2026 peer reads it
	// there (qwen-2026.md §2.2: think_skip from /api/models): it was a 404,
	// which no source shows.
	code, _, b := webCall(t, srv, "/api/models", "", nil)
	var bare struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(b), &bare); code != http.StatusOK || err != nil || len(bare.Data) == 0 ||
		bare.Data[len(bare.Data)-2].ID != ThinkingModel || strings.Contains(b, `"success"`) {
		t.Fatalf("2025 model list path: %d %.200s", code, b)
	}
}

func TestThe2025RulesStayAnOption(t *testing.T) {
	srv, err := Start(Options{Format: Format2025})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChatViaHTTP(t, srv)
	resp := post(t, srv.URL+"/api/v2/chat/completions?chat_id="+chatID, completion(chatID, "guest", "qwen3-max", false, "sys", "hi"))
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"response.created"`) {
		t.Fatalf("2025 answer %s", b)
	}
}

func TestTheFoldedSystemSectionIsTheModelsInstructions(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	msg := "[System instructions]\nBe terse.\n\n### write\n[End of system instructions]\n\nuse write with {\"path\": \"a\"}"
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, completion(chatID, "normal", "qwen3-max", false, msg), nil)
	if !strings.Contains(b, `tool_call`) || !strings.Contains(b, `write`) {
		t.Fatalf("answer %.500s", b)
	}
}

// The sign-in is held to the rules of every call: the firewall's (the web
// client's x-request-id and browser User-Agent) and the Version
// header, so that a sign-in that leaves out the web client's headers fails
// here as it would at Qwen.
func TestTheSignInFollowsTheRules(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddAccount("a@x.io", "right")
	sum := sha256.Sum256([]byte("right"))
	body := `{"email":"a@x.io","password":"` + hex.EncodeToString(sum[:]) + `"}`
	del := func(h string) func(*http.Request) { return func(r *http.Request) { r.Header.Del(h) } }
	for _, tc := range []struct {
		name string
		edit func(*http.Request)
		want string
	}{
		{"web client", nil, `"token":"eyJ`},
		{"no Version", del("Version"), InternalError},
		{"no x-request-id", del("x-request-id"), "<html"},
		{"not a browser", func(r *http.Request) { r.Header.Set("User-Agent", "Go-http-client/1.1") }, "<html"},
	} {
		if _, _, got := webCall(t, srv, "/api/v1/auths/signin", body, tc.edit); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if n := srv.SignIns("a@x.io"); n != 1 {
		t.Fatalf("%d sign-ins, want the web client's only", n)
	}
}

// In 2026 Qwen does not answer a chat completion with stream:false
// (qwen-2026.md §2.2: "upstream doesn't support stream=false"; qwen-wire.md
// §4.1, S6): the 2025 JSON answer is not served, the call is refused, and
// the chat takes the streamed turn after it.
func TestStreamFalseIsRefusedIn2026(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	path := "/api/v2/chat/completions?chat_id=" + chatID
	nonStream := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "hi"), `"stream":true`, `"stream":false`, 1)
	_, ct, b := webCall(t, srv, path, nonStream, nil)
	if ct != "application/json" || !strings.Contains(b, `"success":false`) || !strings.Contains(b, `"code":"Bad_Request"`) || strings.Contains(b, `"choices"`) {
		t.Fatalf("stream:false answered %s %s", ct, b)
	}
	if _, _, b := webCall(t, srv, path, completion(chatID, "normal", "qwen3-max", false, "hi"), nil); !strings.Contains(b, `"response.created"`) {
		t.Fatalf("the streamed turn after it: %.300s", b)
	}
}

// Without feature_config.output_schema "phase" Qwen stops tagging deltas
// with their phase (qwen-2026.md §2.2): the simulator's 2026 answer then
// carries none, so a request that leaves it out fails here as at Qwen.
func TestDeltasCarryTheirPhaseOnlyWhenAskedIn2026(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, asked := range []bool{true, false} {
		chatID := newChat2026(t, srv, nil, "normal")
		body := completion(chatID, "normal", "qwen3-max", true, "hi")
		if asked {
			body = strings.Replace(body, `"feature_config":{`, `"feature_config":{"output_schema":"phase",`, 1)
		}
		_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
		if !strings.Contains(b, `"choices"`) || strings.Contains(b, `"phase"`) != asked {
			t.Errorf("output_schema phase asked %v: %.400s", asked, b)
		}
	}
}

// Qwen keeps a long generation's caller with response.info keep-alives
// (qwen-wire.md §4.2, 2026 additions; qwen-2026.md §3.7): an image
// generation's stream carries one before the image, so that the proxy's
// handling of them is exercised end to end.
func TestImageGenerationSendsAKeepAliveFirst(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	body := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "a red cat"), `"feature_config":{`, `"chat_type":"t2i","feature_config":{"output_schema":"phase",`, 1)
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
	keep, image := strings.Index(b, `{"response.info": {"action": "keep_alive", "chat_id": "`+chatID+`"`), strings.Index(b, `"phase": "image_gen"`)
	if keep < 0 || image < 0 || keep > image {
		t.Fatalf("no keep-alive before the image: %.800s", b)
	}
}

// A search answers as Qwen's own tools answer (qwen-wire.md §4.2, S8: the
// web_search phase's function_call with its function_id, the result as a
// frame of role "function"; qwen-2026.md §2.2, Q2A: the sources in the
// frame whose delta.name is "web_search"): the call, then the result
// carrying extra.web_search_info, before the answer.
func TestASearchAnswersAsQwensOwnTool(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	chatID := newChat2026(t, srv, nil, "normal")
	body := strings.Replace(completion(chatID, "normal", "qwen3-max", false, "news in oslo"), `"feature_config":{`, `"chat_type":"search","feature_config":{"output_schema":"phase",`, 1)
	_, _, b := webCall(t, srv, "/api/v2/chat/completions?chat_id="+chatID, body, nil)
	type delta struct {
		Role, Name, Phase, Status string
		FunctionCall              *struct{ Name, Arguments string } `json:"function_call"`
		FunctionID                string                            `json:"function_id"`
		Extra                     *struct {
			WebSearchInfo []struct{ URL, Title string } `json:"web_search_info"`
		}
	}
	var call, result *delta
	answerAt, resultAt := -1, -1
	for i, line := range strings.Split(b, "\n") {
		var ev struct{ Choices []struct{ Delta delta } }
		if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) != nil || len(ev.Choices) == 0 {
			continue
		}
		d := ev.Choices[0].Delta
		switch {
		case d.FunctionCall != nil:
			call = &d
		case d.Role == "function":
			result, resultAt = &d, i
		case d.Phase == "answer" && answerAt < 0:
			answerAt = i
		}
	}
	if call == nil || call.Phase != "web_search" || call.FunctionCall.Name != "web_search" || !strings.Contains(call.FunctionCall.Arguments, "news in oslo") || call.FunctionID == "" {
		t.Fatalf("the search's call: %+v in %.1500s", call, b)
	}
	if result == nil || result.Name != "web_search" || result.Phase != "web_search" || result.Status != "finished" || result.FunctionID != call.FunctionID ||
		result.Extra == nil || len(result.Extra.WebSearchInfo) != 2 || resultAt > answerAt {
		t.Fatalf("the search's result: %+v in %.1500s", result, b)
	}
}

// A call without the source header is answered as the web client's is: the
// web client and most peers send "source: web", but a peer that sent none
// passed Qwen's firewall (qwen-2026.md §1.1: YJZ, June 2026, with only a
// Bearer token, x-request-id and a browser's User-Agent), and no source
// says a call without it is refused. The firewall page it got was the
// simulator's invention.
func TestACallWithoutTheSourceHeaderIsAnswered(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddAccount("a@x.io", "right")
	noSource := func(r *http.Request) { r.Header.Del("source") }
	chatID := newChat2026(t, srv, noSource, "normal")
	sum := sha256.Sum256([]byte("right"))
	for _, c := range []struct{ name, path, body, want string }{
		{"model list", "/api/v2/models/", "", `"success":true`},
		{"completion", "/api/v2/chat/completions?chat_id=" + chatID, completion(chatID, "normal", "qwen3-max", false, "hi"), `"response.created"`},
		{"sign-in", "/api/v1/auths/signin", `{"email":"a@x.io","password":"` + hex.EncodeToString(sum[:]) + `"}`, `"token":"eyJ`},
	} {
		if _, _, got := webCall(t, srv, c.path, c.body, noSource); !strings.Contains(got, c.want) {
			t.Errorf("%s without source: %.200s, want %s", c.name, got, c.want)
		}
	}
}
