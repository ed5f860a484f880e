package historyapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	qp "qwenproxy"
)

// A Responses call whose previous_response_id names the answer its
// session's latest turn was asked from (an SDK's retry of a call whose
// answer it lost, a user's regenerate) is asked again in the session's
// chat, in place of that turn: its answer replaces the latest. Read in
// order, the two read as turns in sequence, the second answering a
// conversation that held the first. A regenerate is only ever of the
// latest answer, so in a session's answered calls, in order, a call asked
// from the same previous_response_id as the answered call just before it
// replaced that one's answer. The transcript marks both (Regenerates,
// ReplacedBy). A call recorded without bodies says nothing of its
// previous_response_id, and is not marked.

// CallLister lists a session's calls (qp.HistoryStore.ListRequests).
type CallLister interface {
	ListRequests(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error)
}

// MarkRegenerates marks the turns of a page of session's calls (calls,
// turns read from them, in the page's order; asc: oldest first) that
// replaced an answer, or whose answer was replaced. The answered calls
// just beyond the page are read (one each way, with bodies) when a turn at
// its edge may pair with one.
func MarkRegenerates(ctx context.Context, store CallLister, session string, calls []qp.RequestRecord, turns []TurnJSON, asc bool) error {
	type answered struct {
		at       int // in turns; -1 for a call beyond the page
		id, from string
	}
	var seq []answered // oldest first
	for n := range calls {
		i := n
		if !asc {
			i = len(calls) - 1 - n
		}
		if c := &calls[i]; answeredCall(c) {
			seq = append(seq, answered{i, c.RequestID, previousResponse(c.OpenAIRequest)})
		}
	}
	if len(seq) == 0 {
		return nil
	}
	oldest, newest := &calls[seq[0].at], &calls[seq[len(seq)-1].at]
	if seq[0].from != "" {
		c, err := answeredBeside(ctx, store, session, oldest, false)
		if err != nil {
			return err
		}
		if c != nil {
			seq = append([]answered{{-1, c.RequestID, previousResponse(c.OpenAIRequest)}}, seq...)
		}
	}
	if seq[len(seq)-1].from != "" {
		c, err := answeredBeside(ctx, store, session, newest, true)
		if err != nil {
			return err
		}
		if c != nil {
			seq = append(seq, answered{-1, c.RequestID, previousResponse(c.OpenAIRequest)})
		}
	}
	for i := 1; i < len(seq); i++ {
		before, after := seq[i-1], seq[i]
		if after.from == "" || !strings.EqualFold(after.from, before.from) {
			continue
		}
		if before.at >= 0 {
			turns[before.at].ReplacedBy = after.id
		}
		if after.at >= 0 {
			turns[after.at].Regenerates = before.id
		}
	}
	return nil
}

// answeredCall reports whether the call was answered: its session went on
// from its answer.
func answeredCall(c *qp.RequestRecord) bool {
	return c.Response != nil && c.Response.Status == qp.StatusSuccess
}

// answeredBeside is the session's answered call just after c (later), or
// just before it, with its bodies; nil for none.
func answeredBeside(ctx context.Context, store CallLister, session string, c *qp.RequestRecord, later bool) (*qp.RequestRecord, error) {
	at := &qp.Cursor{Value: c.Timestamp.UnixMilli(), ID: c.ID}
	o := qp.ListOptions{Limit: 1, Asc: true, Bodies: true, NoTotal: true}
	if later {
		o.After = at
	} else {
		o.Before = at
	}
	res, err := store.ListRequests(ctx, qp.CallFilter{SessionID: session, Status: qp.StatusSuccess}, o)
	if err != nil {
		return nil, fmt.Errorf("the calls beside call %s: %w", c.RequestID, err)
	}
	if len(res.Items) == 0 {
		return nil, nil
	}
	return &res.Items[0], nil
}

// previousResponse is a Responses request's previous_response_id ("" for
// none, or no body).
func previousResponse(body json.RawMessage) string {
	if len(body) == 0 {
		return ""
	}
	var req struct {
		Previous string `json:"previous_response_id"`
	}
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	return req.Previous
}
