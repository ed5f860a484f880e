package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/app"
	"qwenproxy/internal/config"
)

func call(t *testing.T, e *env, method, path, key, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxT(t), method, e.app.URL()+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestAPIKeysGuardTheAPI(t *testing.T) {
	const user, admin = "user-key-123", "admin-key-456"
	e := start(t, func(c *config.Config) { c.APIKeys, c.AdminAPIKeys = []string{user}, []string{admin} })
	chat := `{"messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		method, path, key, body string
		status                  int
	}{
		{"GET", "/health", "", "", 200}, // liveness needs no key
		{"GET", "/v1/models", "", "", 401},
		{"GET", "/v1/models", "wrong", "", 401},
		{"GET", "/v1/models", user, "", 200},
		{"POST", "/v1/chat/completions", user, chat, 200},
		{"POST", "/v1/chat/completions", admin, chat, 200},
		{"GET", "/v1/requests", user, "", 403}, // history: admin only
		{"DELETE", "/v1/requests?before=1", user, "", 403},
		{"GET", "/v1/requests", admin, "", 200},
		{"GET", "/v1/stats", admin, "", 200},
	}
	for _, tc := range cases {
		if resp := call(t, e, tc.method, tc.path, tc.key, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.key, resp.StatusCode, tc.status)
		}
	}
	rows := e.rows()
	if len(rows) != 2 {
		t.Fatalf("%d calls recorded", len(rows))
	}
	var keyIDs []string
	r, err := e.db().Query(`SELECT api_key_id FROM requests ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id string
		r.Scan(&id)
		keyIDs = append(keyIDs, id)
	}
	r.Close()
	if len(keyIDs) != 2 || !strings.HasPrefix(keyIDs[0], "env-") || keyIDs[0] == keyIDs[1] {
		t.Fatalf("key ids %v", keyIDs)
	}
	e.stop()
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(e.cfg.DatabasePath + suffix)
		if strings.Contains(string(b), user) || strings.Contains(string(b), admin) {
			t.Fatal("an API key reached the database")
		}
	}
}

func TestStoredKeysWork(t *testing.T) {
	e := start(t, nil)
	resp := call(t, e, "GET", "/v1/models", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("without any key: %d", resp.StatusCode)
	}
	// A key added to the database is honoured by a server started after.
	e.stop()
	key := addKey(t, e.cfg.DatabasePath)
	e.boot()
	if resp := call(t, e, "GET", "/v1/models", "", ""); resp.StatusCode != 401 {
		t.Fatalf("stored key exists, no key sent: %d", resp.StatusCode)
	}
	if resp := call(t, e, "GET", "/v1/models", key, ""); resp.StatusCode != 200 {
		t.Fatalf("stored key: %d", resp.StatusCode)
	}
}

func TestCORSIsOffUnlessConfigured(t *testing.T) {
	preflight := func(e *env, origin string) *http.Response {
		req, _ := http.NewRequestWithContext(ctxT(t), http.MethodOptions, e.app.URL()+"/v1/chat/completions", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	off := start(t, nil)
	if resp := preflight(off, "https://app.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.StatusCode == 204 {
		t.Fatalf("CORS answered while off: %d %v", resp.StatusCode, resp.Header)
	}
	on := start(t, func(c *config.Config) { c.CORSOrigins = []string{"https://app.example"} })
	resp := preflight(on, "https://app.example")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := preflight(on, "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin allowed: %v", resp.Header)
	}
}

func TestSecretsInBodiesAreRedacted(t *testing.T) {
	e := start(t, nil)
	call(t, e, "POST", "/v1/chat/completions", "", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":9,"metadata":{"api_key":"sk-live-secret","session_token":"tok-secret"}}`)
	r := e.lastRow()
	if strings.Contains(r.OpenAIRequest.String, "secret") || !strings.Contains(r.OpenAIRequest.String, `"[REDACTED]"`) ||
		!strings.Contains(r.OpenAIRequest.String, `"max_tokens":9`) {
		t.Fatalf("stored body %s", r.OpenAIRequest.String)
	}
}

// The Responses API's answer echoes the request's metadata: its record is
// redacted as the request's is (the client gets its own metadata back), and
// so is every read of it.
func TestSecretsEchoedInAnswersAreRedacted(t *testing.T) {
	e := start(t, nil)
	for _, stream := range []bool{false, true} {
		resp := postJSON(t, e, "/v1/responses", fmt.Sprintf(`{"model":"qwen3-max","input":"hi","stream":%v,`+
			`"metadata":{"api_key":"sk-live-secret","note":"kept"}}`, stream), nil)
		answer, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), "sk-live-secret") {
			t.Fatalf("stream=%v: the client's own metadata is not in its answer: %s", stream, answer)
		}
		r := e.lastRow()
		if strings.Contains(r.OpenAIResponse.String, "secret") || !strings.Contains(r.OpenAIResponse.String, `"api_key":"[REDACTED]"`) ||
			!strings.Contains(r.OpenAIResponse.String, `"note":"kept"`) {
			t.Fatalf("stream=%v: stored answer %s", stream, r.OpenAIResponse.String)
		}
		read := send(t, e, http.MethodGet, "/v1/requests/"+r.RequestID+"/response", "", "", nil)
		body, _ := io.ReadAll(read.Body)
		if read.StatusCode != http.StatusOK || strings.Contains(string(body), "sk-live-secret") || !strings.Contains(string(body), "kept") {
			t.Fatalf("stream=%v: the history shows the secret: %s", stream, body)
		}
	}
}

func TestNonLoopbackWithoutKeysIsRefused(t *testing.T) {
	vars := map[string]string{"HOST": "0.0.0.0", "PORT": "0", "DATABASE_PATH": t.TempDir() + "/q.db"}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "--allow-unauthenticated") {
		t.Fatalf("err = %v", err)
	}
}

func TestOversizedHeadersAndSlowClientsAreCutOff(t *testing.T) {
	e := start(t, func(c *config.Config) { c.HeaderTimeout = 300 * time.Millisecond })
	req, _ := http.NewRequestWithContext(ctxT(t), http.MethodGet, e.app.URL()+"/health", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 2<<20))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("2 MiB of headers: %d", resp.StatusCode)
		}
	}

	// A client that starts its headers and never finishes them.
	conn, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // far beyond the header timeout
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the server did not close the slow connection: %v", err)
	}
}

// A secret the client's body names (a tool call's input field named like
// one) is redacted in the record of that body, and so in the record of the
// request sent to Qwen, which carries the same conversation as text: the
// history showed it there, in every read and export of the call.
func TestASecretRedactedInTheClientBodyIsNotRecordedInQwensRequest(t *testing.T) {
	e := start(t, nil)
	const secret = "sk-live-TOOLSECRET-4242"
	body := `{"model":"claude-3","max_tokens":100,` +
		`"tools":[{"name":"login","input_schema":{"type":"object","properties":{"api_key":{"type":"string"}}}}],` +
		`"messages":[{"role":"user","content":"log in"},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"login","input":{"api_key":"` + secret + `","user":"ada"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"ok"}]}]}`
	resp := postJSON(t, e, "/v1/messages", body, map[string]string{"anthropic-version": "2023-06-01"})
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the call failed: %d %s", resp.StatusCode, answer)
	}
	r := e.lastRow()
	if strings.Contains(r.OpenAIRequest.String, secret) || !strings.Contains(r.OpenAIRequest.String, `"api_key":"[REDACTED]"`) {
		t.Fatalf("the client's body is not redacted: %s", r.OpenAIRequest.String)
	}
	if !strings.Contains(r.QwenRequest.String, "login") || !strings.Contains(r.QwenRequest.String, "ada") {
		t.Fatalf("the request sent to Qwen is not recorded with the tool call: %s", r.QwenRequest.String)
	}
	for name, b := range map[string]string{"qwen_request": r.QwenRequest.String, "qwen_response": r.QwenResponse.String, "openai_response": r.OpenAIResponse.String} {
		if strings.Contains(b, secret) {
			t.Errorf("the record's %s holds the secret the client's body had redacted: %s", name, b)
		}
	}
	if !strings.Contains(r.QwenRequest.String, "[REDACTED]") {
		t.Errorf("the secret's place in the request sent to Qwen is not marked: %s", r.QwenRequest.String)
	}
}

// The history API's answers — every call's bodies, the conversations —
// are for no cache to keep: they came without a caching directive, and a
// browser (the dashboard's reads) could keep them in its disk cache after
// the page was closed. Each says Cache-Control: no-store; a model call's
// answer is left as it was.
func TestHistoryAnswersAreNotKeptByCaches(t *testing.T) {
	e := start(t, nil)
	resp := postJSON(t, e, "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") == "no-store" {
		t.Errorf("a model call's answer says no-store")
	}
	id := e.lastRow().RequestID
	for _, path := range []string{"/v1/requests", "/v1/requests/" + id, "/v1/sessions", "/v1/stats", "/v1/responses", "/v1/requests/active"} {
		r := send(t, e, http.MethodGet, path, "", "", nil)
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d, Cache-Control %q, want no-store", path, r.StatusCode, r.Header.Get("Cache-Control"))
		}
	}
}

// The proxy key a call was made with is never recorded, wherever in its
// body the client put it: a field whose name says nothing of a secret (an
// OpenAI "user", a metadata note, the message itself) kept it in the record,
// which every admin, export and backup reads.
func TestTheCallsOwnKeyIsNotRecordedWhereverItStands(t *testing.T) {
	const key = "sk-proxy-KEY-0123456789"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{key} })
	body := `{"model":"qwen3-max","user":"` + key + `","metadata":{"note":"` + key + `"},` +
		`"messages":[{"role":"user","content":"my key is ` + key + `, keep it"}]}`
	r := call(t, e, "POST", "/v1/chat/completions", key, body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("the call failed: %d", r.StatusCode)
	}
	row := e.lastRow()
	for name, b := range map[string]string{"openai_request": row.OpenAIRequest.String, "qwen_request": row.QwenRequest.String,
		"openai_response": row.OpenAIResponse.String, "qwen_response": row.QwenResponse.String} {
		if strings.Contains(b, key) {
			t.Errorf("the record's %s holds the call's key: %s", name, b)
		}
	}
	if !strings.Contains(row.OpenAIRequest.String, `"user":"[REDACTED]"`) || !strings.Contains(row.OpenAIRequest.String, "keep it") {
		t.Errorf("the key's places are not marked, or more went: %s", row.OpenAIRequest.String)
	}
	// The session is named by its first message, the key masked there too.
	e.sync()
	var first string
	if err := e.db().QueryRow(`SELECT first_user_message FROM sessions WHERE id = ?`, row.SessionID).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(first, key) || !strings.Contains(first, "keep it") {
		t.Errorf("the session's first message: %q", first)
	}
}

// A response of one key is no other key's to continue (POST /v1/responses
// answers 400 previous_response_not_found), nor to count: input_tokens took
// another key's previous_response_id as its own (200) where it refused an
// unknown one, which told another key that the response exists.
func TestInputTokensDoesNotTakeAnotherKeysResponse(t *testing.T) {
	const a, b = "key-a-0123456789", "key-b-0123456789"
	e := start(t, func(c *config.Config) { c.APIKeys = []string{a, b} })
	req, _ := http.NewRequest(http.MethodPost, e.app.URL()+"/v1/responses", strings.NewReader(`{"model":"qwen3-max","input":"hello"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.ID == "" {
		t.Fatalf("no response made: %v", err)
	}
	resp.Body.Close()
	count := func(key string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, e.app.URL()+"/v1/responses/input_tokens",
			strings.NewReader(`{"model":"qwen3-max","input":"x","previous_response_id":"`+created.ID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := count(a); status != http.StatusOK {
		t.Fatalf("its own key's count: %d %s", status, body)
	}
	if status, body := count(b); status != http.StatusBadRequest || !strings.Contains(body, "previous_response_not_found") {
		t.Fatalf("another key's count: %d %s, want 400 previous_response_not_found", status, body)
	}
}
