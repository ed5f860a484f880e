package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/server"
)

func requestsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("requests", "ls", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	switch action {
	case "ls":
		limit := c.fs.Int("limit", 50, "rows to show (1-1000)")
		f := callFlags(c.fs)
		filter, err := c.openFiltered(ctx, args, f)
		if err != nil {
			return err
		}
		res, err := c.store.ListRequests(ctx, filter, qp.ListOptions{Limit: clampLimit(*limit)})
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := make([]any, 0, len(res.Items))
			for i := range res.Items {
				out = append(out, server.RequestJSON(&res.Items[i], false))
			}
			return c.printJSON(out)
		}
		return requestTable(c, res.Items)
	case "show":
		id, err := c.openWithID(ctx, args, "qwenproxy requests show ID")
		if err != nil {
			return err
		}
		rec, err := c.store.Request(ctx, id)
		if err != nil {
			return fmt.Errorf("request %s: %w", id, err)
		}
		// A call's whole record is nested JSON: shown as such either way.
		return c.printJSON(server.RequestJSON(rec, true))
	}
	return fmt.Errorf("unknown action %q (want ls or show)", action)
}

// callFlags registers the call filters and returns their parser.
func callFlags(fs *flag.FlagSet) func() (qp.CallFilter, error) {
	session := fs.String("session", "", "only calls of this session")
	model := fs.String("model", "", "only calls of this model")
	account := fs.String("account", "", "only calls served by this Qwen account (e-mail, or cookie)")
	status := fs.String("status", "", "success or error")
	start := fs.String("start", "", "from this time (Unix ms or RFC 3339)")
	end := fs.String("end", "", "until this time (Unix ms or RFC 3339)")
	return func() (qp.CallFilter, error) {
		f := qp.CallFilter{SessionID: *session, Model: *model, Account: *account, Status: *status}
		if f.Status != "" && f.Status != qp.StatusSuccess && f.Status != qp.StatusError {
			return f, errors.New("--status must be success or error")
		}
		var err error
		if f.Range.Start, err = cliTime("--start", *start); err != nil {
			return f, err
		}
		f.Range.End, err = cliTime("--end", *end)
		return f, err
	}
}

func cliTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(n), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("%s %q: want Unix ms or RFC 3339", name, v)
	}
	return t, nil
}
