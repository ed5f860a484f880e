package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Ctrl-C at `accounts add`'s password prompt (or `credentials set`'s)
// did nothing: main catches the signal to end commands cleanly, and the
// read went on waiting, echo off, until Enter. The interrupt now ends the
// read; nothing is stored, and no database is made.
func TestAnInterruptAtASecretPromptEndsTheCommand(t *testing.T) {
	for _, args := range [][]string{{"accounts", "add", "--email", "ada@example.com"}, {"credentials", "set"}} {
		t.Run(args[0], func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "a.db")
			vars := map[string]string{"DATABASE_PATH": db, "QWENPROXY_SECRET_KEY": key1}
			stdin, typing := io.Pipe() // a person who has typed nothing yet
			defer typing.Close()
			ctx, interrupt := context.WithCancel(context.Background())
			var out, errOut bytes.Buffer
			done := make(chan int, 1)
			go func() {
				done <- runWithInput(ctx, args, func(k string) string { return vars[k] }, stdin, &out, &errOut)
			}()
			interrupt()
			select {
			case code := <-done:
				if code != 1 || !strings.Contains(errOut.String(), "interrupted") {
					t.Errorf("exit %d, want 1 saying it was interrupted: %s%s", code, out.String(), errOut.String())
				}
			case <-time.After(30 * time.Second): // a bound on a hang, not a wait for something to happen
				t.Fatal("still reading the secret 30 s after the interrupt")
			}
			if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("an interrupted %s left a database (%v)", strings.Join(args, " "), err)
			}
		})
	}
}
