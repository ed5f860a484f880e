package credentials

import (
	"context"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// hangingStore is a database that went down and hangs every read.
type hangingStore struct {
	creds qp.QwenCredentials
	down  chan struct{} // set: every read hangs until it is closed, then fails
	reads int
}

func (h *hangingStore) QwenCredentials(ctx context.Context) (*qp.QwenCredentials, error) {
	h.reads++
	if h.down != nil {
		<-h.down
		return nil, context.DeadlineExceeded
	}
	c := h.creds
	return &c, nil
}
func (h *hangingStore) SetQwenCredentials(context.Context, qp.QwenCredentials) error { return nil }
func (h *hangingStore) ClearQwenCredentials(context.Context) error                   { return nil }

// Issue 13, item 11: calls (and /health) are served from the last good
// credentials while the database hangs; they neither query nor wait on it.
func TestCredentialsServeTheLastGoodValueWhileTheDatabaseHangs(t *testing.T) {
	store := &hangingStore{creds: qp.QwenCredentials{Token: "t", Cookies: "token=c", UpdatedAt: time.Now()}}
	s := New(qwen.Credentials{}, store)
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	store.down = make(chan struct{})
	defer close(store.down)
	store.reads = 0
	for range 100 {
		if c, src := s.Current(context.Background()); src != "stored" || c.Token != "t" {
			t.Fatalf("credentials %q from %q", c.Token, src)
		}
	}
	if store.reads != 0 {
		t.Fatalf("%d database reads for 100 calls", store.reads)
	}
}
