package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/config"
)

// keysCmd manages the proxy API keys stored in the database.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("keys", "ls", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	c.readOnly = action == "ls"
	switch action {
	case "add":
		name := c.fs.String("name", "", "a label for the key")
		admin := c.fs.Bool("admin", false, "may use the history routes and deletes")
		limit := config.DecimalIntFlag(c.fs, "max-concurrent", 0, "the key's calls in flight at once, a decimal `number`; 0: no limit")
		if err := c.parse(args); err != nil {
			return err
		}
		if err := checkLimit(*limit); err != nil {
			return err
		}
		if err := c.connect(ctx); err != nil {
			return err
		}
		key, stored := auth.NewKey(*name, *admin, time.Now())
		stored.MaxConcurrent = *limit
		if err := c.store.AddAPIKey(ctx, stored); err != nil {
			return err
		}
		if *c.asJSON {
			return c.printJSON(map[string]any{"id": stored.ID, "key": key, "admin": stored.Admin, "max_concurrent": stored.MaxConcurrent})
		}
		// The key alone is the output, so that KEY=$(qwenproxy keys add)
		// holds it; what a person needs beside it is a diagnostic.
		if _, err := fmt.Fprintln(c.stdout, key); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "qwenproxy keys: key %s made; it is shown only now (on standard output); the database keeps its hash\n", stored.ID)
		return nil
	case "limit":
		limit := config.DecimalIntFlag(c.fs, "max-concurrent", 0, "the key's calls in flight at once, a decimal `number`; 0: no limit")
		c.maxArgs = 1
		if err := c.parse(args); err != nil {
			return err
		}
		if len(c.args) == 0 {
			return usagef("usage: qwenproxy keys limit ID --max-concurrent N")
		}
		if !config.FlagGiven(c.fs, "max-concurrent") {
			return usagef("keys limit needs --max-concurrent N (0: no limit)")
		}
		if err := checkLimit(*limit); err != nil {
			return err
		}
		if err := c.openParsed(ctx); err != nil {
			return err
		}
		id := c.args[0]
		if err := c.store.SetAPIKeyLimit(ctx, id, *limit); err != nil {
			return err
		}
		if *limit == 0 {
			return c.report(map[string]any{"id": id, "max_concurrent": 0}, "key %s: no limit on its calls in flight (servers apply it within a second)", cell(id))
		}
		return c.report(map[string]any{"id": id, "max_concurrent": *limit},
			"key %s: at most %d calls in flight at once (servers apply it within a second)", cell(id), *limit)
	case "ls":
		if err := c.open(ctx, args); err != nil {
			return err
		}
		keys, err := c.store.APIKeys(ctx)
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := []map[string]any{}
			for _, k := range keys {
				out = append(out, map[string]any{"id": k.ID, "name": k.Name, "admin": k.Admin, "created_at": k.CreatedAt.UTC().Format(time.RFC3339Nano), // as credentials --json's and accounts ls --json's times
					"max_concurrent": k.MaxConcurrent})
			}
			return c.printJSON(out)
		}
		return c.table("ID\tNAME\tADMIN\tMAX CONCURRENT\tCREATED", func(w io.Writer) {
			for _, k := range keys {
				limit := "none"
				if k.MaxConcurrent > 0 {
					limit = strconv.Itoa(k.MaxConcurrent)
				}
				// An unnamed key's "-", as a call's without a key: a blank
				// cell shifts the row for whoever splits it on blanks.
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\t%s\n", cell(k.ID), cell(cmp.Or(k.Name, "-")), k.Admin, limit, ms(k.CreatedAt))
			}
		})
	case "rm":
		id, err := c.openWithID(ctx, args, "qwenproxy keys rm ID")
		if err != nil {
			return err
		}
		if _, err := warnNotErased(c, "keys rm", c.store.DeleteAPIKey(ctx, id)); err != nil {
			return err
		}
		return c.report(map[string]any{"removed": true, "id": id}, "removed key %s", cell(id))
	}
	return usagef("unknown action %q (want add, ls, limit or rm)", action)
}

// checkLimit refuses a --max-concurrent out of range — negative, or more
// than the database's column holds (PostgreSQL's driver refused it with
// its own words, SQLite stored it, and copy to PostgreSQL then failed at
// the key) — before the database is opened: a value the command cannot
// take (exit 1), as --limit 0 is.
func checkLimit(n int) error {
	if !qp.KeyConcurrentInRange(n) {
		return fmt.Errorf("--max-concurrent must be between 0 (no limit) and %d, not %d", qp.MaxKeyConcurrent, n)
	}
	return nil
}
