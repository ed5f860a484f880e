package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/historyapi"
)

func sessionsCmd(ctx context.Context, args []string, e env) error {
	c, action, args, err := newActionCLI("sessions", "ls", args, e.getenv, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer c.close()
	c.readOnly = action == "ls" || action == "show"
	switch action {
	case "ls":
		limit := limitFlag(c.fs)
		search := c.fs.String("search", "", "only sessions whose first message contains this")
		model := c.fs.String("model", "", "only sessions of this model")
		account := c.fs.String("account", "", "only sessions whose chat is on this Qwen account (e-mail, or cookie)")
		keyID := c.fs.String("api-key-id", "", "only sessions opened with this proxy API key (its `ID`: key-…, env-…)")
		start := c.fs.String("start", "", "only sessions started from this time: "+timeHelp)
		end := c.fs.String("end", "", "only sessions started before this time: "+timeHelp)
		if err := c.parse(args); err != nil {
			return err
		}
		o, err := listOptions(*limit)
		if err != nil {
			return err
		}
		f, apiErr := historyapi.SessionFilterFrom(values("search", *search, "model", *model, "account", *account, "api_key_id", *keyID, "start", *start, "end", *end), time.Now())
		if apiErr != nil {
			return apiError(apiErr)
		}
		if err := c.openParsed(ctx); err != nil {
			return err
		}
		res, err := c.store.ListSessions(ctx, f, o)
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := make([]any, 0, len(res.Items))
			for i := range res.Items {
				out = append(out, historyapi.Session(&res.Items[i], time.Now(), false))
			}
			return c.printJSON(out)
		}
		err = c.table("ID\tMODEL\tTURNS\tCREATED\tLAST USED\tFIRST MESSAGE", func(w io.Writer) {
			for _, s := range res.Items {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", cell(s.ID), cell(s.Model), s.MessageCount, ms(s.CreatedAt), ms(s.LastAccessed), cell(oneLine(s.FirstUserMessage, 50)))
			}
		})
		if err != nil {
			return err
		}
		return c.moreMatch(res.HasMore, len(res.Items), "session", "sessions")
	case "show":
		reasoning := c.fs.Bool("reasoning", false, "print reasoning in full instead of folded to its first line")
		calls := c.fs.Bool("calls", false, "print the table of calls instead of the transcript")
		id, err := c.openWithID(ctx, args, "qwenproxy sessions show ID")
		if err != nil {
			return err
		}
		rec, err := c.store.SessionRecord(ctx, id)
		if err != nil {
			return fmt.Errorf("session %s: %w%s", id, err, maybeQueued(err))
		}
		return showSession(ctx, c, rec, *calls, *reasoning)
	case "rm":
		id, err := c.openWithID(ctx, args, "qwenproxy sessions rm ID")
		if err != nil {
			return err
		}
		rec, err := c.store.SessionRecord(ctx, id)
		if err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		if err := c.store.DeleteSession(ctx, id); err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		if *c.asJSON {
			return c.printJSON(map[string]any{"deleted": true, "session_id": id, "calls": rec.RequestCount})
		}
		fmt.Fprintf(c.stdout, "deleted session %s and its %s\n", cell(id), plural(rec.RequestCount, "call"))
		return nil
	}
	return usagef("unknown action %q (want ls, show or rm)", action)
}

// showSession prints a session's header and then its conversation as a
// transcript (or, with calls, the table of its calls), reading the calls a
// page at a time; the transcript is printed page by page, so a long
// conversation is never held whole.
func showSession(ctx context.Context, c *cli, rec *qp.SessionRecord, calls, fullReasoning bool) error {
	transcript := !calls && !*c.asJSON
	if transcript {
		printSessionHeader(c.stdout, rec)
	}
	var sent historyapi.ConversationSent
	if !calls {
		var err error
		if sent, err = historyapi.ReadConversationSent(ctx, c.store, rec.ID); err != nil {
			return err
		}
	}
	var turns []historyapi.TurnJSON
	var items []qp.RequestRecord
	o := qp.ListOptions{Limit: 200, Asc: true, Bodies: !calls, NoTotal: true}
	for {
		page, err := c.store.ListRequests(ctx, qp.CallFilter{SessionID: rec.ID}, o)
		if err != nil {
			return err
		}
		pageTurns := make([]historyapi.TurnJSON, len(page.Items))
		for i := range page.Items {
			pageTurns[i] = sent.Turn(&page.Items[i])
		}
		if !calls {
			if err := historyapi.MarkRegenerates(ctx, c.store, rec.ID, page.Items, pageTurns, true); err != nil {
				return err
			}
		}
		for i := range page.Items {
			turn := pageTurns[i]
			switch {
			case transcript:
				printTranscript(c.stdout, []historyapi.TurnJSON{turn}, fullReasoning)
			case *c.asJSON:
				turns = append(turns, turn)
				page.Items[i].OpenAIRequest, page.Items[i].QwenRequest = nil, nil // the list form carries no bodies
				items = append(items, page.Items[i])
			default:
				items = append(items, page.Items[i])
			}
		}
		if !page.HasMore {
			break
		}
		o.After = page.Next
	}
	if *c.asJSON {
		reqs := make([]any, 0, len(items))
		for i := range items {
			reqs = append(reqs, historyapi.Request(&items[i], false))
		}
		return c.printJSON(map[string]any{"session": historyapi.Session(rec, time.Now(), true), "requests": reqs, "transcript": turns})
	}
	if calls {
		printSessionHeader(c.stdout, rec)
		return requestTable(c, items)
	}
	return nil
}

func printSessionHeader(w io.Writer, rec *qp.SessionRecord) {
	fmt.Fprintf(w, "session   %s\nchat      %s\nmodel     %s\nturns     %d\ncalls     %d\ncreated   %s\nlast used %s\nexpires   %s\n\n",
		cell(rec.ID), cell(rec.ChatID), cell(rec.Model), rec.MessageCount, rec.RequestCount, ms(rec.CreatedAt), ms(rec.LastAccessed), ms(rec.ExpiresAt))
}

// requestTable lists calls, each with the id of the proxy API key that made
// it (never the key), as the dashboard's calls do: --api-key-id filters by
// it, so the table shows it. A call made without keys has "-" there, as a
// call without a response has for its status: with auth off the column is
// all dashes, and a row still splits on blanks into its columns, which an
// empty cell would shift. The error, free text and most often none, stays
// last.
func requestTable(c *cli, items []qp.RequestRecord) error {
	return c.table("ID\tTIME\tPATH\tMODEL\tSTREAM\tSTATUS\tHTTP\tTOKENS\tMS\tAPI KEY\tERROR", func(w io.Writer) {
		for _, r := range items {
			status, httpStatus, tokens, dur, errText := "-", 0, 0, 0.0, ""
			if rs := r.Response; rs != nil {
				status, httpStatus, tokens, dur, errText = rs.Status, rs.HTTPStatus, rs.TotalTokens, rs.DurationMillis, rs.ErrorType
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s\t%d\t%d\t%.1f\t%s\t%s\n", r.ID, ms(r.Timestamp), cell(r.Path), cell(r.Model), r.Stream, cell(status), httpStatus, tokens, dur,
				cell(cmp.Or(r.APIKeyID, "-")), cell(errText))
		}
	})
}
