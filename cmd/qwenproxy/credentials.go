package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
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
	if err := c.parse(args); err != nil {
		return err
	}
	var token, cookies string
	if action == "set" { // read, and refused if unusable, before a database is made
		if token, cookies, err = readCredentials(ctx, stdin, stderr); err != nil {
			return err
		}
	}
	// status only reads: it makes a database as set does, but never
	// migrates an older one.
	c.readOnly, c.createNew = action == "status", action == "status"
	if err := c.connect(ctx); err != nil {
		return err
	}
	switch action {
	case "set":
		store := accounts.SealedCredentials{Store: c.store, Sealer: c.cfg.SecretKey}
		err := store.SetQwenCredentials(ctx, qp.QwenCredentials{Token: token, Cookies: cookies, UpdatedAt: time.Now()})
		if _, err := warnNotErased(c, "credentials set", err); err != nil {
			return err
		}
		how := "sealed under QWENPROXY_SECRET_KEY"
		if c.cfg.SecretKey == nil {
			fmt.Fprintln(stderr, "qwenproxy credentials: "+unsealedWarning(qwen.Credentials{Token: token, Cookies: cookies}))
			how = "unencrypted"
		}
		if !*c.asJSON { // with --json, the status below says it all
			fmt.Fprintf(c.stdout, "credentials stored (%s); a running server uses them within seconds\n", how)
		}
		return credentialStatus(ctx, c)
	case "clear":
		_, err := c.store.QwenCredentials(ctx)
		stored := err == nil
		if err != nil && !errors.Is(err, qp.ErrNotFound) {
			return err
		}
		// With none stored too: what an earlier clear could not erase
		// (a server held the WAL) is erased now.
		erased, err := warnNotErased(c, "credentials clear", c.store.ClearQwenCredentials(ctx),
			", or run `qwenproxy credentials clear` again once they are idle")
		if err != nil {
			return err
		}
		if !stored {
			return c.report(map[string]any{"cleared": false, "erased": erased}, "no stored credentials: nothing cleared")
		}
		return c.report(map[string]any{"cleared": true, "erased": erased}, "stored credentials cleared")
	case "status":
		return credentialStatus(ctx, c)
	}
	return usagef("unknown action %q (want set, clear or status)", action)
}

// unsealedWarning is printed when credentials are stored without a key. It
// names what was stored in clear: a guest's cookie holds no login token, and
// its bx-umidtoken went in clear too (the warning said "the cookie (which
// holds the login token)" whatever was given).
func unsealedWarning(creds qwen.Credentials) string {
	var what string
	switch {
	case creds.LoginToken() != "" && creds.UmidToken() != "":
		what = "the cookie (which holds the login token) and the bx-umidtoken are"
	case creds.LoginToken() != "":
		what = "the cookie (which holds the login token) is"
	default:
		what = "the cookie and the bx-umidtoken (guest credentials) are"
	}
	return "warning: QWENPROXY_SECRET_KEY is not set, so " + what + " stored unencrypted in the database; " +
		"to seal them, set QWENPROXY_SECRET_KEY to 32 random bytes (e.g. `export QWENPROXY_SECRET_KEY=$(openssl rand -hex 32)`, the same for the server) and run `qwenproxy credentials set` again"
}

// readCredentials reads the credentials from standard input: either one
// line, the Cookie header of a logged-in browser (its token=… is enough), or
// two lines, the bx-umidtoken value (may be empty) and then the Cookie
// header. On a terminal it asks for both with echo off.
func readCredentials(ctx context.Context, stdin io.Reader, stderr io.Writer) (string, string, error) {
	in := openSecretInput(ctx, stdin, stderr)
	defer in.close()
	first, _, err := in.line("bx-umidtoken (optional, Enter to skip): ")
	if err != nil {
		return "", "", err
	}
	second, ok, err := in.line("Cookie header: ")
	if err != nil {
		return "", "", err
	}
	if !in.terminal && ok {
		// A third line with something on it: not what was asked for (a
		// bx-umidtoken, then the Cookie header), and taking the first two
		// stored what the user did not mean (a cookie split over lines).
		if more, err := in.moreLines(); err != nil {
			return "", "", err
		} else if more {
			return "", "", errors.New("more than two lines: give the Cookie header alone on one line, or the bx-umidtoken, then the Cookie header; nothing was stored")
		}
	}
	token, cookies := strings.TrimSpace(first), strings.TrimSpace(second)
	if !ok && !in.terminal {
		token, cookies = "", token // one line: the Cookie header alone
	} else if !in.terminal && qwen.LooksLikeCookies(token) {
		// A Cookie header piped over two lines: its first was read as
		// the bx-umidtoken, and the rest stored as the cookie. (On a
		// terminal the prompts ask for each by name.)
		return "", "", fmt.Errorf("the Cookie header holds a line break after character %d (its first line was read as the bx-umidtoken): "+
			"the Cookie header must be one line, as a browser sends it (copy it again, or join its lines); nothing was stored", utf8.RuneCountInString(first))
	}
	cookies = qwen.CookieHeaderValue(cookies)
	if why := qwen.CookieControl(cookies); why != "" {
		return "", "", errors.New(why + "; nothing was stored")
	}
	creds := qwen.Credentials{Token: token, Cookies: cookies}
	if !creds.Configured() {
		return "", "", errors.New("need a logged-in browser's Cookie header for chat.qwen.ai (with token=…), or a bx-umidtoken line followed by the Cookie header")
	}
	if exp, ok := creds.Expiry(); ok && !time.Now().Before(exp) {
		return "", "", fmt.Errorf("not stored: its login token expired %s; sign in to chat.qwen.ai again and copy a fresh Cookie header", ms(exp))
	}
	return token, cookies, nil
}

// credentialStatus says whether credentials are stored, or else what the
// environment gives, in which mode and when the login token expires — never
// the values.
func credentialStatus(ctx context.Context, c *cli) error {
	stored, err := accounts.SealedCredentials{Store: c.store, Sealer: c.cfg.SecretKey}.QwenCredentials(ctx)
	if err != nil && !errors.Is(err, qp.ErrNotFound) {
		return err
	}
	out := map[string]any{"stored": err == nil}
	var creds qwen.Credentials
	var line string
	switch {
	case err == nil:
		creds = qwen.Credentials{Token: stored.Token, Cookies: stored.Cookies}
		out["updated_at"] = stored.UpdatedAt.UTC().Format(time.RFC3339Nano) // as token_expires_at, and accounts ls --json's times
		line = "stored credentials (" + creds.ChatMode() + " mode), set " + ms(stored.UpdatedAt)
	default:
		creds = qwen.Credentials{Token: c.cfg.QwenToken, Cookies: c.cfg.QwenCookies}
		if !creds.Configured() {
			if *c.asJSON {
				return c.printJSON(out)
			}
			fmt.Fprintln(c.stdout, "no stored credentials, and none in the environment (QWEN_COOKIES, QWEN_TOKEN)")
			return nil
		}
		out["environment"] = true
		line = "no stored credentials; the environment's are used (" + creds.ChatMode() + " mode)"
	}
	out["mode"] = creds.ChatMode()
	if exp, ok := creds.Expiry(); ok {
		expired := !time.Now().Before(exp)
		out["token_expires_at"], out["token_expired"] = exp.UTC().Format(time.RFC3339), expired
		if expired {
			line += "; the login token expired " + ms(exp) + ": copy a fresh Cookie header"
		} else {
			line += "; the login token expires " + ms(exp)
		}
	}
	if creds.TokenMisplaced() {
		line += "; note: the bx-umidtoken holds a login token (JWT), used as such"
	}
	if *c.asJSON {
		return c.printJSON(out)
	}
	fmt.Fprintln(c.stdout, line)
	return nil
}
