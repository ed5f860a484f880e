package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"qwenproxy/internal/config"
	"qwenproxy/internal/store/sqlite"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	action := "status"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		action, args = args[0], args[1:]
	}
	cfg, err := config.Load(nil, getenv, stderr)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("database-path", cfg.DatabasePath, "SQLite database file (DATABASE_PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, *path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	switch action {
	case "up":
		n, err := st.Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s) to %s\n", n, *path)
		return nil
	case "status":
		status, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
		for _, m := range status {
			applied := "pending"
			if !m.AppliedAt.IsZero() {
				applied = m.AppliedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, applied)
		}
		return tw.Flush()
	default:
		return fmt.Errorf("unknown action %q (want status or up)", action)
	}
}
