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
// than an hour; when it cannot be had, the answer is false (the request is
// sent as the caller built it).
func (c *Client) ThinkingRequired(ctx context.Context, model string) bool {
	t := &c.thinking
	now := c.now()
	t.mu.Lock()
	stale := t.required == nil || now.Sub(t.fetchedAt) > thinkingListTTL
	waiting := !t.failedAt.IsZero() && now.Sub(t.failedAt) < thinkingRetryWait
	inFlight := t.fetching
	fetch := stale && !waiting && inFlight == nil
	if fetch {
		t.fetching = make(chan struct{})
		inFlight = t.fetching
	}
	t.mu.Unlock()
	switch {
	case fetch:
		// One fetch for every caller that needs it (a burst of first calls
		// must not become a burst of model-list calls).
		_, err := c.Models(ctx)
		t.mu.Lock()
		if err != nil {
			t.failedAt = now
		}
		t.fetching = nil
		t.mu.Unlock()
		close(inFlight)
	case stale && inFlight != nil:
		select {
		case <-inFlight:
		case <-ctx.Done():
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.required[model]
}
