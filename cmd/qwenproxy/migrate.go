package main

import (
	"context"
	"fmt"
	"io"

	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
)

// migrationJSON is one migration in migrate status --json: applied_at (Unix
// ms, as every time in the CLI's JSON) only once it is applied.
type migrationJSON struct {
	Version   int    `json:"version"`
	Name      string `json:"name"`
	Applied   bool   `json:"applied"`
	AppliedAt *int64 `json:"applied_at,omitempty"`
	Unknown   bool   `json:"unknown,omitempty"`    // applied by a newer version: this one refuses the database
	AppliedAs string `json:"applied_as,omitempty"` // the name another build applied this version under: this one refuses the database
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("migrate", "status", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	if err := c.parse(args); err != nil {
		return err
	}
	// status only reads: a mistyped --database-path is refused, as the
	// other commands that read refuse it, rather than made a database.
	if action == "status" && c.cfg.DatabaseURL == "" {
		if err := existingDatabase(c.cfg.DatabasePath); err != nil {
			return fmt.Errorf("no database at %s (`qwenproxy migrate up`, or serve, makes one): %w", c.cfg.DatabasePath, err)
		}
	}
	st, err := store.Open(ctx, c.cfg.Database(), store.Options{SQLite: sqlite.Options{Restored: sayRestored(stderr, "migrate")}})
	if err != nil {
		return err
	}
	closeIt := st.Close
	defer func() { sayWALKept(stderr, "migrate", closeIt()) }()
	switch action {
	case "up":
		n, err := st.Migrate(ctx)
		if err != nil {
			closeIt = st.Discard // a file this open made goes with it
			return err
		}
		if *c.asJSON {
			status, err := st.MigrationStatus(ctx)
			if err != nil {
				return err
			}
			return c.printJSON(map[string]any{"applied": n, "version": schemaVersion(status)})
		}
		fmt.Fprintf(stdout, "applied %s to %s\n", plural(n, "migration"), st)
		return nil
	case "status":
		status, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		if *c.asJSON {
			out := make([]migrationJSON, 0, len(status))
			for _, m := range status {
				j := migrationJSON{Version: m.Version, Name: m.Name, Applied: !m.AppliedAt.IsZero(), Unknown: m.Unknown, AppliedAs: m.AppliedAs}
				if j.Applied {
					at := m.AppliedAt.UnixMilli()
					j.AppliedAt = &at
				}
				out = append(out, j)
			}
			return c.printJSON(out)
		}
		return c.table("VERSION\tNAME\tAPPLIED", func(w io.Writer) {
			for _, m := range status {
				applied := "pending"
				if !m.AppliedAt.IsZero() {
					applied = ms(m.AppliedAt)
				}
				switch {
				case m.Unknown:
					applied += " (by a newer qwenproxy: this one refuses the database)"
				case m.AppliedAs != "":
					applied += " as " + m.AppliedAs + " (by another build: this one refuses the database)"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\n", m.Version, m.Name, applied)
			}
		})
	default:
		return usagef("unknown action %q (want status or up)", action)
	}
}

// schemaVersion is the highest applied migration's version (0: none).
func schemaVersion(status []sqlstore.MigrationStatus) int {
	v := 0
	for _, m := range status {
		if !m.AppliedAt.IsZero() && m.Version > v {
			v = m.Version
		}
	}
	return v
}
