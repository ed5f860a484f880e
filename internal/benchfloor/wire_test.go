package benchfloor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
)

// sent is one upstream request as received: its path, its header names, the
// shape of its JSON body (every key path, with its value's JSON type), and
// what decides Qwen's answer (see asks).
type sent struct {
	path    string
	headers []string
	shape   []string
	asks    []string
}

// asks lists what in a request decides what Qwen answers, beside its shape:
// the page it comes from (Referer, chat ids taken out), and the values of the
// chat mode, the chat type and every feature_config field. Alike shapes with
// other values are other exchanges: a guest's message asks for thinking, and
// its answer begins with reasoning events (qwen-2026.md §1.2).
func asks(r *http.Request, body any) []string {
	referer := r.Header.Get("Referer")
	if i := strings.Index(referer, "/c/"); i >= 0 {
		referer = referer[i:]
		if len(referer) > len("/c/")+30 { // a chat's id, not a page's name
			referer = "/c/{chat id}"
		}
	}
	out := []string{"Referer " + referer}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"[]", e)
			}
		default:
			last := path[strings.LastIndex(path, ".")+1:]
			if strings.Contains(path, ".feature_config.") || last == "chat_mode" || last == "chat_type" {
				b, _ := json.Marshal(v)
				out = append(out, path+"="+string(b))
			}
		}
	}
	walk("", body)
	sort.Strings(out)
	return out
}

// recorder answers like Qwen (a new chat, a short answer) and keeps what it
// was sent.
func recorder(t *testing.T) (*httptest.Server, func() []sent) {
	t.Helper()
	answer, err := os.ReadFile("../../testdata/qwen/completion-stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(string(answer), "\n\n")
	short := strings.Join([]string{events[0], events[1], events[len(events)-2], ""}, "\n\n")
	var mu sync.Mutex
	var got []sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var names []string
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		var body any
		shape := []string{}
		if json.Unmarshal(b, &body) == nil {
			shape = shapeOf("", body, shape)
			sort.Strings(shape)
		}
		mu.Lock()
		got = append(got, sent{r.URL.Path, names, shape, asks(r, body)})
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/chats/new") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"success":true,"data":{"id":"0cac4f88-3ce7-4b19-8ebb-632ca66c512c"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, short)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []sent { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
}

// shapeOf lists v's key paths with their JSON types.
func shapeOf(path string, v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			out = shapeOf(path+"."+k, e, out)
		}
		return out
	case []any:
		for _, e := range v {
			out = shapeOf(path+"[]", e, out)
		}
		return append(out, path+":array")
	case string:
		return append(out, path+":string")
	case float64:
		return append(out, path+":number")
	case bool:
		return append(out, path+":bool")
	case nil:
		return append(out, path+":null")
	}
	return out
}

// The floor does the proxy's upstream exchange: the same requests, with the
// same headers and the same body fields, as qwenproxy's client sends with
// the credentials qwenbench gives it. A floor sending less (the 2025 body
// and half the headers, as it did) is cheaper than any proxy could be that
// speaks to chat.qwen.ai in 2026, and its ratios charged the proxy for that.
func TestFloorSpeaksTheProxysWire(t *testing.T) {
	srv, floorSent := recorder(t)
	f := httptest.NewServer(&Floor{Upstream: srv.URL, Client: &http.Client{}})
	defer f.Close()
	resp, err := http.Post(f.URL, "application/json", strings.NewReader(`{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	psrv, proxySent := recorder(t)
	c := qwen.New(qwen.Config{BaseURL: psrv.URL, Credentials: qwen.StaticCredentials{Token: "bench", Cookies: "bench=1"}})
	ctx := context.Background()
	chatID, _, err := c.NewChat(ctx, "qwen3-max")
	if err != nil {
		t.Fatal(err)
	}
	s, _, _, err := c.Complete(ctx, qwen.NewCompletionRequest(chatID, "", "qwen3-max", time.Now(), qwen.MessageSpec{Role: "user", Content: "hi"}))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	var proxy []sent
	for _, r := range proxySent() {
		if !strings.Contains(r.path, "/models") { // the proxy's model list, fetched once an hour
			proxy = append(proxy, r)
		}
	}
	floor := floorSent()
	if len(floor) != len(proxy) {
		t.Fatalf("the floor sent %d requests, the proxy %d", len(floor), len(proxy))
	}
	for i := range floor {
		fl, px := floor[i], proxy[i]
		if fl.path != px.path {
			t.Errorf("request %d: floor %s, proxy %s", i, fl.path, px.path)
		}
		if !slices.Equal(fl.headers, px.headers) {
			t.Errorf("%s headers:\nfloor %v\nproxy %v", px.path, fl.headers, px.headers)
		}
		if !slices.Equal(fl.shape, px.shape) {
			t.Errorf("%s body:\nfloor %v\nproxy %v", px.path, fl.shape, px.shape)
		}
		if !slices.Equal(fl.asks, px.asks) {
			t.Errorf("%s asks for another answer:\nfloor %v\nproxy %v", px.path, fl.asks, px.asks)
		}
	}
}
