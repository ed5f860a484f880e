// Command qwenproxy is an OpenAI-compatible gateway to Qwen Chat that records
// every conversation, request and response.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"qwenproxy/internal/config"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/store/sqlite"
)

// env is what a command gets from the process: its environment and streams.
type env struct {
	getenv func(string) string
	// environ lists the environment's NAME=value lines, for the names
	// only: a misspelt setting is warned of (nil: none looked for).
	environ func() []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	// terminal reports whether stdin is a person at a terminal (who can be
	// asked to confirm).
	terminal bool
}

// misspellings are the environment's variables meant for a setting but
// misspelt, which nothing reads.
func (e env) misspellings() []config.Misspelling {
	if e.environ == nil {
		return nil
	}
	return config.Misspellings(e.environ())
}

// command is one row of the command table: help is generated from it.
type command struct {
	name    string
	summary string
	actions []action // none: the command takes flags only
	run     func(ctx context.Context, args []string, e env) error
}

// exitStatus is the error of a command with exit statuses of its own, which
// has said what went wrong itself.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// action is one sub-command word; the first is the default.
type action struct{ name, args, summary string }

func commands() []command {
	return []command{
		{"serve", "run the proxy (and the dashboard at /ui/)", nil,
			func(ctx context.Context, args []string, e env) error {
				return serve(ctx, args, e.getenv, e.stderr, e.misspellings())
			}},
		{"migrate", "show or apply database migrations", []action{{"status", "", "applied and pending migrations"}, {"up", "", "apply pending migrations"}},
			func(ctx context.Context, args []string, e env) error {
				return migrate(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"sessions", "conversations", []action{{"ls", "", "list conversations, newest first"},
			{"show", "ID", "the conversation as a transcript: roles, reasoning folded, tool calls and results"},
			{"rm", "ID", "delete a conversation and its calls"}},
			func(ctx context.Context, args []string, e env) error { return sessionsCmd(ctx, args, e) }},
		{"requests", "recorded calls", []action{{"ls", "", "list calls, newest first"}, {"show", "ID", "one call, with bodies (JSON)"}},
			func(ctx context.Context, args []string, e env) error {
				return requestsCmd(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"stats", "counts, errors, tokens, latency percentiles", nil,
			func(ctx context.Context, args []string, e env) error {
				return statsCmd(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"export", "write calls as JSONL or CSV", nil,
			func(ctx context.Context, args []string, e env) error {
				return exportCmd(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"prune", "delete calls recorded before a time (asks before deleting everything)", nil,
			func(ctx context.Context, args []string, e env) error { return pruneCmd(ctx, args, e) }},
		{"history", "the recorded history as a whole", []action{{"redact", "", "mask every configured account's secrets, and the values given on " +
			"standard input (one a line), in every recorded body, first message and conversation item; resumable"}},
			func(ctx context.Context, args []string, e env) error { return historyCmd(ctx, args, e) }},
		{"credentials", "Qwen credentials kept in the database (never printed)", []action{{"status", "", "stored or not, and when the token expires"},
			{"set", "", "read a logged-in browser's Cookie header from standard input (or two lines: the bx-umidtoken, then the Cookie header)"}, {"clear", "", "forget them"}},
			func(ctx context.Context, args []string, e env) error {
				return credentialsCmd(ctx, args, e.getenv, e.stdin, e.stdout, e.stderr)
			}},
		{"accounts", "Qwen accounts the proxy signs in itself (passwords and tokens never printed)", []action{
			{"ls", "", "state, cooldown end, token expiry, calls and failures by class"},
			{"add", "", "store an account (--email; the password from standard input, sealed with QWENPROXY_SECRET_KEY)"},
			{"rm", "EMAIL", "remove a stored account"},
			{"test", "[EMAIL]", "sign in and make the doctor's round trip, per account"},
			{"reset", "EMAIL", "make an account ready again: end its cooldown, rate limit or refused password"},
			{"rekey", "", "re-seal the stored secrets under the first key of QWENPROXY_SECRET_KEY"}},
			func(ctx context.Context, args []string, e env) error {
				return accountsCmd(ctx, args, e.getenv, e.stdin, e.stdout, e.stderr)
			}},
		{"keys", "proxy API keys, stored hashed", []action{{"ls", "", "list keys (never the keys themselves)"},
			{"add", "", "make a key; it is shown once (--max-concurrent N: at most N calls in flight)"},
			{"limit", "ID", "set a key's limit on calls in flight (--max-concurrent N; 0: none)"}, {"rm", "ID", "delete a key"}},
			func(ctx context.Context, args []string, e env) error {
				return keysCmd(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"copy", "copy a whole history between databases, resumable", nil,
			func(ctx context.Context, args []string, e env) error {
				return copyCmd(ctx, args, e.getenv, e.stdout, e.stderr)
			}},
		{"doctor", "check the Qwen credentials with the smallest real round trip (model list, new chat, a one-word " +
			"completion: one call of the account's quota); the exit status names the diagnosis", nil,
			func(ctx context.Context, args []string, e env) error {
				if code := doctorCmd(ctx, args, e.getenv, e.stdout, e.stderr); code != 0 {
					return exitStatus(code)
				}
				return nil
			}},
	}
}

const usageTail = `  version     the build: module version, VCS revision and time, Go version (also --version)
  help        this text, with every environment variable and its default

A command's flags follow its name, before, after or among its other arguments; "--" ends the flags.
Exit status: 0 done, 1 the command failed, 2 a usage error (unknown command, action or flag, a
missing or surplus argument), 141 the reader of its output left (a broken pipe); doctor's own
statuses name its diagnosis.

Every command takes --help (or: qwenproxy help COMMAND). Every history command takes
--database-path (default DATABASE_PATH), --database-url (default DATABASE_URL: a postgres:// URL
selects PostgreSQL) and --json.
Times (--start, --end, --before) are ` + timeHelp + `.
`

func usage() string {
	var b strings.Builder
	b.WriteString("usage: qwenproxy <command> [action] [flags]\n\ncommands:\n")
	for _, c := range commands() {
		names := ""
		if len(c.actions) > 0 {
			var as []string
			for _, a := range c.actions {
				as = append(as, a.name)
			}
			names = " [" + strings.Join(as, "|") + "]"
		}
		fmt.Fprintf(&b, "  %-12s%s%s\n", c.name, c.summary, names)
	}
	b.WriteString(usageTail)
	return b.String()
}

func main() {
	// SIGHUP too (the terminal or SSH session the server runs in closed):
	// by default it killed the process at once, losing every answered call
	// whose record was still queued.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A reader of standard output or error that leaves (export | head, a
	// log pipe whose reader died) made the first write after it kill the
	// process: a read command left its snapshot of an older file behind,
	// and serve lost its queued records. Ignored, the write fails with
	// EPIPE instead, which a command ends on quietly (exitReaderLeft).
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(runEnv(ctx, os.Args[1:], env{getenv: os.Getenv, environ: os.Environ, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stdin)}))
}

// run executes one command without standard input and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWithInput(ctx, args, getenv, strings.NewReader(""), stdout, stderr)
}

// runWithInput executes one command and returns the process exit code.
func runWithInput(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

func runEnv(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage())
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		return help(ctx, args[1:], e)
	case "version", "--version", "-version":
		if wantsHelp(args[1:]) {
			fmt.Fprintln(e.stdout, "usage: qwenproxy version [--json] (or --version): the module version, VCS revision and time, and Go version of this binary")
			return 0
		}
		// A switch given again says the same thing, as every command's
		// flags take it (config.RepeatedFlag).
		for _, a := range args[1:] {
			if a != "--json" && a != "-json" {
				fmt.Fprintf(e.stderr, "qwenproxy version: unexpected argument %q (it takes only --json)\n", a)
				return 2
			}
		}
		asJSON := len(args) > 1
		if err := printVersion(e.stdout, asJSON); err != nil {
			fmt.Fprintf(e.stderr, "qwenproxy version: %v\n", err)
			return 1
		}
		return 0
	}
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(e.stderr, "qwenproxy: %s\n\n%s", unknownCommand(args), usage())
		return 2
	}
	cmd := commands()[i]
	if wantsHelp(args[1:]) {
		commandHelp(ctx, cmd, e)
		return 0
	}
	if err := checkAction(cmd, args[1:]); err != nil {
		fmt.Fprintf(e.stderr, "qwenproxy %s: %v\n", args[0], err)
		return 2
	}
	if cmd.name != "serve" { // serve logs them, in its log's format
		for _, m := range e.misspellings() {
			fmt.Fprintf(e.stderr, "qwenproxy %s: warning: %s\n", cmd.name, m)
		}
	}
	if err := cmd.run(ctx, args[1:], e); err != nil {
		// Whatever an error echoes — a database's location as given, a
		// driver's words — goes out with any URL's password masked.
		err = maskedError{err}
		var status exitStatus
		var usage usageError
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &status):
			return int(status)
		case errors.As(err, &usage):
			if !usage.said {
				fmt.Fprintf(e.stderr, "qwenproxy %s: %v (qwenproxy %s --help shows the usage)\n", args[0], err, args[0])
			}
			return 2
		case errors.Is(err, syscall.EPIPE):
			return exitReaderLeft // nothing to tell: no one reads
		case sqlite.Damaged(err):
			err = fmt.Errorf("%w\n%s", err, damagedAdvice)
		}
		fmt.Fprintf(e.stderr, "qwenproxy %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// maskedError is an error whose message has every URL password in it
// masked (redact.URLPasswordsText); errors.Is and As see the error within.
type maskedError struct{ err error }

func (m maskedError) Error() string { return redact.URLPasswordsText(m.err.Error()) }
func (m maskedError) Unwrap() error { return m.err }

// damagedAdvice follows SQLite's words for a file that is not a database or
// is damaged, which say neither what became of it nor what to do.
const damagedAdvice = `The SQLite file is not a database or is damaged; it was left as it is (neither replaced nor repaired).
Restore it from a backup (see the README: Operating it, Backups), or recover what it still holds into a new file
(sqlite3 DAMAGED.db .recover | sqlite3 RECOVERED.db), or move it away and start anew.`

// exitReaderLeft is the status of a command whose output's reader left
// (a broken pipe): 128 + SIGPIPE, as a shell reports a process that
// signal ended, so that a pipeline reads it as it always has.
const exitReaderLeft = 128 + int(syscall.SIGPIPE)

// checkAction refuses an action word the command does not have, before the
// command opens anything.
func checkAction(cmd command, args []string) error {
	if len(cmd.actions) == 0 || len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil
	}
	var names []string
	for _, a := range cmd.actions {
		if a.name == args[0] {
			return nil
		}
		names = append(names, a.name)
	}
	return fmt.Errorf("unknown action %q (want %s)", args[0], strings.Join(names, ", "))
}

// help prints the general help, or with a command's name (`qwenproxy help
// serve`, as `go help build` and `git help log`) that command's: the name
// was ignored, so the general help came instead of what was asked for. A
// name that is no command, or a second one, is refused as a usage error.
func help(ctx context.Context, args []string, e env) int {
	switch {
	case len(args) == 0 || args[0] == "help" || wantsHelp(args[:1]):
		printHelp(e.stdout)
		return 0
	case len(args) > 1:
		fmt.Fprintf(e.stderr, "qwenproxy help: unexpected argument %q (it takes one command's name)\n", args[1])
		return 2
	}
	return runEnv(ctx, []string{args[0], "--help"}, e)
}

// wantsHelp reports whether a command's arguments ask for its help: -h,
// --help, or the action word help.
func wantsHelp(args []string) bool {
	if len(args) > 0 && args[0] == "help" {
		return true
	}
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// commandHelp prints a command's actions and, for each, its flags: the
// flags come from the command itself, run with -h (every command parses its
// flags before it touches anything).
func commandHelp(ctx context.Context, cmd command, e env) {
	w := e.stdout
	fmt.Fprintf(w, "qwenproxy %s: %s\n", cmd.name, cmd.summary)
	quiet := env{getenv: e.getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: w}
	// A command makes its flags once it has read the environment: with a
	// bad value there (PORT=abc) it made none, and the help listed no flag,
	// saying nothing. It lists them with the built-in defaults, and says
	// why on stderr.
	builtIn := false
	flags := func(args ...string) {
		err := cmd.run(ctx, args, quiet)
		if err == nil || errors.Is(err, flag.ErrHelp) || builtIn {
			return
		}
		fmt.Fprintf(e.stderr, "qwenproxy %s: warning: the flags below show their built-in defaults, as the environment holds a value the command cannot take: %v\n",
			cmd.name, maskedError{err})
		builtIn = true
		quiet.getenv = func(string) string { return "" }
		_ = cmd.run(ctx, args, quiet)
	}
	if len(cmd.actions) == 0 {
		fmt.Fprintf(w, "\nusage: qwenproxy %s [flags]\n", cmd.name)
		flags("-h")
		return
	}
	fmt.Fprintf(w, "\nactions (default %s):\n", cmd.actions[0].name)
	for _, a := range cmd.actions {
		fmt.Fprintf(w, "  %-8s %-4s %s\n", a.name, a.args, a.summary)
	}
	for _, a := range cmd.actions {
		fmt.Fprintf(w, "\n%s\n", strings.Join(strings.Fields("qwenproxy "+cmd.name+" "+a.name+" "+a.args+" [flags]"), " "))
		flags(a.name, "-h")
	}
}
