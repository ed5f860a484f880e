package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"qwenproxy/internal/app"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/credentials"
	"qwenproxy/internal/modelmap"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/redact"
	"qwenproxy/internal/server"
	"qwenproxy/internal/translate"
)

// doctorStep is one step of `qwenproxy doctor` and how it went.
type doctorStep struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// doctorReport is what `qwenproxy doctor --json` prints.
type doctorReport struct {
	BaseURL        string         `json:"base_url"`
	WebVersion     string         `json:"web_version"`
	Credentials    string         `json:"credentials"` // stored, environment, simulator or ""
	Mode           string         `json:"mode,omitempty"`
	TokenExpiresAt *time.Time     `json:"token_expires_at,omitempty"`
	QuotaNote      string         `json:"quota_note,omitempty"`
	Steps          []doctorStep   `json:"steps"`
	Diagnosis      qwen.Diagnosis `json:"diagnosis"`
}

// doctorCmd makes the smallest real round trip with the configured
// credentials — model list, new chat, a one-word completion — and diagnoses
// the first failure. Its exit status is the diagnosis's (see qwen.Diagnosis).
func doctorCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := newCLI("doctor", getenv, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "qwenproxy doctor: %v\n", err)
		return 1
	}
	defer c.close()
	model := c.fs.String("model", c.cfg.DefaultModel, "model to ask (DEFAULT_MODEL)")
	mock := c.fs.Bool("mock-upstream", false, "check the built-in Qwen simulator instead")
	if err := c.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "qwenproxy doctor: %v\n", err)
		return 2
	}
	cfg := c.cfg
	env := qwen.Credentials{Token: cfg.QwenToken, Cookies: cfg.QwenCookies}
	rep := &doctorReport{BaseURL: cfg.QwenBaseURL, WebVersion: cmp.Or(cfg.QwenWebVersion, qwen.DefaultWebVersion)}
	var source interface {
		Current(context.Context) (qwen.Credentials, string)
	}
	var cookieLocked error // the stored cookie, which no key given opens
	if *mock {
		sim, err := qwensim.Start(qwensim.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "qwenproxy doctor: %v\n", err)
			return 1
		}
		defer sim.Close()
		rep.BaseURL = sim.URL
		source = credentials.New(qwen.Credentials{Cookies: qwensim.LoginCookie()}, nil)
	} else {
		stored := credentials.New(env, c.storedCredentials(ctx, stderr))
		if err := stored.Refresh(ctx); err != nil {
			fmt.Fprintf(stderr, "qwenproxy doctor: cannot use the stored credentials (%v); %s\n", err, envFallback(env))
			if errors.Is(err, accounts.ErrCredentialsLocked) {
				cookieLocked = err
			}
		}
		source = stored
	}
	creds, from := source.Current(ctx)
	if *mock {
		from = "simulator"
	} else if !creds.Configured() {
		creds = env // what was pasted, if anything: the check says why it cannot sign a call
	}
	rep.Credentials = from
	// No pasted cookie but accounts to sign in: the check is made as the
	// first of them, signed in now (it said no credentials were configured
	// and advised to set QWEN_ACCOUNTS, which was set).
	var signIn error
	account := "" // the account (of QWEN_ACCOUNTS, else a stored one) the check is made as
	if !*mock && !creds.Configured() && len(cfg.QwenAccounts) > 0 {
		login := cfg.QwenAccounts[0]
		account, rep.Credentials = login.Email, "account "+login.Email
		signed, err := app.Signer(cfg).SignIn(ctx, login)
		if err != nil {
			signIn = err
		} else {
			creds = qwen.Credentials{Cookies: signed.Cookies}
		}
	}
	// Nor those, but accounts stored with `accounts add`, which a server
	// signs in: the check is made as one of them (it said no credentials
	// were configured, and advised the `accounts add` already done).
	accountSource := qp.AccountEnvironment
	if !*mock && !creds.Configured() && len(cfg.QwenAccounts) == 0 && c.store != nil {
		id, got, err := storedAccountCredentials(ctx, c)
		switch {
		case id != "":
			account, accountSource, rep.Credentials = id, qp.AccountStored, "account "+id
			if err != nil {
				signIn = err
			} else {
				creds = got
			}
		case err != nil:
			fmt.Fprintf(stderr, "qwenproxy doctor: %v\n", err)
		}
	}
	client := qwen.New(qwen.Config{BaseURL: rep.BaseURL, UserAgent: cfg.UserAgent, WebVersion: cfg.QwenWebVersion,
		Credentials: qwen.StaticCredentials(creds), Timeout: cfg.QwenTimeout, IdleTimeout: cfg.QwenIdleTimeout})
	scrub := secretScrubber(creds)
	out := doctorPrinter{w: stdout, quiet: *c.asJSON, scrub: scrub}
	out.printf("qwenproxy doctor: Qwen at %s, web client version %s (QWEN_WEB_VERSION)\n", rep.BaseURL, rep.WebVersion)
	if account != "" {
		out.printf("(no pasted cookie: checking as %s; `qwenproxy accounts test` checks every account)\n", rep.Credentials)
	}

	// A stored cookie that cannot be opened, and nothing else to check:
	// that is the diagnosis (it said no_credentials, and advised to store
	// the cookie that is stored).
	locked := cookieLocked != nil && account == "" && !creds.Configured() && env.Token == "" && env.Cookies == ""
	switch {
	case signIn != nil:
		err = rep.signInFailed(&out, signIn)
	case locked:
		rep.Credentials = "stored"
		err = cookieLocked
		s := doctorStep{Name: "credentials", Detail: "stored, cannot be opened", Error: err.Error()}
		rep.Steps = append(rep.Steps, s)
		out.step(s)
	default:
		err = doctor(ctx, client, creds, *model, configuredModels(cfg.ModelMap, cfg.DefaultModel, *model), rep, &out)
	}
	rep.Diagnosis = qwen.Diagnose(err)
	if account != "" {
		rep.Diagnosis = accounts.Diagnose(account, accountSource, err) // a refused password is not fixed with a cookie
	}
	if locked {
		rep.Diagnosis = qwen.DiagnosisCredentialsLocked
		rep.Diagnosis.Advice = accounts.LockedAdvice(accounts.CookieID)
	}
	if unknown := (*unknownModels)(nil); errors.As(err, &unknown) {
		rep.Diagnosis = qwen.DiagnosisUnknownModel
	}
	rep.scrubSteps(scrub)
	if *c.asJSON {
		if err := c.printJSON(rep); err != nil {
			fmt.Fprintf(stderr, "qwenproxy doctor: %v\n", err)
			return 1
		}
	} else {
		out.printf("diagnosis: %s: %s\n", rep.Diagnosis.Name, rep.Diagnosis.Advice)
	}
	return rep.Diagnosis.Code
}

// doctor runs the steps, recording each in rep, and returns the first
// failure.
func doctor(ctx context.Context, client *qwen.Client, creds qwen.Credentials, model string, targets []modelmap.Target, rep *doctorReport, out *doctorPrinter) error {
	step := func(name, detail string, err error) error {
		s := doctorStep{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			s.Error = err.Error()
		}
		rep.Steps = append(rep.Steps, s)
		out.step(s)
		return err
	}
	if !creds.Configured() {
		detail, err := "none configured", error(qwen.ErrNoCredentials)
		if why := creds.Incomplete(); why != "" {
			// The failed step's line shows its error: the why goes there.
			detail = "given but not usable: " + why
			err = &qwen.Error{Kind: qwen.KindNoCredentials, Message: "the Qwen credentials given cannot sign a call: " + why}
		}
		return step("credentials", detail, err)
	}
	rep.Mode = creds.ChatMode()
	detail := rep.Credentials + ", " + map[string]string{qwen.ChatModeNormal: "logged in (normal mode)", qwen.ChatModeGuest: "guest mode (no login token)"}[rep.Mode]
	if creds.TokenMisplaced() {
		detail += "; QWEN_TOKEN holds a login token (JWT), used as such"
	}
	if exp, ok := creds.Expiry(); ok {
		rep.TokenExpiresAt = &exp
		if !time.Now().Before(exp) {
			return step("credentials", detail, &qwen.Error{Kind: qwen.KindAuth, Message: "the login token expired " + ms(exp)})
		}
		detail += ", the login token expires " + ms(exp)
	}
	if err := step("credentials", detail, nil); err != nil {
		return err
	}

	models, err := client.Models(ctx)
	detail = fmt.Sprintf("%d models", len(models))
	if err == nil {
		// A model the configuration names that Qwen does not list fails
		// here, before a chat is opened for it: a server refuses the calls
		// sent to it (404 model_not_found), and Qwen would refuse it too.
		if missing := server.UnlistedModels(targets, models); len(missing) > 0 {
			err = &unknownModels{missing: missing, listed: models}
		}
	}
	if err := step("model list", detail, err); err != nil {
		return err
	}
	chatID, _, err := client.NewChat(ctx, model)
	if err := step("new chat", "chat "+chatID, err); err != nil {
		return err
	}
	rep.QuotaNote = "the completion step asks " + model + " one question: it uses one call of the account's quota"
	out.printf("  %s\n", rep.QuotaNote)
	answer, err := askOneWord(ctx, client, chatID, model)
	return step("completion", fmt.Sprintf("%q", answer), err)
}

// askOneWord asks for one word and reads the whole answer.
func askOneWord(ctx context.Context, client *qwen.Client, chatID, model string) (string, error) {
	spec := qwen.MessageSpec{Role: "user", Content: "Reply with one word: ok"}
	stream, _, _, err := client.Complete(ctx, qwen.NewCompletionRequest(chatID, "", model, time.Now(), spec))
	if err != nil {
		return "", err
	}
	defer stream.Close()
	var ans translate.Answer
	for !ans.Finished {
		ev, err := stream.Next()
		if errors.Is(err, io.EOF) {
			return ans.Content(), ans.Unfinished()
		}
		if err != nil {
			return ans.Content(), err
		}
		ans.Add(ev)
	}
	answer := ans.Content()
	if len(answer) > 80 {
		answer = answer[:80] + "…"
	}
	return answer, ans.Empty()
}

// configuredModels are the models the configuration names, for doctor to
// find in Qwen's list: DEFAULT_MODEL, each MODEL_MAP target, and --model
// when it is another.
func configuredModels(rules []modelmap.Rule, defaultModel, model string) []modelmap.Target {
	targets := modelmap.Map{Rules: rules, Default: defaultModel}.Targets()
	if model != defaultModel {
		targets = append(targets, modelmap.Target{Setting: "--model", Model: model})
	}
	return targets
}

// unknownModels is the configured models Qwen's list lacks (the
// unknown_model diagnosis), with the list's models to choose from.
type unknownModels struct {
	missing []modelmap.Target
	listed  []qwen.Model
}

func (u *unknownModels) Error() string {
	var names, listed []string
	for _, t := range u.missing {
		if t.Pattern != "" {
			names = append(names, fmt.Sprintf("%s %s=%s", t.Setting, t.Pattern, t.Model))
		} else {
			names = append(names, t.Setting+" "+t.Model)
		}
	}
	for _, m := range u.listed {
		if m.Info.IsActive {
			listed = append(listed, m.ID)
		}
	}
	const most = 20 // the list is for choosing, not for reading whole
	if len(listed) > most {
		listed = append(listed[:most], fmt.Sprintf("… %d more (GET /v1/models)", len(listed)-most))
	}
	return fmt.Sprintf("not among Qwen's models: %s (Qwen lists %s; a listed model's variants, -thinking, -search, …, count when it has them)",
		strings.Join(names, ", "), strings.Join(listed, ", "))
}

// storedCredentials opens the database, when there is one, for the
// credentials stored with `qwenproxy credentials set`; without one the
// environment's are used. It never migrates the database: doctor is often
// run by a new binary before the switch, beside the earlier version's
// server still using it (see openUnchanged).
func (c *cli) storedCredentials(ctx context.Context, stderr io.Writer) qp.CredentialStore {
	if c.cfg.DatabaseURL == "" && existingDatabase(c.cfg.DatabasePath) != nil {
		return nil
	}
	c.readOnly = true
	if err := c.connect(ctx); err != nil {
		fmt.Fprintf(stderr, "qwenproxy doctor: cannot read stored credentials (%s); %s\n", redact.URLPasswordsText(err.Error()), envFallback(qwen.Credentials{Token: c.cfg.QwenToken, Cookies: c.cfg.QwenCookies}))
		return nil
	}
	return accounts.SealedCredentials{Store: c.store, Sealer: c.cfg.SecretKey}
}

// signInFailed adds a failed sign-in to the report as its step, printed, and
// returns the failure to diagnose: a refusal Qwen made is diagnosed like the
// same failure of any call.
func (rep *doctorReport) signInFailed(out *doctorPrinter, err error) error {
	s := doctorStep{Name: "sign-in", Error: err.Error()}
	rep.Steps = append(rep.Steps, s)
	out.step(s)
	var se *accounts.SignInError
	if errors.As(err, &se) {
		return se.Upstream()
	}
	return err
}

// scrubSteps takes the credentials' secrets out of every step's text.
func (rep *doctorReport) scrubSteps(scrub func(string) string) {
	for i := range rep.Steps {
		rep.Steps[i].Detail, rep.Steps[i].Error = scrub(rep.Steps[i].Detail), scrub(rep.Steps[i].Error)
	}
}

// secretScrubber replaces every credential value in text: an upstream error
// might quote what it was sent.
func secretScrubber(creds qwen.Credentials) func(string) string {
	var secrets []string
	for _, s := range []string{creds.Token, creds.Cookies, creds.LoginToken()} {
		if len(s) >= 6 {
			secrets = append(secrets, s)
		}
	}
	for _, part := range strings.Split(creds.Cookies, ";") {
		if _, v, ok := strings.Cut(part, "="); ok && len(strings.TrimSpace(v)) >= 6 {
			secrets = append(secrets, strings.TrimSpace(v))
		}
	}
	return func(text string) string {
		for _, s := range secrets {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
		return text
	}
}

// doctorPrinter writes the human-readable report (nothing with --json).
type doctorPrinter struct {
	w     io.Writer
	quiet bool
	scrub func(string) string
}

func (p *doctorPrinter) printf(format string, args ...any) {
	if !p.quiet {
		fmt.Fprint(p.w, visible(p.scrub(fmt.Sprintf(format, args...)))) // Qwen's answers and errors are quoted
	}
}

func (p *doctorPrinter) step(s doctorStep) {
	if s.OK {
		p.printf("ok   %s: %s\n", s.Name, s.Detail)
		return
	}
	p.printf("FAIL %s: %s\n", s.Name, s.Error)
}

// envFallback says what doctor checks when stored credentials cannot be
// used: the environment's, or none of them ("using the environment's" was
// said of an environment that held none).
func envFallback(env qwen.Credentials) string {
	if env.Token != "" || env.Cookies != "" {
		return "using the environment's"
	}
	return "the environment has none (QWEN_COOKIES, QWEN_TOKEN)"
}
