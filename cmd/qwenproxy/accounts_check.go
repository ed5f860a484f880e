package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/app"
	"qwenproxy/internal/qwen"
)

// accountsTest runs the doctor's round trip (model list, new chat, a
// one-word completion) as account id, or as every account in turn, after
// signing it in; it reports each outcome to the accounts' shared state and
// fails when any account failed. An account it has no password for (another
// server's QWEN_ACCOUNTS) is said not tested, and why, and fails it too: it
// was not checked.
func accountsTest(ctx context.Context, c *cli, id string) error {
	cfg := c.cfg
	pool := c.accountPool()
	// The stored accounts and their state, without the server's background
	// loop: it signed every account in at once, beside this test's own
	// sign-ins, so that a failure could befall the loop's and the test
	// report the retry's success (or, testing one account, sign in the
	// others too).
	if err := pool.Sync(ctx); err != nil {
		return fmt.Errorf("read the stored accounts: %w", err)
	}
	var ids []string
	sources := map[string]string{}
	for _, st := range pool.Snapshot() {
		if id == "" || st.ID == id {
			ids = append(ids, st.ID)
			sources[st.ID] = st.Source
		}
	}
	// Another server's QWEN_ACCOUNTS accounts: listed (`accounts ls`), but
	// their passwords are not here. Each is said not tested, and why.
	recs, err := c.store.Accounts(ctx, cfg.QwenBaseURL)
	if err != nil {
		return fmt.Errorf("read the stored accounts: %w", err)
	}
	untestable := map[string]string{}
	for _, r := range recs {
		if _, ok := sources[r.ID]; ok || r.Source != qp.AccountEnvironment || (id != "" && r.ID != id) {
			continue
		}
		why := "its password is in QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) of a server, not given to this command: " +
			"set QWEN_ACCOUNTS (or QWEN_ACCOUNTS_FILE) to it for `accounts test`"
		if r.Unclaimed(time.Now()) {
			why += ", or store it with `qwenproxy accounts add --email " + r.ID + "` (no server has it since " + ms(r.SeenAt) + ")"
		}
		untestable[r.ID] = why
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		if id != "" {
			return fmt.Errorf("no account %s", id)
		}
		return errors.New("no Qwen account is configured")
	}
	failed, untested := 0, 0
	reports := make([]*doctorReport, 0, len(ids)) // for --json
	for _, acct := range ids {
		if why := untestable[acct]; why != "" {
			untested++
			rep := &doctorReport{BaseURL: cfg.QwenBaseURL, WebVersion: cmp.Or(cfg.QwenWebVersion, qwen.DefaultWebVersion), Credentials: acct,
				Steps: []doctorStep{}, Diagnosis: qwen.Diagnosis{Name: "not_tested", Code: 1, Advice: "cannot test it here: " + why}}
			reports = append(reports, rep)
			if !*c.asJSON {
				fmt.Fprintf(c.stdout, "account %s\n%s\tNOT TESTED\t%s\n", acct, acct, rep.Diagnosis.Advice)
			}
			continue
		}
		rep, err := testAccount(ctx, c, pool, acct, sources[acct])
		reports = append(reports, rep)
		if err != nil {
			failed++
		}
	}
	if *c.asJSON {
		if err := c.printJSON(reports); err != nil {
			return err
		}
	}
	if err := pool.Sync(ctx); err != nil {
		fmt.Fprintf(c.stderr, "the accounts' state could not be saved: %v\n", err)
	}
	switch {
	case failed > 0 && untested > 0:
		return fmt.Errorf("%d of %s failed, and %d could not be tested here (no password for it: see above)", failed, plural(len(ids), "account"), untested)
	case failed > 0:
		return fmt.Errorf("%d of %s failed", failed, plural(len(ids), "account"))
	case untested > 0 && len(ids) == 1:
		return fmt.Errorf("account %s could not be tested here: %s", ids[0], untestable[ids[0]])
	case untested > 0:
		return fmt.Errorf("%d of %s could not be tested here (no password for it: see above)", untested, plural(len(ids), "account"))
	}
	return nil
}

// testAccount signs account acct in and makes the doctor's round trip as it,
// printing each step for people (nothing with --json: the caller prints the
// report). The error is the first failure.
func testAccount(ctx context.Context, c *cli, pool *accounts.Pool, acct, source string) (*doctorReport, error) {
	cfg := c.cfg
	actx := accounts.With(ctx, acct)
	// Resting (or out after a ban's 403s, or locked), it is not signed in
	// (TestSignIn answers with its state), as no call is made on it:
	// nothing to count. One whose password Qwen refused is: whether Qwen
	// takes the password now is what the test is for.
	refused := pool.RefusedOut(acct)
	signsIn := pool.Usable(acct) || refused
	creds, err := pool.TestSignIn(actx, acct) // with the password, not a token another instance stored
	rep := &doctorReport{BaseURL: cfg.QwenBaseURL, WebVersion: cmp.Or(cfg.QwenWebVersion, qwen.DefaultWebVersion), Credentials: acct}
	scrub := secretScrubber(creds)
	out := doctorPrinter{w: c.stdout, quiet: *c.asJSON, scrub: scrub}
	out.printf("account %s\n", acct)
	if err != nil {
		if signsIn {
			// Counted as a call whose sign-in fails is (the sign-in counted
			// its failure and set the state): the test spoke to Qwen.
			pool.Report(acct, err)
		}
		err = rep.signInFailed(&out, err)
	} else {
		client := qwen.New(qwen.Config{BaseURL: cfg.QwenBaseURL, UserAgent: cfg.UserAgent, WebVersion: cfg.QwenWebVersion,
			Credentials: qwen.StaticCredentials(creds), Timeout: cfg.QwenTimeout, IdleTimeout: cfg.QwenIdleTimeout})
		// Only DEFAULT_MODEL, the model it asks, is checked against the
		// list: a MODEL_MAP typo is doctor's to tell, not each account's.
		err = doctor(actx, client, creds, cfg.DefaultModel, configuredModels(nil, cfg.DefaultModel, cfg.DefaultModel), rep, &out)
		if unknown := (*unknownModels)(nil); !errors.As(err, &unknown) { // the configuration's fault, not the account's
			pool.Report(acct, err)
		}
	}
	rep.Diagnosis = accounts.Diagnose(acct, source, err) // a refused password is not fixed with a cookie
	if unknown := (*unknownModels)(nil); errors.As(err, &unknown) {
		rep.Diagnosis = qwen.DiagnosisUnknownModel
	}
	if accounts.ClassOf(err) == accounts.ClassForbidden && outAfter403s(pool, acct) {
		// This 403 was the one that took it out (the run is kept across
		// runs of the command): it no longer "rests and is tried again".
		rep.Diagnosis.Advice = accounts.ForbiddenAdvice(acct, true)
	}
	rep.scrubSteps(scrub)
	if err != nil {
		out.printf("%s\tFAILED\t%s: %s\n", acct, rep.Diagnosis.Name, rep.Diagnosis.Advice)
		return rep, err
	}
	out.printf("%s\tok\n", acct)
	if refused {
		// The sign-in ended the refusal (TestSignIn): said, as the state
		// changed.
		out.printf("account %s was auth_failed: Qwen takes its password now, so it is ready again; a running server signs it in within seconds\n", acct)
	}
	return rep, nil
}

// outAfter403s reports whether account acct is out after repeated bare
// 403s (state auth_failed, class forbidden).
func outAfter403s(pool *accounts.Pool, acct string) bool {
	for _, st := range pool.Snapshot() {
		if st.ID == acct {
			return st.State == accounts.StateAuthFailed && st.FailureClass == string(accounts.ClassForbidden)
		}
	}
	return false
}

// accountPool is the accounts as a server of this configuration and
// database has them (QWEN_ACCOUNTS, the stored accounts, QWEN_COOKIES or the
// stored credentials), without its background loop: a command reads them
// with Sync or Load.
func (c *cli) accountPool() *accounts.Pool {
	cfg := c.cfg
	poolCfg := app.PoolConfig(cfg, c.store)
	poolCfg.Credentials, poolCfg.Logins, poolCfg.Cookie = c.store, cfg.QwenAccounts, qwen.Credentials{Token: cfg.QwenToken, Cookies: cfg.QwenCookies}
	return accounts.New(poolCfg)
}
