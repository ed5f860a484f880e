package historyapi

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// A client_session_id filter no call can be recorded with is refused, and
// the message echoes a bounded part of it with its length: it echoed the
// whole value, 10,000 bytes given making a message of that length.
func TestAClientSessionFilterRefusedEchoesItBounded(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	_, err := CallFilterFrom(url.Values{"client_session_id": {long}}, time.Now())
	if err == nil || err.Code != "invalid_filter" || err.Param != "client_session_id" {
		t.Fatalf("a 10,000-byte client_session_id: %v", err)
	}
	if len(err.Message) > 400 || !strings.Contains(err.Message, "(10000 bytes)") {
		t.Fatalf("the message (%d bytes): %.200s", len(err.Message), err.Message)
	}
	if _, err := CallFilterFrom(url.Values{"client_session_id": {"ses_abc-1.2:3"}}, time.Now()); err != nil {
		t.Fatalf("a valid id refused: %v", err)
	}
}
