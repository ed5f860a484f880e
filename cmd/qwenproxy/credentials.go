package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/qwen"
)

// credentialsCmd stores, clears or describes the Qwen credentials kept in
// the database. Values are read from standard input and never printed.
func credentialsCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, action, args, err := newActionCLI("credentials", "status", args, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.openOrCreate(ctx, args); err != nil {
		return err
	}
	switch action {
	case "set":
		token, cookies, err := readCredentials(stdin, stderr)
		if err != nil {
			return err
		}
		if err := c.store.SetQwenCredentials(ctx, qp.QwenCredentials{Token: token, Cookies: cookies, UpdatedAt: time.Now()}); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "credentials stored; a running server uses them within seconds")
		return credentialStatus(ctx, c)
	case "clear":
		if err := c.store.ClearQwenCredentials(ctx); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "stored credentials cleared")
		return nil
	case "status":
		return credentialStatus(ctx, c)
	}
	return fmt.Errorf("unknown action %q (want set, clear or status)", action)
}

// readCredentials reads the bx-umidtoken value, then the Cookie header, one
// line each. On a terminal it asks for them with echo off.
func readCredentials(stdin io.Reader, stderr io.Writer) (string, string, error) {
	f, isFile := stdin.(*os.File)
	terminal := false
	if isFile {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			terminal = true
			stty := exec.Command("stty", "-echo")
			stty.Stdin = f
			if stty.Run() == nil {
				defer func() {
					restore := exec.Command("stty", "echo")
					restore.Stdin = f
					restore.Run()
					fmt.Fprintln(stderr)
				}()
			}
		}
	}
	lines := bufio.NewReader(stdin)
	read := func(prompt string) (string, error) {
		if terminal {
			fmt.Fprint(stderr, prompt)
		}
		line, err := lines.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read %s from standard input: %w", strings.TrimSuffix(prompt, ": "), err)
		}
		return strings.TrimSpace(line), nil
	}
	token, err := read("bx-umidtoken: ")
	if err != nil {
		return "", "", err
	}
	if terminal {
		fmt.Fprintln(stderr)
	}
	cookies, err := read("Cookie header: ")
	if err != nil {
		return "", "", err
	}
	if token == "" || cookies == "" {
		return "", "", errors.New("both the bx-umidtoken value and the Cookie header are needed, one per line")
	}
	return token, cookies, nil
}

// credentialStatus says whether credentials are stored and when the token
// cookie expires — never the values.
func credentialStatus(ctx context.Context, c *cli) error {
	stored, err := c.store.QwenCredentials(ctx)
	if errors.Is(err, qp.ErrNotFound) {
		if *c.asJSON {
			return c.printJSON(map[string]any{"stored": false})
		}
		fmt.Fprintln(c.stdout, "no stored credentials (the server falls back to QWEN_TOKEN and QWEN_COOKIES)")
		return nil
	}
	if err != nil {
		return err
	}
	out := map[string]any{"stored": true, "updated_at": stored.UpdatedAt.UnixMilli()}
	line := "stored credentials, set " + ms(stored.UpdatedAt)
	if exp, ok := qwen.TokenExpiry(stored.Cookies); ok {
		out["token_expires_at"] = exp.UTC().Format(time.RFC3339)
		line += "; the token cookie expires " + ms(exp)
	}
	if *c.asJSON {
		return c.printJSON(out)
	}
	fmt.Fprintln(c.stdout, line)
	return nil
}
