package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// echoUpstream stands in front of a simulator as Qwen would when it refuses
// a completion by echoing the request it refused: its headers, as Python's
// repr or as key=value pairs, in a Bad_Request envelope's details (an HTTP
// 400, or a stream's only event). Every other call goes to the simulator;
// a sign-in's answer sets two more cookies, as Qwen's does.
type echoUpstream struct {
	URL string

	mu     sync.Mutex
	form   string // "repr", "kv", or "text" (the details are text alone); "" passes completions on
	stream bool   // the refusal as a stream's event
	text   string // what the details say after the headers
}

// echoCookies are the cookies the stand-in's sign-in answer sets.
var echoCookies = []*http.Cookie{{Name: "acw_tc", Value: "SESSIONSECRET777", Path: "/"}, {Name: "ssxmod_itna", Value: "ITNASECRET888", Path: "/"}}

func startEchoUpstream(t *testing.T, sim *qwensim.Server) *echoUpstream {
	t.Helper()
	target, err := url.Parse(sim.URL)
	if err != nil {
		t.Fatal(err)
	}
	u := &echoUpstream{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path == "/api/v1/auths/signin" && resp.StatusCode == http.StatusOK {
			for _, c := range echoCookies {
				resp.Header.Add("Set-Cookie", c.String())
			}
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		form, stream, text := u.form, u.stream, u.text
		u.mu.Unlock()
		if r.URL.Path != "/api/v2/chat/completions" || form == "" {
			proxy.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		details := "Invalid request: " + text
		if form != "text" {
			details = "Invalid request: headers=" + echoHeaders(r.Header, form)
		}
		body, _ := json.Marshal(map[string]any{"success": false, "request_id": "echo",
			"data": map[string]any{"code": "Bad_Request", "details": details}})
		if stream {
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
			w.Write([]byte("data: " + string(body) + "\n\n"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	u.URL = srv.URL
	return u
}

func (u *echoUpstream) set(form string, stream bool, text string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.form, u.stream, u.text = form, stream, text
}

// echoHeaders writes h as Python's repr of a dict ({'Cookie': '…', …}) or
// as key=value pairs ({Cookie=…, …}), the Cookie header first.
func echoHeaders(h http.Header, form string) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case a == "Cookie":
			return -1
		case b == "Cookie":
			return 1
		}
		return strings.Compare(a, b)
	})
	var b strings.Builder
	b.WriteString("{")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		v := strings.Join(h[k], ", ")
		if form == "repr" {
			q := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
			b.WriteString("'" + q.Replace(k) + "': '" + q.Replace(v) + "'")
		} else {
			b.WriteString(k + "=" + v)
		}
	}
	b.WriteString("}")
	return b.String()
}

// refuseAndCheck makes one chat call per form of refusal (see
// echoUpstream; text is a "text" refusal's) as an answer and as a stream's
// event, and checks that none of secrets reached the client, the log, the
// recorded rows, the exports or the database file, while the refusal's text
// was passed on, masked.
func refuseAndCheck(t *testing.T, e *env, u *echoUpstream, forms []string, text string, secrets []string) {
	t.Helper()
	calls := 0
	for _, form := range forms {
		for _, stream := range []bool{false, true} {
			u.set(form, stream, text)
			resp, body := chatCall(t, e, `{"messages":[{"role":"user","content":"hi"}],"stream":`+map[bool]string{false: "false", true: "true"}[stream]+`}`, nil)
			calls++
			if stream == false && resp.StatusCode < 400 {
				t.Fatalf("%s: status %d: %s", form, resp.StatusCode, body)
			}
			for _, secret := range secrets {
				if strings.Contains(body, secret) {
					t.Errorf("%s (stream %v): the client was answered with %q: %s", form, stream, secret, body)
				}
			}
			if !strings.Contains(body, "Invalid request") || !strings.Contains(body, "[REDACTED]") {
				t.Errorf("%s (stream %v): the refusal's text is not shown, masked: %s", form, stream, body)
			}
		}
	}
	u.set("", false, "")
	e.sync()
	rows := e.rows()
	if len(rows) != calls {
		t.Fatalf("%d calls recorded, want %d", len(rows), calls)
	}
	exports := fetch(t, e, "/v1/export?format=jsonl") + fetch(t, e, "/v1/export?format=csv")
	if !strings.Contains(exports, "[REDACTED]") {
		t.Errorf("the export lacks the masked refusal: %s", exports)
	}
	e.stop()
	var stored bytes.Buffer
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(e.cfg.DatabasePath + suffix)
		stored.Write(b)
	}
	for _, secret := range secrets {
		if strings.Contains(e.logs(), secret) {
			t.Errorf("the log has %q:\n%s", secret, e.logs())
		}
		for _, r := range rows {
			if strings.Contains(r.Error+r.OpenAIResponse.String+r.QwenResponse.String, secret) {
				t.Errorf("call %s recorded %q: %s", r.RequestID, secret, r.Error)
			}
		}
		if strings.Contains(exports, secret) {
			t.Errorf("an export holds %q", secret)
		}
		if bytes.Contains(stored.Bytes(), []byte(secret)) {
			t.Errorf("the database file holds %q", secret)
		}
	}
}

// A pasted QWEN_COOKIES holds cookies whose names say nothing of a secret
// (ssxmod_itna, cna): a refusal echoing the Cookie header as Python's repr
// or as key=value pairs passes none of them on, nor the token or the
// bx-umidtoken.
func TestARefusalEchoingPastedCookiesInAnyQuotingLeaksThemNowhere(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	u := startEchoUpstream(t, sim)
	login := qwensim.LoginCookie()
	e := startOnWith(t, "sqlite", qwensim.Options{}, func(c *config.Config) {
		c.QwenBaseURL, c.QwenToken = u.URL, "umid-SECRET-4242"
		c.QwenCookies = login + "; ssxmod_itna=CookieSecretXYZ987; cna=abc"
	})
	e.sim = sim
	refuseAndCheck(t, e, u, []string{"repr", "kv"}, "", []string{"CookieSecretXYZ987", "cna=abc", strings.TrimPrefix(login, "token="), "umid-SECRET-4242"})
}

// An account's cookies set by Qwen's sign-in answer (acw_tc, ssxmod_itna)
// are as secret as its token, and a completion's refusal passes on neither
// them nor the account's password or its digest (what its sign-in sent).
func TestARefusalEchoingAnAccountsCookiesAndPasswordLeaksThemNowhere(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	registerAll(sim)
	u := startEchoUpstream(t, sim)
	e := startOnWith(t, "sqlite", qwensim.Options{}, func(c *config.Config) {
		c.QwenToken, c.QwenCookies, c.QwenBaseURL = "", "", u.URL
		c.QwenAccounts = []accounts.Login{{Email: alice, Password: alicePassword}}
	})
	e.sim = sim
	digest := accounts.HashPassword(alicePassword)
	text := "the session of " + alice + " signed in with " + digest + " (" + alicePassword + ")"
	refuseAndCheck(t, e, u, []string{"repr", "kv", "text"}, text, []string{"SESSIONSECRET777", "ITNASECRET888", digest, alicePassword})
	if n := sim.SignIns(alice); n != 1 {
		t.Errorf("%d sign-ins, want 1", n)
	}
}
