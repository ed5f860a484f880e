package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/config"
	"qwenproxy/internal/server"
	"qwenproxy/internal/store/sqlite"
)

// cli is the shared state of the history commands: flags, the store, output.
type cli struct {
	fs      *flag.FlagSet
	dbPath  *string
	asJSON  *bool
	stdout  io.Writer
	stderr  io.Writer
	store   *sqlite.Store
	getenv  func(string) string
	started time.Time
}

func newCLI(name string, getenv func(string) string, stdout, stderr io.Writer) (*cli, error) {
	cfg, err := config.Load(nil, getenv, stderr)
	if err != nil {
		return nil, err
	}
	c := &cli{fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr, getenv: getenv, started: time.Now()}
	c.fs.SetOutput(stderr)
	c.dbPath = c.fs.String("database-path", cfg.DatabasePath, "SQLite database file (DATABASE_PATH)")
	c.asJSON = c.fs.Bool("json", false, "print JSON for scripts instead of a table")
	return c, nil
}

// open parses flags and opens the database (it must exist: the history
// commands never create one).
func (c *cli) open(ctx context.Context, args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	if _, err := os.Stat(*c.dbPath); err != nil {
		return fmt.Errorf("no database at %s (set DATABASE_PATH or --database-path): %w", *c.dbPath, err)
	}
	return c.connect(ctx)
}

// openOrCreate is open for commands that may run before the first serve.
func (c *cli) openOrCreate(ctx context.Context, args []string) error {
	if err := c.fs.Parse(args); err != nil {
		return err
	}
	return c.connect(ctx)
}

func (c *cli) connect(ctx context.Context) error {
	st, err := sqlite.Open(ctx, *c.dbPath, sqlite.Options{})
	if err != nil {
		return err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return err
	}
	c.store = st
	return nil
}

func (c *cli) close() {
	if c.store != nil {
		c.store.Close()
	}
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *cli) table(header string, rows func(w io.Writer)) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}

func ms(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// splitAction takes a leading sub-command word, defaulting to def.
func splitAction(args []string, def string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return def, args
}

// idArg takes an id given before the flags; one given after them is
// c.fs.Arg(0) once the flags are parsed.
func idArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// openWithID opens the database for a command that names one thing by id,
// before or after its flags.
func (c *cli) openWithID(ctx context.Context, args []string, usage string) (string, error) {
	id, rest := idArg(args)
	if err := c.open(ctx, rest); err != nil {
		return "", err
	}
	if id == "" {
		id = c.fs.Arg(0)
	}
	if id == "" {
		return "", errors.New("usage: " + usage)
	}
	return id, nil
}

func sessionsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	action, args := splitAction(args, "ls")
	c, err := newCLI("sessions "+action, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	switch action {
	case "ls":
		limit := c.fs.Int("limit", 50, "rows to show (1-1000)")
		search := c.fs.String("search", "", "only sessions whose first message contains this")
		model := c.fs.String("model", "", "only sessions of this model")
		if err := c.open(ctx, args); err != nil {
			return err
		}
		res, err := c.store.ListSessions(ctx, qp.SessionFilter{Search: *search, Model: *model}, qp.ListOptions{Limit: clampLimit(*limit)})
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := make([]any, 0, len(res.Items))
			for i := range res.Items {
				out = append(out, server.SessionJSON(&res.Items[i], time.Now(), false))
			}
			return c.printJSON(out)
		}
		return c.table("ID\tMODEL\tTURNS\tCREATED\tLAST USED\tFIRST MESSAGE", func(w io.Writer) {
			for _, s := range res.Items {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", s.ID, s.Model, s.MessageCount, ms(s.CreatedAt), ms(s.LastAccessed), oneLine(s.FirstUserMessage, 50))
			}
		})
	case "show":
		id, err := c.openWithID(ctx, args, "qwenproxy sessions show ID")
		if err != nil {
			return err
		}
		rec, err := c.store.SessionRecord(ctx, id)
		if err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		calls, err := c.store.ListRequests(ctx, qp.CallFilter{SessionID: id}, qp.ListOptions{Limit: 1000, Asc: true})
		if err != nil {
			return err
		}
		if *c.asJSON {
			reqs := make([]any, 0, len(calls.Items))
			for i := range calls.Items {
				reqs = append(reqs, server.RequestJSON(&calls.Items[i], false))
			}
			return c.printJSON(map[string]any{"session": server.SessionJSON(rec, time.Now(), true), "requests": reqs})
		}
		fmt.Fprintf(c.stdout, "session   %s\nchat      %s\nmodel     %s\nturns     %d\ncalls     %d\ncreated   %s\nlast used %s\nexpires   %s\nfirst     %s\n\n",
			rec.ID, rec.ChatID, rec.Model, rec.MessageCount, rec.RequestCount, ms(rec.CreatedAt), ms(rec.LastAccessed), ms(rec.ExpiresAt), oneLine(rec.FirstUserMessage, 200))
		return requestTable(c, calls.Items)
	case "rm":
		id, err := c.openWithID(ctx, args, "qwenproxy sessions rm ID")
		if err != nil {
			return err
		}
		if err := c.store.DeleteSession(ctx, id); err != nil {
			return fmt.Errorf("session %s: %w", id, err)
		}
		if *c.asJSON {
			return c.printJSON(map[string]any{"deleted": true, "session_id": id})
		}
		fmt.Fprintf(c.stdout, "deleted session %s and its calls\n", id)
		return nil
	}
	return fmt.Errorf("unknown action %q (want ls, show or rm)", action)
}

func clampLimit(n int) int { return max(1, min(n, 1000)) }

func requestTable(c *cli, items []qp.RequestRecord) error {
	return c.table("ID\tTIME\tMODEL\tSTREAM\tSTATUS\tHTTP\tTOKENS\tMS\tERROR", func(w io.Writer) {
		for _, r := range items {
			status, httpStatus, tokens, dur, errText := "-", 0, 0, int64(0), ""
			if rs := r.Response; rs != nil {
				status, httpStatus, tokens, dur, errText = rs.Status, rs.HTTPStatus, rs.TotalTokens, rs.DurationMillis, rs.ErrorType
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%v\t%s\t%d\t%d\t%d\t%s\n", r.ID, ms(r.Timestamp), r.Model, r.Stream, status, httpStatus, tokens, dur, errText)
		}
	})
}

func requestsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	action, args := splitAction(args, "ls")
	c, err := newCLI("requests "+action, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	switch action {
	case "ls":
		limit := c.fs.Int("limit", 50, "rows to show (1-1000)")
		f := callFlags(c.fs)
		if err := c.open(ctx, args); err != nil {
			return err
		}
		filter, err := f()
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
	status := fs.String("status", "", "success or error")
	start := fs.String("start", "", "from this time (Unix ms or RFC 3339)")
	end := fs.String("end", "", "until this time (Unix ms or RFC 3339)")
	return func() (qp.CallFilter, error) {
		f := qp.CallFilter{SessionID: *session, Model: *model, Status: *status}
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

func statsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := newCLI("stats", getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	session := c.fs.String("session", "", "only this session")
	model := c.fs.String("model", "", "only this model")
	bucket := c.fs.String("bucket", "", "also group by hour or day")
	start := c.fs.String("start", "", "from this time (Unix ms or RFC 3339)")
	end := c.fs.String("end", "", "until this time (Unix ms or RFC 3339)")
	if err := c.open(ctx, args); err != nil {
		return err
	}
	q := qp.StatsQuery{SessionID: *session, Model: *model, Bucket: *bucket}
	if q.Bucket != "" && q.Bucket != "hour" && q.Bucket != "day" {
		return errors.New("--bucket must be hour or day")
	}
	if q.Range.Start, err = cliTime("--start", *start); err != nil {
		return err
	}
	if q.Range.End, err = cliTime("--end", *end); err != nil {
		return err
	}
	st, err := c.store.Stats(ctx, q)
	if err != nil {
		return err
	}
	if *c.asJSON {
		id := q.SessionID
		if id == "" {
			id = "all"
		}
		return c.printJSON(server.StatsJSON(id, st))
	}
	row := func(w io.Writer, name string, g qp.StatsGroup) {
		rate := 0.0
		if g.Requests > 0 {
			rate = 100 * float64(g.Errors) / float64(g.Requests)
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f%%\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.1f\n", name, g.Requests, rate, g.PromptTokens, g.CompletionTokens,
			g.Duration.P50, g.Duration.P95, g.Duration.P99, g.TTFT.P50)
	}
	return c.table("GROUP\tCALLS\tERRORS\tPROMPT TOK\tCOMPL TOK\tP50 MS\tP95 MS\tP99 MS\tTTFT P50", func(w io.Writer) {
		row(w, "all", st.Totals)
		for _, g := range st.ByModel {
			row(w, "model "+g.Key, g)
		}
		for _, g := range st.ByBucket {
			row(w, g.Key, g)
		}
	})
}

func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := newCLI("export", getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	format := c.fs.String("format", "jsonl", "jsonl or csv")
	output := c.fs.String("output", "-", "file to write, - for standard output")
	noBodies := c.fs.Bool("no-bodies", false, "leave request and response bodies out of JSONL")
	f := callFlags(c.fs)
	if err := c.open(ctx, args); err != nil {
		return err
	}
	filter, err := f()
	if err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
		return errors.New("--format must be jsonl or csv")
	}
	out := c.stdout
	if *output != "-" {
		file, err := os.Create(*output)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Close()
		out = file
	}
	bar := newProgress(c.stderr, "exported")
	var write func(*qp.RequestRecord) error
	if *format == "csv" {
		cw := csv.NewWriter(out)
		cw.Write(server.ExportCSVHeader)
		defer cw.Flush()
		write = func(r *qp.RequestRecord) error { return cw.Write(server.ExportCSVRow(r)) }
	} else {
		enc := json.NewEncoder(out)
		write = func(r *qp.RequestRecord) error { return enc.Encode(server.ExportJSON(r)) }
	}
	n := 0
	err = c.store.Export(ctx, filter, *format == "jsonl" && !*noBodies, func(r *qp.RequestRecord) error {
		n++
		bar.set(n)
		return write(r)
	})
	bar.done(n)
	return err
}

func pruneCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := newCLI("prune", getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	older := c.fs.String("older-than", "", "delete calls older than this (e.g. 30d, 12h)")
	if err := c.open(ctx, args); err != nil {
		return err
	}
	age, err := parseAge(*older)
	if err != nil {
		return err
	}
	before := time.Now().Add(-age)
	bar := newProgress(c.stderr, "deleted")
	total := 0
	// Batches of 500 keep each write transaction short, so a running
	// server's recorder is never held off for long.
	for {
		n, err := c.store.DeleteRequestsBefore(ctx, before, 500)
		total += n
		bar.set(total)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
	}
	bar.done(total)
	if err := c.store.ReclaimSpace(ctx); err != nil {
		return err
	}
	if *c.asJSON {
		return c.printJSON(map[string]any{"deleted": total, "before": before.UnixMilli()})
	}
	fmt.Fprintf(c.stdout, "deleted %d calls recorded before %s\n", total, ms(before))
	return nil
}

// parseAge reads "30d", "12h", "90m" or any Go duration.
func parseAge(v string) (time.Duration, error) {
	if v == "" {
		return 0, errors.New("--older-than is required (e.g. 30d)")
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("--older-than %q: want a number of days like 30d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--older-than %q: want 30d, 12h or 90m", v)
	}
	return d, nil
}
