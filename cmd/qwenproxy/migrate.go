package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"qwenproxy/internal/store"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("migrate", "status", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	if err := c.parse(args); err != nil {
		return err
	}
	st, err := store.Open(ctx, c.cfg.Database(), store.Options{})
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
		fmt.Fprintf(stdout, "applied %s to %s\n", plural(n, "migration"), st)
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
				applied = ms(m.AppliedAt)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, applied)
		}
		return tw.Flush()
	default:
		return usagef("unknown action %q (want status or up)", action)
	}
}
