package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/app"
	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/store/sqlite"
)

func statsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := newCLI("stats", getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	c.readOnly = true
	session := c.fs.String("session", "", "only this session")
	clientSession := c.fs.String("client-session", "", "only calls a client sent with this id of its own conversation (Claude Code's, Codex's, OpenCode's session id): exact, as one session's")
	model := c.fs.String("model", "", "only this model")
	account := c.fs.String("account", "", "only calls served by this Qwen account (e-mail, or cookie)")
	keyID := c.fs.String("api-key-id", "", "only calls made with this proxy API key (its `ID`: key-…, env-…)")
	bucket := c.fs.String("bucket", "", "also group by hour or day")
	start := c.fs.String("start", "", "from this time: "+timeHelp)
	end := c.fs.String("end", "", "until this time: "+timeHelp)
	if err := c.parse(args); err != nil {
		return err
	}
	q, apiErr := historyapi.StatsQueryFrom(values("session_id", *session, "client_session_id", *clientSession, "model", *model, "account", *account, "api_key_id", *keyID, "bucket", *bucket, "start", *start, "end", *end), time.Now())
	if apiErr != nil {
		return apiError(apiErr)
	}
	if err := c.openParsed(ctx); err != nil {
		return err
	}
	st, err := c.store.Stats(ctx, q)
	if err != nil {
		return err
	}
	if *c.asJSON {
		return c.printJSON(historyapi.StatsOf(q, st))
	}
	row := func(w io.Writer, name string, g qp.StatsGroup) {
		rate := 0.0
		if g.Requests > 0 {
			rate = 100 * float64(g.Errors) / float64(g.Requests)
		}
		// A group whose calls produced no first token (refused before Qwen
		// answered) has no time to it, and no calls no duration: 0.0 read
		// as an instant one.
		fmt.Fprintf(w, "%s\t%d\t%.1f%%\t%d\t%d\t%s\t%s\t%s\t%s\n", cell(name), g.Requests, rate, g.PromptTokens, g.CompletionTokens,
			percentile(g.Duration, g.Duration.P50), percentile(g.Duration, g.Duration.P95), percentile(g.Duration, g.Duration.P99),
			percentile(g.TTFT, g.TTFT.P50))
	}
	err = c.table("GROUP\tCALLS\tERRORS\tPROMPT TOK\tCOMPL TOK\tP50 MS\tP95 MS\tP99 MS\tTTFT P50", func(w io.Writer) {
		row(w, "all", st.Totals)
		for _, g := range st.ByModel {
			row(w, "model "+g.Key, g)
		}
		for _, g := range st.ByAccount {
			row(w, "account "+cmp.Or(g.Key, "(none)"), g)
		}
		for _, g := range st.ByBucket {
			row(w, bucketName(g.Key, q.Bucket), g)
		}
	})
	if err == nil && len(st.ByErrorType) > 0 {
		// Why the errors above ended: blank-line apart, its own columns.
		if _, err = fmt.Fprintln(c.stdout); err == nil {
			err = c.table("ERROR TYPE\tCALLS", func(w io.Writer) {
				for _, t := range st.ByErrorType {
					fmt.Fprintf(w, "%s\t%d\n", t.ErrorType, t.Calls)
				}
			})
		}
	}
	if err == nil && st.Approximate && st.Totals.Duration.Count > 0 {
		// Said, as --json says "percentiles": "approximate": a P95 above the
		// slowest call's duration reads as a bug otherwise.
		_, err = fmt.Fprintln(c.stdout, "percentiles are approximate (within about 10 %, from the statistics' histograms); one session's (--session) or client session's (--client-session) are exact")
	}
	return err
}

// bucketName shows a statistics bucket, given as the API's RFC 3339 start:
// an hour in the local zone, as every other time here; a day by its UTC
// date, which it is (statistics by day are by UTC day), since its start in
// the local zone read, west of UTC, as the evening before.
func bucketName(start, bucket string) string {
	t, err := time.Parse(time.RFC3339, start)
	switch {
	case err != nil:
		return start
	case bucket == "day":
		return t.UTC().Format(time.DateOnly) + " (UTC day)"
	}
	return historyapi.FormatTime(t)
}

// percentile is one of d's percentiles, v, in milliseconds, or "-" when d
// summarises no call.
func percentile(d qp.Distribution, v float64) string {
	if d.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

// exportCmd writes calls as JSONL or CSV: to standard output, where the
// export is all it prints, or to --output, after which it says what it wrote
// (as JSON with --json).
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := newCLI("export", getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	c.readOnly = true
	format := c.fs.String("format", "", "jsonl or csv (default: csv for an --output file named *.csv, else jsonl)")
	output := c.fs.String("output", "-", "file to write, - for standard output (then the export is all that is printed)")
	noBodies := c.fs.Bool("no-bodies", false, "leave request and response bodies out of JSONL")
	f := callFlags(c.fs)
	filter, err := c.openFiltered(ctx, args, func() (qp.CallFilter, error) {
		if *output == "" {
			// --output '' (a script's unset variable) named no file: the
			// export failed after the database was opened, with "open :
			// no such file or directory".
			return qp.CallFilter{}, errors.New("--output is empty: name the file to write, or - for standard output (the default)")
		}
		if *format == "" {
			// --format "" (a script's unset variable) is no format: taken
			// as none, it wrote JSONL, or CSV for *.csv, whatever was meant.
			if config.FlagGiven(c.fs, "format") {
				return qp.CallFilter{}, errors.New("--format is empty: give jsonl or csv, or leave it out (csv for an --output file named *.csv, else jsonl)")
			}
			*format = formatOf(*output)
		}
		if *format != "jsonl" && *format != "csv" {
			return qp.CallFilter{}, fmt.Errorf("--format must be jsonl or csv, not %q", *format)
		}
		return f()
	})
	if err != nil {
		return err
	}
	toFile := *output != "-"
	out := c.stdout
	var file *exportFile
	if toFile {
		if own := c.ownFile(*output); own != "" {
			return fmt.Errorf("--output %s is %s, which the export would overwrite: name another file", *output, own)
		}
		if file, err = createExportFile(*output); err != nil {
			return fmt.Errorf("--output: %w", err) // the command names itself
		}
		defer file.abandon() // once committed, nothing
		out = file
	}
	bar := newProgress(c.stderr, "exported")
	write, finish := historyapi.ExportWriter(out, *format, false)
	n := 0
	err = c.store.Export(ctx, filter, *format == "jsonl" && !*noBodies, func(r *qp.RequestRecord) error {
		n++
		bar.set(n)
		return write(r)
	})
	bar.done(n)
	if err == nil {
		err = finish()
	}
	if err == nil && toFile {
		err = file.commit()
	}
	if err != nil {
		return err
	}
	if !toFile {
		return nil
	}
	return c.report(map[string]any{"exported": n, "format": *format, "output": *output},
		"exported %s as %s to %s", plural(n, "call"), strings.ToUpper(*format), *output)
}

// formatOf is the export format a file's name asks for: csv for *.csv
// (calls.csv got JSONL when --format was left out), else jsonl.
func formatOf(output string) string {
	if strings.EqualFold(filepath.Ext(output), ".csv") {
		return "csv"
	}
	return "jsonl"
}

// ownFile says which of the history's own files path is, if it is one:
// the SQLite database, its -wal, -shm or -journal, or the recorder's spool
// (the default beside the database, or RECORDER_SPOOL's), there yet or not;
// or a file a qwenproxy server keeps (app.ServersFile). os.Create truncates what it opens: an export written to the database
// emptied it.
func (c *cli) ownFile(path string) string {
	db := c.cfg.DatabasePath
	if c.cfg.DatabaseURL == "" {
		switch f := sqlite.FileOf(db, path); f {
		case "":
		case db:
			return "the database"
		default:
			return "the database's file " + f
		}
	}
	for _, spool := range []string{db + ".spool", c.cfg.SpoolPath} {
		if sqlite.FileOf(spool, path) == spool {
			return "the recorder's spool " + spool
		}
	}
	// A server's files this command's environment does not name: a spool
	// at the server's own RECORDER_SPOOL, another server's database.
	if why := app.ServersFile(path); why != "" {
		return "a qwenproxy server's file: " + why
	}
	return ""
}

// pruneCmd deletes the calls recorded before a time (--before) or an age
// (--older-than). A prune that would delete every call recorded so far asks
// first (see confirmAll), whatever the cut-off: an age longer than the
// history is as total as a time in the future.
func pruneCmd(ctx context.Context, args []string, e env) error {
	c, err := newCLI("prune", e.getenv, e.stdout, e.stderr)
	if err != nil {
		return err
	}
	defer c.close()
	older := c.fs.String("older-than", "", "delete calls older than this age (30d, 12h, 90m)")
	beforeFlag := c.fs.String("before", "", "delete calls recorded before this time: "+timeHelp)
	yes := c.fs.Bool("yes", false, "confirm a prune that deletes every call")
	if err := c.parse(args); err != nil {
		return err
	}
	// The cut-off is read before the database is looked for: its missing
	// or conflicting flags are a usage error wherever the database is.
	before, err := pruneCutoff(*older, *beforeFlag, time.Now())
	if err != nil {
		return err
	}
	if err := c.openParsed(ctx); err != nil {
		return err
	}
	if every, n, err := deletesEverything(ctx, c, before); err != nil {
		return err
	} else if every {
		if err := confirmAll(e, *yes, fmt.Sprintf("every recorded call (%d)", n)); err != nil {
			return err
		}
	}
	bar := newProgress(c.stderr, "deleted")
	// Batches of 500 keep each write transaction short, so a running
	// server's recorder is never held off for long; the bar moves as each
	// commits.
	total, err := c.store.DeleteRequestsBefore(ctx, before, 500, bar.set)
	if err != nil {
		if total > 0 {
			// Each batch committed stays deleted: the same prune again
			// deletes the rest.
			bar.done(total)
			return fmt.Errorf("deleted %s, then stopped: %w", plural(total, "call"), err)
		}
		return err
	}
	bar.done(total)
	if err := c.store.ReclaimSpace(ctx); err != nil {
		return err
	}
	if *c.asJSON {
		return c.printJSON(map[string]any{"deleted": total, "before": before.UnixMilli()})
	}
	fmt.Fprintf(c.stdout, "deleted %s recorded before %s\n", plural(total, "call"), historyapi.FormatTime(before))
	return nil
}

// pruneCutoff reads prune's --older-than or --before (exactly one) as the
// time before which calls are deleted.
func pruneCutoff(older, before string, now time.Time) (time.Time, error) {
	switch {
	case older != "" && before != "":
		return time.Time{}, usagef("give --older-than or --before, not both")
	case older != "":
		age, ok := historyapi.ParseAge(older)
		if !ok {
			return time.Time{}, fmt.Errorf("--older-than %q: want an age of at most 100 years, a whole number of s, m (minutes), h, d or w (weeks), or a Go duration (1h30m): 30d, 12h, 90m", older)
		}
		return now.Add(-age), nil
	case before != "":
		t, err := historyapi.ParseTime(before, now)
		if err != nil {
			return time.Time{}, fmt.Errorf("--before: %w", err)
		}
		return t, nil
	}
	return time.Time{}, usagef("--older-than or --before is required (e.g. --older-than 30d)")
}

// deletesEverything reports whether deleting the calls recorded before
// before would leave none, and how many it would delete: it would when some
// call precedes the cut-off and none is at or after it. Both are counted
// from the calls themselves (a time range never reads the rollups), with
// the same bound as DeleteRequestsBefore.
func deletesEverything(ctx context.Context, c *cli, before time.Time) (bool, int, error) {
	doomed, err := c.store.ListRequests(ctx, qp.CallFilter{Range: qp.TimeRange{End: before}}, qp.ListOptions{Limit: 1})
	if err != nil {
		return false, 0, err
	}
	if doomed.Total == 0 {
		return false, 0, nil
	}
	kept, err := c.store.ListRequests(ctx, qp.CallFilter{Range: qp.TimeRange{Start: before}}, qp.ListOptions{Limit: 1, NoTotal: true})
	if err != nil {
		return false, 0, err
	}
	return len(kept.Items) == 0, doomed.Total, nil
}
