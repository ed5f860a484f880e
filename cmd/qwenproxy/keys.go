package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"qwenproxy/internal/auth"
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
		if err := c.openOrCreate(ctx, args); err != nil {
			return err
		}
		key, stored := auth.NewKey(*name, *admin, time.Now())
		if err := c.store.AddAPIKey(ctx, stored); err != nil {
			return err
		}
		if *c.asJSON {
			return c.printJSON(map[string]any{"id": stored.ID, "key": key, "admin": stored.Admin})
		}
		fmt.Fprintf(c.stdout, "%s\n\nid %s. The key is shown only now; the database keeps its hash.\n", key, stored.ID)
		return nil
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
				out = append(out, map[string]any{"id": k.ID, "name": k.Name, "admin": k.Admin, "created_at": k.CreatedAt.UnixMilli()})
			}
			return c.printJSON(out)
		}
		return c.table("ID\tNAME\tADMIN\tCREATED", func(w io.Writer) {
			for _, k := range keys {
				fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", cell(k.ID), cell(k.Name), k.Admin, ms(k.CreatedAt))
			}
		})
	case "rm":
		id, err := c.openWithID(ctx, args, "qwenproxy keys rm ID")
		if err != nil {
			return err
		}
		if err := c.store.DeleteAPIKey(ctx, id); err != nil {
			return err
		}
		return c.report(map[string]any{"removed": true, "id": id}, "removed key %s", cell(id))
	}
	return usagef("unknown action %q (want add, ls or rm)", action)
}
