package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"qwenproxy/internal/accounts"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/translate"
)

// accountsTest makes one round trip (sign-in, a new chat, a one-line
// completion) on account id, or on every account, and says how each went.
func accountsTest(ctx context.Context, c *cli, id string) error {
	pool := accounts.New(accounts.Config{Store: c.store, Credentials: c.store, Sealer: c.cfg.SecretKey, Logins: c.cfg.QwenAccounts,
		Cookie: qwen.Credentials{Token: c.cfg.QwenToken, Cookies: c.cfg.QwenCookies},
		SignIn: (&accounts.Signer{BaseURL: c.cfg.QwenBaseURL, UserAgent: c.cfg.UserAgent}).SignIn, RateLimitCooldown: c.cfg.RateLimitCooldown})
	loop, stop := context.WithCancel(ctx)
	defer func() { stop(); pool.Wait() }()
	pool.Start(loop)
	client := qwen.New(qwen.Config{BaseURL: c.cfg.QwenBaseURL, UserAgent: c.cfg.UserAgent, Credentials: pool, Timeout: c.cfg.QwenTimeout})
	var ids []string
	for _, st := range pool.Snapshot() {
		if id == "" || st.ID == id {
			ids = append(ids, st.ID)
		}
	}
	if len(ids) == 0 {
		if id != "" {
			return fmt.Errorf("no account %s", id)
		}
		return errors.New("no Qwen account is configured")
	}
	failed := 0
	for _, acct := range ids {
		start := time.Now()
		err := roundTrip(accounts.With(ctx, acct), client, c.cfg.DefaultModel)
		pool.Report(acct, err)
		if err != nil {
			failed++
			fmt.Fprintf(c.stdout, "%s\tFAILED\t%v\n", acct, err)
			continue
		}
		fmt.Fprintf(c.stdout, "%s\tok\t%s\n", acct, time.Since(start).Round(time.Millisecond))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d accounts failed", failed, len(ids))
	}
	return nil
}

// roundTrip opens a chat and reads a one-line answer to its end, as a
// conversation's first turn would.
func roundTrip(ctx context.Context, client *qwen.Client, model string) error {
	chatID, _, err := client.NewChat(ctx, model)
	if err != nil {
		return err
	}
	stream, _, _, err := client.Complete(ctx, qwen.NewCompletionRequest(chatID, "", model, time.Now(),
		qwen.MessageSpec{Role: "user", Content: "Reply with the single word OK."}))
	if err != nil {
		return err
	}
	defer stream.Close()
	ans := &translate.Answer{}
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			return errors.New("Qwen closed the stream before the answer finished")
		}
		if err != nil {
			return err
		}
		ans.Add(ev)
	}
	return nil
}
