package historyapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	qp "qwenproxy"
)

// A call asked in place of its session's latest answered turn replaces
// that turn's answer once answered: the conversation as it stands goes on
// from its answer. Read in order, the two read as turns in sequence, the
// second answering a conversation that held the first; the transcript
// marks both (Regenerates, ReplacedBy). The proxy asks a turn so
// (session.Turn.Replaces) for a Responses call whose previous_response_id
// names the answer its session's latest turn was asked from (an SDK's
// retry of a call whose answer it lost, a user's regenerate), and for a
// call (Chat Completions, Messages) whose history is the one the session's
// last turn came with (the same conversation sent again, its last turn
// asked anew, or something else asked in its place: Claude Code's summary
// call), except on PostgreSQL (session.continueReasked), and records the call it replaced with the call's metadata
// (qp.RequestRecord.Replaces, since migration 0046), which a call recorded
// without bodies keeps too.
//
// A call recorded before that is marked by its body: a regenerate is only
// ever of the latest answer, so in a session's answered calls, in order, a
// call asked from the same previous_response_id as the answered call just
// before it replaced that one's answer. Such a call recorded without
// bodies, or a Chat call asked again before migration 0046, is not marked:
// nothing kept of it says so.

// CallLister lists a session's calls (qp.HistoryStore.ListRequests).
type CallLister interface {
	ListRequests(ctx context.Context, f qp.CallFilter, o qp.ListOptions) (*qp.ListResult[qp.RequestRecord], error)
}

// MarkRegenerates marks the turns of a page of session's calls (calls,
// turns read from them, in the page's order; asc: oldest first) that
// replaced an answer, or whose answer was replaced. The answered calls
// just beyond the page are read (one each way; with bodies when the edge's
// call had a previous_response_id) when a turn at its edge may pair with
// one.
func MarkRegenerates(ctx context.Context, store CallLister, session string, calls []qp.RequestRecord, turns []TurnJSON, asc bool) error {
	type answered struct {
		at                 int // in turns; -1 for a call beyond the page
		id, from, replaces string
	}
	of := func(at int, c *qp.RequestRecord) answered {
		return answered{at, c.RequestID, previousResponse(c.OpenAIRequest), c.Replaces}
	}
	var seq []answered // oldest first
	for n := range calls {
		i := n
		if !asc {
			i = len(calls) - 1 - n
		}
		if c := &calls[i]; answeredCall(c) {
			seq = append(seq, of(i, c))
		}
	}
	if len(seq) == 0 {
		return nil
	}
	oldest, newest := &calls[seq[0].at], &calls[seq[len(seq)-1].at]
	if seq[0].from != "" {
		c, err := answeredBeside(ctx, store, session, oldest, false, true)
		if err != nil {
			return err
		}
		if c != nil {
			seq = append([]answered{of(-1, c)}, seq...)
		}
	}
	// The newest answered call's answer may be replaced by the next page's
	// first (a replacement is of the latest answer: the next answered call,
	// which says so itself, or, recorded before it said so, by its
	// previous_response_id, from its body).
	c, err := answeredBeside(ctx, store, session, newest, true, seq[len(seq)-1].from != "")
	if err != nil {
		return err
	}
	if c != nil {
		seq = append(seq, of(-1, c))
	}
	at := map[string]int{} // the page's turns by request id
	for i := range calls {
		at[strings.ToLower(calls[i].RequestID)] = i
	}
	mark := func(before answered, after answered) {
		if before.at >= 0 {
			turns[before.at].ReplacedBy = after.id
		}
		if after.at >= 0 {
			turns[after.at].Regenerates = before.id
		}
	}
	for i, after := range seq {
		if after.replaces != "" {
			// As recorded: the call it replaced, wherever it is.
			before := answered{at: -1, id: after.replaces}
			if j, ok := at[strings.ToLower(after.replaces)]; ok {
				before.at, before.id = j, calls[j].RequestID
			} else if i > 0 && strings.EqualFold(seq[i-1].id, after.replaces) {
				before = seq[i-1]
			}
			mark(before, after)
			continue
		}
		if i == 0 {
			continue
		}
		if before := seq[i-1]; after.from != "" && strings.EqualFold(after.from, before.from) {
			mark(before, after)
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
// just before it, with its bodies when asked for; nil for none.
func answeredBeside(ctx context.Context, store CallLister, session string, c *qp.RequestRecord, later, bodies bool) (*qp.RequestRecord, error) {
	at := &qp.Cursor{Value: c.Timestamp.UnixMilli(), ID: c.ID}
	o := qp.ListOptions{Limit: 1, Asc: true, Bodies: bodies, NoTotal: true}
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
