package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// With RECORDER_SYNC the gate holds a call's final bytes — status, body,
// flushes — until the record is durable, then sends them as written.
func TestGateHoldsTheFinalBytesUntilOpened(t *testing.T) {
	rec := httptest.NewRecorder()
	g := &gate{ResponseWriter: rec}
	g.Header().Set("X-Before", "1")
	g.close()
	g.WriteHeader(http.StatusTeapot)
	g.Write([]byte("final "))
	if err := http.NewResponseController(g).Flush(); err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("bytes"))
	if rec.Body.Len() != 0 || rec.Flushed || rec.Code != http.StatusOK {
		t.Fatalf("sent before opening: %d %q flushed %v", rec.Code, rec.Body, rec.Flushed)
	}
	g.open()
	if rec.Code != http.StatusTeapot || rec.Body.String() != "final bytes" || !rec.Flushed || rec.Header().Get("X-Before") != "1" {
		t.Fatalf("after opening: %d %q flushed %v", rec.Code, rec.Body, rec.Flushed)
	}
	g.Write([]byte("!")) // open: straight through
	if rec.Body.String() != "final bytes!" {
		t.Fatalf("after opening, a write: %q", rec.Body)
	}
}
