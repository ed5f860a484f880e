package qwen

import (
	"context"
	"sync"
	"time"
)

// How long a model list tells which models require thinking, and how long a
// failed fetch keeps the client from asking again on the completion path.
const (
	thinkingListTTL   = time.Hour
	thinkingRetryWait = time.Minute
)

// thinkingModels remembers which models require thinking, from the last
// model list the client fetched (for any caller).
type thinkingModels struct {
	mu        sync.Mutex
	required  map[string]bool
	fetchedAt time.Time
	failedAt  time.Time
	fetching  chan struct{} // closed when the fetch in flight ends; nil when none
}

func (t *thinkingModels) learn(models []Model, now time.Time) {
	required := map[string]bool{}
	for i := range models {
		if models[i].ThinkingRequired() {
			required[models[i].ID] = true
		}
	}
	t.mu.Lock()
	t.required, t.fetchedAt = required, now
	t.mu.Unlock()
}

// ThinkingRequired reports whether model requires thinking_enabled:true, by
// its model-list entry. The list is fetched when the client has none newer
// than an hour, once for every caller, in the background: a caller with no
// list yet waits for it within ctx, one with an older list answers from it
// at once (a hanging model list held every completion until the upstream
// timeout). When the list cannot be had, the answer is false (the request
// is sent as the caller built it).
func (c *Client) ThinkingRequired(ctx context.Context, model string) bool {
	t := &c.thinking
	now := c.now()
	t.mu.Lock()
	held := t.required != nil
	stale := !held || now.Sub(t.fetchedAt) > thinkingListTTL
	resting := !t.failedAt.IsZero() && now.Sub(t.failedAt) < thinkingRetryWait
	if stale && !resting && t.fetching == nil {
		t.fetching = make(chan struct{})
		go c.fetchThinking(t.fetching)
	}
	inFlight := t.fetching
	t.mu.Unlock()
	if !held && inFlight != nil {
		select {
		case <-inFlight:
		case <-ctx.Done():
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.required[model]
}

// fetchThinking fetches the model list (which learns from it) apart from
// any call: a caller leaving must not end it, and no call's attempts hold
// its failures; the client's timeout bounds it. done is closed at its end.
func (c *Client) fetchThinking(done chan struct{}) {
	t := &c.thinking
	_, err := c.Models(context.Background())
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.failedAt = c.now()
	}
	t.fetching = nil
	close(done)
}
