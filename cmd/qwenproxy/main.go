// Command qwenproxy is an OpenAI-compatible gateway to Qwen Chat that records
// every conversation, request and response.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: qwenproxy <command> [flags]

commands:
  serve     run the proxy (flags: --host --port --database-path --database-url --qwen-base-url --log-level --mock-upstream)
  migrate   [status|up] show or apply database migrations
  sessions  [ls|show ID|rm ID] list, show or delete conversations (--limit --search --model)
  requests  [ls|show ID] list or show recorded calls (--limit --session --model --status --start --end)
  stats     counts, errors, tokens, latency percentiles (--session --model --bucket hour|day --start --end)
  export    write calls as JSONL or CSV (--format --output --no-bodies and the requests filters)
  prune     delete calls older than an age (--older-than 30d)
  credentials [status|set|clear] Qwen credentials kept in the database (set reads a logged-in
            browser's Cookie header from standard input, or a bx-umidtoken line and then the Cookie
            header; never printed)
  doctor    check the Qwen credentials with the smallest real round trip (model list, new chat, a
            one-word completion: one call of the account's quota); the exit status names the
            diagnosis (--json --model --mock-upstream)
  accounts  [ls|add --email E|rm E|test [E]|rekey] Qwen accounts the proxy signs in itself (add reads
            the password from standard input and needs QWENPROXY_SECRET_KEY; never printed)
  keys      [ls|add|rm ID] proxy API keys stored hashed (add: --name --admin; the key is shown once)
  copy      copy a whole history between databases, resumable (--from sqlite:PATH --to postgres://…)
  help      this text, with every environment variable and its default

Every history command takes --database-path (default DATABASE_PATH), --database-url
(default DATABASE_URL: a postgres:// URL selects PostgreSQL) and --json.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runWithInput(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command without standard input and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWithInput(ctx, args, getenv, strings.NewReader(""), stdout, stderr)
}

// runWithInput executes one command and returns the process exit code.
func runWithInput(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], getenv, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], getenv, stdout, stderr)
	case "sessions":
		err = sessionsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "requests":
		err = requestsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "stats":
		err = statsCmd(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		err = exportCmd(ctx, args[1:], getenv, stdout, stderr)
	case "prune":
		err = pruneCmd(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		err = keysCmd(ctx, args[1:], getenv, stdout, stderr)
	case "credentials":
		err = credentialsCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "accounts":
		err = accountsCmd(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "copy":
		err = copyCmd(ctx, args[1:], getenv, stdout, stderr)
	case "doctor":
		return doctorCmd(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		printHelp(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "qwenproxy: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "qwenproxy %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
