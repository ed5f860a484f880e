package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A streaming client that reads its answer's first bytes and then stops
// reading, keeping the connection open, held its call (its goroutine, its
// session's lock, its record) for as long as it liked: a write blocked on a
// full socket is beyond the call's own time limit. Each write now has
// WRITE_TIMEOUT to be taken; past it the client is taken as gone and the
// call ends and is recorded as such.
func TestAClientThatStopsReadingIsCutOff(t *testing.T) {
	e := start(t, func(c *config.Config) { c.WriteTimeout = 300 * time.Millisecond; c.QwenMaxAnswerBytes = 1 << 40 })
	// An answer without end, of events as big as an event may be: however
	// much the sockets' buffers take, a write to a client that does not
	// read blocks, and only its deadline ends the call. (One such event,
	// then the stream's end, raced the buffers: where they took it whole,
	// the call ended as Qwen's stream cut.)
	e.sim.Inject(qwensim.Fault{BigEvent: 4_000_000, Endless: true})

	var d net.Dialer
	conn, err := d.DialContext(ctxT(t), "tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.(*net.TCPConn).SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	body := `{"model":"qwen3-max","stream":true,"messages":[{"role":"user","content":"hello"}]}`
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	// The stream has begun (its headers are read), so the call is in
	// progress; then the client reads nothing more.
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 16), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream not opened: %v %v", resp, err)
	}

	// Sync returns once no call is in progress and every record is written.
	synced := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		synced <- e.app.Sync(ctx)
	}()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second): // 50 times the write timeout: the call is held
		t.Fatal("the call of a client that stopped reading is still in progress")
	}
	r := e.lastRow()
	if r.Status != "error" || r.ErrorType != "client_disconnect" || !strings.Contains(r.Error, "stopped reading") {
		t.Fatalf("recorded %s %q %q, want the client recorded as one that stopped reading", r.Status, r.ErrorType, r.Error)
	}
}
