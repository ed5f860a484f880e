package e2e

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
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
	// What upstream saw of the call in progress: calls are made one at a
	// time, so each stamp belongs to the current call.
	var mu sync.Mutex
	var chatAnswered, chatAsked, completionAsked, completionAnswered time.Time
	upstream, _ := cannedUpstream(b, cannedAnswer(b, short), func(path string, arrived, answered time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(path, "/chats/new") {
			chatAsked, chatAnswered = arrived, answered
		} else {
			completionAsked, completionAnswered = arrived, answered
		}
	})
	url := chatCompletionsOf(b, upstream.URL, floor)
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
