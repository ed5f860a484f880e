package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	qp "qwenproxy"
	"qwenproxy/internal/historyapi"
)

func requestsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("requests", "ls", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	c.readOnly = true // ls and show
	switch action {
	case "ls":
		limit := limitFlag(c.fs)
		f := callFlags(c.fs)
		var o qp.ListOptions
		filter, err := c.openFiltered(ctx, args, func() (filter qp.CallFilter, err error) {
			if o, err = listOptions(*limit); err != nil {
				return filter, err
			}
			return f()
		})
		if err != nil {
			return err
		}
		res, err := c.store.ListRequests(ctx, filter, o)
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := make([]any, 0, len(res.Items))
			for i := range res.Items {
				out = append(out, historyapi.Request(&res.Items[i], false))
			}
			return c.printJSON(out)
		}
		if err := requestTable(c, res.Items); err != nil {
			return err
		}
		return c.moreMatch(res.HasMore, len(res.Items), "call", "calls")
	case "show":
		id, err := c.openWithID(ctx, args, "qwenproxy requests show ID")
		if err != nil {
			return err
		}
		key, isKey := id, false
		if k, ok := historyapi.CallKey(id); ok {
			key, isKey = k, true // the id of its answer or an item of it: chatcmpl-…, msg_…, resp_…, fc_…
		}
		rec, err := c.store.Request(ctx, key)
		if errors.Is(err, qp.ErrNotFound) && !isKey {
			// Not a call that may still be queued (maybeQueued): an id
			// of no call the proxy records, as a client's own item id.
			return fmt.Errorf("request %s: not found: not a call's id: %s", id, historyapi.NotACallID)
		}
		if err != nil {
			return fmt.Errorf("request %s: %w%s", id, err, maybeQueued(err))
		}
		// A call's whole record is nested JSON: shown as such either way.
		return c.printJSON(historyapi.Request(rec, true))
	}
	return usagef("unknown action %q (want ls or show)", action)
}

// maybeQueued explains a record not found: a running server may still hold
// it (the CLI reads the database itself).
func maybeQueued(err error) string {
	if !errors.Is(err, qp.ErrNotFound) {
		return ""
	}
	return " (a call a running server answered in the last RECORDER_LINGER, 500 ms by default, may not be in the database yet; the server's history API writes it first)"
}
