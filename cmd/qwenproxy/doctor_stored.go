package main

import (
	"context"
	"fmt"
	"sort"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/app"
	"qwenproxy/internal/qwen"
)

// storedAccountCredentials signs in the account doctor checks when neither a
// pasted cookie nor QWEN_ACCOUNTS is given but accounts are stored (`accounts
// add`): the first usable one by address, else the first (whose state, locked
// or refused, the check then reports), as `accounts test` signs it in. id is
// "" when the database holds no stored account.
func storedAccountCredentials(ctx context.Context, c *cli) (id string, creds qwen.Credentials, err error) {
	cfg := c.cfg
	pool := accounts.New(app.PoolConfig(cfg, c.store))
	if err := pool.Sync(ctx); err != nil {
		return "", qwen.Credentials{}, fmt.Errorf("read the stored accounts: %w", err)
	}
	var stored []accounts.Status
	for _, st := range pool.Snapshot() {
		if st.Source == qp.AccountStored {
			stored = append(stored, st)
		}
	}
	if len(stored) == 0 {
		return "", qwen.Credentials{}, nil
	}
	sort.Slice(stored, func(i, j int) bool {
		if stored[i].Usable != stored[j].Usable {
			return stored[i].Usable
		}
		return stored[i].ID < stored[j].ID
	})
	id = stored[0].ID
	creds, err = pool.SignInAgain(accounts.With(ctx, id), id) // with the password, as accounts test does
	return id, creds, err
}
