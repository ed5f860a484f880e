package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/config"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// cli is the shared state of the history commands: flags, the store, output.
type cli struct {
	fs      *flag.FlagSet
	cfg     *config.Config // DatabasePath and DatabaseURL are set by the flags
	asJSON  *bool
	stdout  io.Writer
	stderr  io.Writer
	store   *sqlstore.Store
	getenv  func(string) string
	started time.Time
	// args are the positional arguments once parsed; maxArgs is how many
	// the command takes (more is a usage error).
	args    []string
	maxArgs int
	// readOnly is set by the commands that only read: they never migrate
	// the database (see openUnchanged), which may be a backup to go back
	// with, or shared with instances of the earlier version.
	readOnly bool
	// createNew, with readOnly, lets a read make and migrate a new
	// database (accounts ls, credentials status), never migrate an older one.
	createNew  bool
	closeStore func() error
}

func newCLI(name string, getenv func(string) string, stdout, stderr io.Writer) (*cli, error) {
	cfg, err := config.Load(nil, getenv, stderr)
	if err != nil {
		return nil, err
	}
	c := &cli{fs: flag.NewFlagSet(name, flag.ContinueOnError), cfg: cfg, stdout: stdout, stderr: stderr, getenv: getenv, started: time.Now()}
	c.fs.SetOutput(stderr)
	c.fs.Usage = c.fs.PrintDefaults // the command's help (commandHelp) heads it
	c.fs.StringVar(&cfg.DatabasePath, "database-path", cfg.DatabasePath, config.DatabasePathHelp)
	config.DatabaseURLFlag(c.fs, &cfg.DatabaseURL)
	c.asJSON = c.fs.Bool("json", false, "print JSON for scripts instead of text for people")
	return c, nil
}

// open parses flags and opens the database (it must exist: the history
// commands never create one).
func (c *cli) open(ctx context.Context, args []string) error {
	if err := c.parse(args); err != nil {
		return err
	}
	return c.openParsed(ctx)
}

// openParsed is open once the flags are parsed.
func (c *cli) openParsed(ctx context.Context) error {
	if c.cfg.DatabaseURL == "" {
		if err := existingDatabase(c.cfg.DatabasePath); err != nil {
			return fmt.Errorf("no database at %s (set DATABASE_PATH or --database-path, or DATABASE_URL for PostgreSQL): %w", c.cfg.DatabasePath, err)
		}
	}
	return c.connect(ctx)
}

// errEmptyFile is a database path naming a file of 0 bytes.
var errEmptyFile = errors.New("the file is empty (0 bytes), not a database")

// existingDatabase reports why no SQLite database is at path: no file there,
// or an empty one. SQLite takes a 0-byte file for a new database (the server
// does, for a file a deployment made ahead) and the migrations would make it
// one, which a command that reads or deletes must never do. A file gone
// while its -wal or -shm is still there is said to be (sqlite.Orphaned):
// deleted under a running server, not a path mistyped.
func existingDatabase(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if orphaned := sqlite.Orphaned(path); orphaned != nil {
			return orphaned
		}
	}
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() && fi.Size() == 0 {
		return errEmptyFile
	}
	return nil
}

func (c *cli) parse(args []string) error {
	pos, err := parseFlags(c.fs, args)
	if err != nil {
		return err
	}
	if err := checkArgs(pos, c.maxArgs); err != nil {
		return err
	}
	if err := noEmptyFilter(c.fs); err != nil {
		return err
	}
	c.args = pos
	if err := config.CheckDatabaseURL(c.cfg.DatabaseURL); err != nil {
		return fmt.Errorf("--database-url: %w", err)
	}
	if err := config.CheckDatabasePath(c.cfg.DatabasePath); err != nil {
		return fmt.Errorf("--database-path %s: %w", redact.URLValue(c.cfg.DatabasePath), err)
	}
	if err := config.ChooseDatabase(c.fs, c.cfg); err != nil {
		return usageError{err: err}
	}
	c.fs.Visit(func(f *flag.Flag) {
		if w := config.ArgumentPassword("--database-url", c.cfg.DatabaseURL, "DATABASE_URL"); f.Name == "database-url" && w != "" {
			fmt.Fprintf(c.stderr, "qwenproxy %s: warning: %s\n", c.fs.Name(), w)
		}
	})
	return nil
}

// openOrCreate is open for commands that may run before the first serve.
func (c *cli) openOrCreate(ctx context.Context, args []string) error {
	if err := c.parse(args); err != nil {
		return err
	}
	return c.connect(ctx)
}

func (c *cli) connect(ctx context.Context) error {
	if c.readOnly {
		st, closeIt, snapshot, err := openUnchanged(ctx, c.cfg.Database(), "qwenproxy "+c.fs.Name()+" only reads: it does not migrate a database", c.createNew,
			sayRestored(c.stderr, c.fs.Name()))
		if err != nil {
			return err
		}
		if snapshot && sqlite.MayNotWrite(c.cfg.DatabasePath) != "" {
			fmt.Fprintf(c.stderr, "qwenproxy %s: %s has an older schema, and this process may not write it: reading a migrated snapshot of it, the database left as it is (qwenproxy migrate up, run by a user who may write it, migrates it)\n", c.fs.Name(), c.cfg.DatabasePath)
		} else if snapshot {
			fmt.Fprintf(c.stderr, "qwenproxy %s: %s has an older schema: reading a migrated snapshot of it, the database left as it is (qwenproxy migrate up migrates it)\n", c.fs.Name(), c.cfg.DatabasePath)
		}
		c.store, c.closeStore = st, closeIt
		return nil
	}
	st, err := store.Open(ctx, c.cfg.Database(), store.Options{SQLite: sqlite.Options{Restored: sayRestored(c.stderr, c.fs.Name())}})
	if err != nil {
		return err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Discard() // a file this open made goes with it
		return err
	}
	c.store = st
	return nil
}

// close closes the command's database, saying a WAL its close could not
// checkpoint (sayWALKept).
func (c *cli) close() {
	if c.closeStore != nil {
		sayWALKept(c.stderr, c.fs.Name(), c.closeStore())
	} else if c.store != nil {
		sayWALKept(c.stderr, c.fs.Name(), c.store.Close())
	}
}

func (c *cli) printJSON(v any) error { return writeJSON(c.stdout, v) }

// report says what a command did: fields as JSON with --json (for
// scripts), else the sentence for people.
func (c *cli) report(fields map[string]any, sentence string, args ...any) error {
	if *c.asJSON {
		return c.printJSON(fields)
	}
	_, err := fmt.Fprintf(c.stdout, sentence+"\n", args...)
	return err
}

// writeJSON writes v as indented JSON, for scripts, with DEL and the C1
// control characters escaped too (encoding/json escapes only those below
// U+0020): printed raw, U+009B is a terminal's CSI, and client content
// could drive the terminal of whoever reads the output.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := httpjson.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeC1(b.Bytes()))
	return err
}

// escapeC1 writes DEL and U+0080–U+009F in encoded JSON as \u escapes. In
// valid JSON they can only be inside strings, where the escape means the
// same character.
func escapeC1(js []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(js); i++ {
		var r int
		switch {
		case js[i] == 0x7f:
			r = 0x7f
		case js[i] == 0xc2 && i+1 < len(js) && js[i+1] >= 0x80 && js[i+1] <= 0x9f:
			r = int(js[i+1])
		default:
			continue
		}
		out = fmt.Appendf(append(out, js[last:i]...), `\u%04x`, r)
		if r != 0x7f {
			i++
		}
		last = i + 1
	}
	if out == nil {
		return js
	}
	return append(out, js[last:]...)
}

// table prints header and the rows that rows writes — cells ended by a tab,
// rows by a newline, the text after a row's last tab unpadded — with each
// column as wide as its widest cell and two spaces after it, as
// text/tabwriter would, but measured in the columns a terminal draws, not in
// characters: a model name a client chose in Japanese, an emoji or an accent
// written as a combining mark shifted every later column of its row.
func (c *cli) table(header string, rows func(w io.Writer)) error {
	var buf bytes.Buffer
	buf.WriteString(header)
	buf.WriteByte('\n')
	rows(&buf)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	cells := make([][]string, len(lines))
	var widths []int
	for i, line := range lines {
		cells[i] = strings.Split(line, "\t")
		for j, cell := range cells[i][:len(cells[i])-1] { // the last is not aligned
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], displayWidth(cell))
		}
	}
	var out bytes.Buffer
	for _, row := range cells {
		for j, cell := range row {
			out.WriteString(cell)
			if j < len(row)-1 {
				out.WriteString(strings.Repeat(" ", widths[j]-displayWidth(cell)+2))
			}
		}
		out.WriteByte('\n')
	}
	_, err := c.stdout.Write(out.Bytes())
	return err
}

// moreMatch says, under a list's table cut at its --limit, that rows beyond
// it match too, and how to see them: a table of the newest 50 calls read as
// every call there was. It does not count them: a count under a filter
// reads every match (`stats` counts calls; --json prints the page alone).
// one and many name a row and rows: a page of one is "the newest call", not
// "the newest 1 calls".
func (c *cli) moreMatch(more bool, shown int, one, many string) error {
	if !more {
		return nil
	}
	rows := fmt.Sprintf("%d %s", shown, many)
	if shown == 1 {
		rows = one
	}
	_, err := fmt.Fprintf(c.stdout, "the newest %s shown; more match: --limit N shows up to 1000, --start and --end choose the time range\n", rows)
	return err
}

// ms shows a time to a person: local, with its zone.
func ms(t time.Time) string { return historyapi.FormatTime(t) }

// oneLine is s, trimmed, cut to n characters for a table's cell or a
// one-line field; cell then escapes its newlines and tabs (\n, \t), as the
// README says, where they were each taken, with the spaces around them,
// for one space.
func oneLine(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// newActionCLI starts a command that takes an action word (defaulting to
// def) before its flags, and returns the action and the remaining args.
// The action word must come first: a leading flag selects the default.
func newActionCLI(name, def string, args []string, getenv func(string) string, stdout, stderr io.Writer) (*cli, string, []string, error) {
	action, args := splitAction(args, def)
	c, err := newCLI(name+" "+action, getenv, stdout, stderr)
	return c, action, args, err
}

// openFiltered reads the call filters registered with callFlags (and
// whatever else filter checks), then opens the database: a value the
// command cannot take is refused for what it is, before the database is
// looked at (or, older, snapshotted).
func (c *cli) openFiltered(ctx context.Context, args []string, filter func() (qp.CallFilter, error)) (qp.CallFilter, error) {
	if err := c.parse(args); err != nil {
		return qp.CallFilter{}, err
	}
	f, err := filter()
	if err != nil {
		return qp.CallFilter{}, err
	}
	return f, c.openParsed(ctx)
}

// splitAction takes a leading sub-command word, defaulting to def.
func splitAction(args []string, def string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return def, args
}

// openWithID opens the database for a command that names one thing by id,
// before, after or among its flags.
func (c *cli) openWithID(ctx context.Context, args []string, usage string) (string, error) {
	c.maxArgs = 1
	if err := c.parse(args); err != nil {
		return "", err
	}
	if len(c.args) == 0 {
		return "", usagef("usage: %s", usage)
	}
	if err := c.openParsed(ctx); err != nil {
		return "", err
	}
	return c.args[0], nil
}
