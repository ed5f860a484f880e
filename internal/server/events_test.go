package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The keep-alive reads silence from the stream's write count, looking every
// quarter interval: the third look in a row that finds no write opens the
// stream or sends a comment, so no silence outlasts the interval; a write
// starts the count again. Its looks are made here by hand (its timer never
// fires within the test).
func TestKeepAliveSpeaksOnTheThirdQuietLook(t *testing.T) {
	rec := httptest.NewRecorder()
	c := &call{w: rec, r: httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil),
		live: (&active{}).begin("req", "/v1/chat/completions", time.Now())}
	e := c.events()
	k := &keepAliver{e: e, every: 4 * time.Hour, step: time.Hour, timer: time.AfterFunc(time.Hour, func() {})} // looks every hour
	defer k.timer.Stop()
	looks := func(n int) {
		for range n {
			k.tick()
		}
	}
	comments := func() int { return strings.Count(rec.Body.String(), string(keepAliveComment)) }

	looks(2)
	if e.isOpen() {
		t.Fatal("opened after two quiet looks (half the interval)")
	}
	looks(1)
	if !e.isOpen() || rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("not opened on the third quiet look: open %v, %d %q", e.isOpen(), rec.Code, rec.Header().Get("Content-Type"))
	}
	looks(2)
	if n := comments(); n != 0 {
		t.Fatalf("%d comments two looks after opening", n)
	}
	looks(1)
	if n := comments(); n != 1 {
		t.Fatalf("%d comments on the third quiet look after opening, want 1", n)
	}
	// Events keep it quiet: the look after a write starts the count again
	// (here one look in two is quiet).
	for range 5 {
		if err := writeEvent(c, []byte("data: {}\n\n")); err != nil {
			t.Fatal(err)
		}
		looks(2)
	}
	looks(1) // the second quiet look since the last write
	if n := comments(); n != 1 {
		t.Fatalf("%d comments while events flowed, want still 1", n)
	}
	looks(1)
	if n := comments(); n != 2 {
		t.Fatalf("%d comments on the third quiet look after the last event, want 2", n)
	}
}
