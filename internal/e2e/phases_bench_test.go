package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"qwenproxy/internal/benchfloor"
	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// BenchmarkCallPhases splits a non-streaming call's latency, through the
// whole server and through the floor, into where it is spent, against a
// canned upstream that stamps what it sees: before-µs from the client's
// request to the new chat reaching upstream (decoding, checks, session,
// account), between-µs from the new chat's answer to the completion
// reaching upstream, after-µs from upstream's last byte to the client's
// (reading the answer, writing the body, finishing the call). Each is the
// median over the run, so that a slow outlier (a commit of the recorder, a
// collection) does not hide the common case; ns/op is the mean.
//
//	go test -run '^$' -bench CallPhases -benchtime 3000x ./internal/e2e
func BenchmarkCallPhases(b *testing.B) {
	for _, events := range []string{"823", "3"} {
		for _, target := range []string{"floor", "qwenproxy"} {
			b.Run("events="+events+"/"+target, func(b *testing.B) { benchCallPhases(b, events == "3", target == "floor") })
		}
	}
}

func benchCallPhases(b *testing.B, short, floor bool) {
	answer := recordedAnswer(b)
	if short { // the created event, the first word, the finished event
		events := bytes.Split(answer, []byte("\n\n"))
		answer = bytes.Join([][]byte{events[0], events[1], events[len(events)-2], nil}, []byte("\n\n"))
	}
	newChat, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		b.Fatal(err)
	}
	models, err := os.ReadFile("../../testdata/qwen/models.json")
	if err != nil {
		b.Fatal(err)
	}
	// What upstream saw of the call in progress: calls are made one at a
	// time, so each stamp belongs to the current call.
	var mu sync.Mutex
	var chatAsked, chatAnswered, completionAsked, completionAnswered time.Time
	stamp := func(t *time.Time, at time.Time) { mu.Lock(); *t = at; mu.Unlock() }
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := time.Now()
		io.Copy(io.Discard, r.Body)
		switch {
		case strings.Contains(r.URL.Path, "/models"):
			w.Header().Set("Content-Type", "application/json")
			w.Write(models)
		case strings.HasSuffix(r.URL.Path, "/chats/new"):
			stamp(&chatAsked, arrived)
			w.Header().Set("Content-Type", "application/json")
			w.Write(newChat)
			w.(http.Flusher).Flush()
			stamp(&chatAnswered, time.Now())
		default:
			stamp(&completionAsked, arrived)
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(answer)
			w.(http.Flusher).Flush()
			stamp(&completionAnswered, time.Now())
		}
	}))
	defer upstream.Close()
	url := ""
	if floor {
		f := httptest.NewServer(&benchfloor.Floor{Upstream: upstream.URL, Client: &http.Client{}})
		defer f.Close()
		url = f.URL + "/v1/chat/completions"
	} else {
		e := startOnWith(b, "sqlite", qwensim.Options{}, func(c *config.Config) {
			c.QwenBaseURL, c.LogLevel = upstream.URL, "info" // as served
		})
		url = e.app.URL() + "/v1/chat/completions"
	}
	client := &http.Client{}
	var before, between, after []time.Duration
	for b.Loop() {
		sent := time.Now()
		resp, err := client.Post(url, "application/json", strings.NewReader(`{"model":"qwen3-max","messages":[{"role":"user","content":"benchmark"}]}`))
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status, err)
		}
		received := time.Now()
		mu.Lock()
		before = append(before, chatAsked.Sub(sent))
		between = append(between, completionAsked.Sub(chatAnswered))
		after = append(after, received.Sub(completionAnswered))
		mu.Unlock()
	}
	for name, d := range map[string][]time.Duration{"before-µs": before, "between-µs": between, "after-µs": after} {
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, name)
	}
}
