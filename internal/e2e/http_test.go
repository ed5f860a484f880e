package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	qp "qwenproxy"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

func postJSON(t *testing.T, e *env, path, body string, header map[string]string) *http.Response {
	t.Helper()
	return send(t, e, http.MethodPost, path, "application/json", body, header)
}

// send makes one call with the given Content-Type ("" for none) and
// headers; the response body is closed when the test ends.
func send(t *testing.T, e *env, method, path, contentType, body string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, e.app.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

type envelope struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func decodeEnvelope(t *testing.T, resp *http.Response) envelope {
	t.Helper()
	var env envelope
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &env); err != nil || env.Error.Message == "" || env.Error.Type == "" {
		t.Fatalf("not an error envelope: %s", b)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("headers %v", resp.Header)
	}
	return env
}

func TestInvalidRequestsAreRefusedAndChangeNothing(t *testing.T) {
	e := start(t, nil)
	cases := []struct {
		name, path, body, param string
	}{
		{"malformed JSON", "/v1/chat/completions", `{"messages": [`, ""},
		{"empty body", "/v1/chat/completions", ``, ""},
		{"not an object", "/v1/chat/completions", `[1,2]`, ""},
		{"messages missing", "/v1/chat/completions", `{"model":"qwen3-max"}`, "messages"},
		{"messages not an array", "/v1/chat/completions", `{"messages":"hi"}`, "messages"},
		{"messages empty", "/v1/chat/completions", `{"messages":[]}`, "messages"},
		{"no user message", "/v1/chat/completions", `{"messages":[{"role":"system","content":"x"},{"role":"assistant","content":"y"}]}`, "messages"},
		{"role missing", "/v1/chat/completions", `{"messages":[{"content":"x"}]}`, "messages[0].role"},
		{"bad role", "/v1/chat/completions", `{"messages":[{"role":"robot","content":"x"}]}`, "messages[0].role"},
		{"empty user content", "/v1/chat/completions", `{"messages":[{"role":"user","content":"  "}]}`, "messages[0].content"},
		{"content of wrong type", "/v1/chat/completions", `{"messages":[{"role":"user","content":42}]}`, "messages[0].content"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"tool without call id", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}`, "messages[1].tool_call_id"},
		{"stream not a boolean", "/v1/chat/completions", `{"stream":"yes","messages":[{"role":"user","content":"x"}]}`, "stream"},
		{"model not a string", "/v1/chat/completions", `{"model":5,"messages":[{"role":"user","content":"x"}]}`, "model"},
		{"temperature out of range", "/v1/chat/completions", `{"temperature":3,"messages":[{"role":"user","content":"x"}]}`, "temperature"},
		{"several choices", "/v1/chat/completions", `{"n":2,"messages":[{"role":"user","content":"x"}]}`, "n"},
		{"include_usage not a boolean", "/v1/chat/completions", `{"stream":true,"stream_options":{"include_usage":1},"messages":[{"role":"user","content":"x"}]}`, "stream_options.include_usage"},
		{"prompt missing", "/v1/completions", `{"model":"qwen3-max"}`, "prompt"},
		{"prompt of wrong type", "/v1/completions", `{"prompt":7}`, "prompt"},
		{"batched prompts", "/v1/completions", `{"prompt":["a","b"]}`, "prompt"},
		{"nested too deeply", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"metadata":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := postJSON(t, e, tc.path, tc.body, nil)
			env := decodeEnvelope(t, resp)
			if resp.StatusCode != 400 || env.Error.Type != "invalid_request_error" {
				t.Fatalf("status %d envelope %+v", resp.StatusCode, env)
			}
			param := ""
			if env.Error.Param != nil {
				param = *env.Error.Param
			}
			if param != tc.param {
				t.Fatalf("param %q, want %q (%s)", param, tc.param, env.Error.Message)
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM requests`); n != 0 {
		t.Fatalf("%d requests recorded for invalid calls", n)
	}
	if calls := e.sim.Calls(); len(calls) != 0 {
		t.Fatalf("upstream called for invalid requests: %d calls", len(calls))
	}
}

func TestProtocolErrors(t *testing.T) {
	e := start(t, func(c *config.Config) { c.MaxBodyBytes = 1024 })
	do := func(method, path, contentType, body string) *http.Response {
		req, _ := http.NewRequestWithContext(ctxT(t), method, e.app.URL()+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := do(http.MethodGet, "/v1/chat/completions", "", "")
	if env := decodeEnvelope(t, resp); resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || *env.Error.Code != "method_not_allowed" {
		t.Fatalf("405: %d %v", resp.StatusCode, resp.Header)
	}
	resp = do(http.MethodDelete, "/v1/models", "", "")
	if decodeEnvelope(t, resp); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("405 on models: %d %v", resp.StatusCode, resp.Header)
	}
	resp = do(http.MethodGet, "/v1/nothing-here", "", "")
	if env := decodeEnvelope(t, resp); resp.StatusCode != 404 || *env.Error.Code != "not_found" {
		t.Fatalf("404: %d", resp.StatusCode)
	}
	resp = do(http.MethodPost, "/v1/chat/completions", "text/plain", `{"messages":[{"role":"user","content":"x"}]}`)
	if env := decodeEnvelope(t, resp); resp.StatusCode != 415 || *env.Error.Code != "unsupported_media_type" {
		t.Fatalf("415: %d", resp.StatusCode)
	}
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2048) + `"}]}`
	resp = do(http.MethodPost, "/v1/chat/completions", "application/json", big)
	if env := decodeEnvelope(t, resp); resp.StatusCode != 413 || *env.Error.Code != "request_too_large" {
		t.Fatalf("413: %d", resp.StatusCode)
	}
	// A client that waits for 100 Continue (curl, from 1 MiB) is refused
	// before it sends a body declared too large: it was asked for the
	// body, and the connection closed under it with most of it unsent
	// (curl: "Connection reset by peer").
	conn, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"+
		"Content-Length: 20000000\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound: the answer needs no body
	if status, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(status, "HTTP/1.1 413 ") {
		t.Fatalf("Expect: 100-continue with a body too large: %q %v", status, err)
	}
	// A charset parameter is fine.
	resp = do(http.MethodPost, "/v1/chat/completions", "application/json; charset=utf-8", `{"messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("json with charset: %d", resp.StatusCode)
	}
}

func TestHealthReportsCredentialsWithoutValues(t *testing.T) {
	exp := time.Now().Add(72 * time.Hour).Truncate(time.Second)
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"id":"u1","exp":` + jsonInt(exp.Unix()) + `}`))
	jwt := "eyJhbGciOiJIUzI1NiJ9." + payload + ".c2lnbmF0dXJl"
	e := start(t, func(c *config.Config) { c.QwenCookies = "acw_tc=abc; token=" + jwt })
	resp, err := http.Get(e.app.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var h struct {
		Status      string `json:"status"`
		Credentials struct {
			Configured     bool      `json:"configured"`
			TokenExpiresAt time.Time `json:"token_expires_at"`
			TokenExpired   bool      `json:"token_expired"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Status != "ok" || !h.Credentials.Configured || !h.Credentials.TokenExpiresAt.Equal(exp) || h.Credentials.TokenExpired {
		t.Fatalf("health %d %s", resp.StatusCode, b)
	}
	for _, secret := range []string{"test-token", "acw_tc", payload} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("health reveals %q: %s", secret, b)
		}
	}
	ready, err := http.Get(e.app.URL() + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != 200 {
		t.Fatalf("ready %d", ready.StatusCode)
	}
}

func TestReadyFailsWithoutCredentials(t *testing.T) {
	// Cookies without a login token and no bx-umidtoken: not enough.
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "acw_tc=abc" })
	resp, err := http.Get(e.app.URL() + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(b), `"credentials":"not_configured"`) {
		t.Fatalf("ready %d %s", resp.StatusCode, b)
	}
	health, err := http.Get(e.app.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != 200 {
		t.Fatalf("liveness %d without credentials", health.StatusCode)
	}
}

// /health/ready is the probe: 503 while the server is not ready.
// /health/detailed is the report an operator or the dashboard reads: it
// answers 200 with the same checks and "status":"not_ready" and its
// figures, as a failed status would make every browser log an error for
// each of the dashboard's reads of it (every page, and every 10 s on Live).
func TestDetailedHealthReportsReadinessInItsBody(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cookie string
		ready  int
		state  string
	}{
		{"ready", "", 200, "ready"},
		{"without credentials", "acw_tc=abc", 503, "not_ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, func(c *config.Config) {
				if tc.cookie != "" {
					c.QwenToken, c.QwenCookies = "", tc.cookie
				}
			})
			for path, status := range map[string]int{"/health/ready": tc.ready, "/health/detailed": 200} {
				resp, err := http.Get(e.app.URL() + path)
				if err != nil {
					t.Fatal(err)
				}
				var body struct {
					Status   string            `json:"status"`
					Checks   map[string]string `json:"checks"`
					Recorder map[string]any    `json:"recorder"`
				}
				err = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != status || body.Status != tc.state || len(body.Checks) == 0 {
					t.Fatalf("%s: %d %+v (%v), want %d %q with its checks", path, resp.StatusCode, body, err, status, tc.state)
				}
				if path == "/health/detailed" && body.Recorder == nil {
					t.Fatalf("%s without its figures: %+v", path, body)
				}
			}
		})
	}
}

func TestMockUpstreamModeServesTheSimulator(t *testing.T) {
	e := start(t, func(c *config.Config) {
		c.MockUpstream, c.QwenToken, c.QwenCookies = true, "", ""
		c.QwenBaseURL = "https://chat.qwen.ai" // replaced by the simulator's URL
	})
	got, err := e.client.Chat.Completions.New(ctxT(t), chatParams(openai.UserMessage("mock me")))
	if err != nil || got.Choices[0].Message.Content != `You said: "mock me".` {
		t.Fatalf("%+v %v", got, err)
	}
	if len(e.sim.Calls()) != 0 || e.app.Simulator() == nil || e.app.Simulator().Chats() != 1 {
		t.Fatal("the call did not go to the built-in simulator")
	}
	// It serves for as long as the server runs: it keeps no log of calls
	// (every body and header, forever) and a bounded number of chats.
	if n := len(e.app.Simulator().Calls()); n != 0 {
		t.Errorf("the built-in simulator logged %d calls", n)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestBodiesCanBeLeftOutOfTheRecord(t *testing.T) {
	e := start(t, nil)
	postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"keep me"}]}`, nil)
	postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"forget me"}]}`, map[string]string{"X-Record-Bodies": "false"})
	rows := e.rows()
	if len(rows) != 2 || !rows[0].OpenAIRequest.Valid || rows[1].OpenAIRequest.Valid || rows[1].OpenAIResponse.Valid || rows[1].TotalTokens == 0 {
		t.Fatalf("rows %+v", rows)
	}

	// Nor does its session keep the first message (it kept it whole).
	if first := e.count(`SELECT COUNT(*) FROM sessions WHERE first_user_message LIKE '%forget me%'`); first != 0 {
		t.Fatal("a call recorded without bodies left its first message in its session")
	}

	off := start(t, func(c *config.Config) { c.RecordBodies = false })
	postJSON(t, off, "/v1/chat/completions", `{"messages":[{"role":"user","content":"metadata only"}]}`, nil)
	if r := off.lastRow(); r.OpenAIRequest.Valid || r.QwenResponse.Valid || r.Status != "success" {
		t.Fatalf("RECORD_BODIES=false row %+v", r)
	}
	if first := off.count(`SELECT COUNT(*) FROM sessions WHERE first_user_message <> ''`); first != 0 {
		t.Fatal("RECORD_BODIES=false left the first message in the session")
	}
}

func TestHealthReportsRejectedCredentials(t *testing.T) {
	// No rest after a failure: the lone account is tried again at once.
	e := start(t, func(c *config.Config) { c.FailureCooldown = 0 })
	health := func() string {
		resp, err := http.Get(e.app.URL() + "/health")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	e.sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Firewall: true})
	postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	// Said as the firewall's (it said "credentials rejected").
	if h := health(); !strings.Contains(h, `"rejected":{`) || !strings.Contains(h, "refused by Qwen's firewall") || strings.Contains(h, "credentials rejected") {
		t.Fatalf("after a firewall page: %s", h)
	}
	postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil)
	if h := health(); strings.Contains(h, `"rejected"`) {
		t.Fatalf("after a success: %s", h)
	}
}

func TestStoredCredentialsWinOverTheEnvironment(t *testing.T) {
	e := start(t, func(c *config.Config) { c.QwenToken, c.QwenCookies = "", "" })
	if resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil); resp.StatusCode != 503 {
		t.Fatalf("without credentials: %d", resp.StatusCode)
	}
	if err := e.app.Store().SetQwenCredentials(ctxT(t), qp.QwenCredentials{Token: "stored-token", Cookies: "a=1", UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	e.restart() // a running server picks them up within seconds; a restart at once
	if resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}]}`, nil); resp.StatusCode != 200 {
		t.Fatalf("with stored credentials: %d", resp.StatusCode)
	}
	resp, err := http.Get(e.app.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"source":"stored"`) || strings.Contains(string(b), "stored-token") {
		t.Fatalf("health %s", b)
	}
	for _, c := range e.sim.Calls() {
		if !c.HasToken {
			t.Fatal("an upstream call without the stored token")
		}
	}
}

// TestATextPartWithoutTextSaysSo: a text part that lacks its text field is
// refused for that, not as a part of a type the proxy does not take (which
// named the very type it takes).
func TestATextPartWithoutTextSaysSo(t *testing.T) {
	e := start(t, nil)
	cases := []struct{ path, body, param, message string }{
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages[0].content[0].text",
			"messages[0].content[0] (type \"text\") is missing its text field"},
		{"/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":null}]}]}`, "messages[0].content[1].text",
			"messages[0].content[1] (type \"text\") is missing its text field"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text"}]}]}`, "input[0].content[0].text",
			"input[0].content[0] (type \"input_text\") is missing its text field"},
		{"/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"refusal"}]},{"role":"user","content":"and?"}]}`,
			"input[1].content[0].refusal", "input[1].content[0] (type \"refusal\") is missing its refusal field"},
	}
	for _, c := range cases {
		resp := postJSON(t, e, c.path, c.body, nil)
		env := decodeEnvelope(t, resp)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Param == nil || *env.Error.Param != c.param || env.Error.Message != c.message {
			t.Errorf("%s %s: %d %+v", c.path, c.body, resp.StatusCode, env)
		}
	}
}

// TestANullBodyIsNotAnObject: a body of JSON null is refused as any body
// that is not an object is, on every route that takes one: it decoded as
// an empty request and was refused for its first missing field
// ("messages is required").
func TestANullBodyIsNotAnObject(t *testing.T) {
	e := start(t, nil)
	for _, path := range []string{"/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/images/generations", "/v1/messages", "/v1/messages/count_tokens"} {
		for _, body := range []string{"null", " null\n"} {
			resp := postJSON(t, e, path, body, nil)
			var message string
			if strings.HasPrefix(path, "/v1/messages") {
				message = decodeAnthropicError(t, resp).Error.Message
			} else {
				message = decodeEnvelope(t, resp).Error.Message
			}
			if resp.StatusCode != http.StatusBadRequest || message != "the request body must be a JSON object" {
				t.Errorf("%s %q: %d %q", path, body, resp.StatusCode, message)
			}
		}
	}
}
