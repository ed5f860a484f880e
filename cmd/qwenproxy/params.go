package main

import (
	"flag"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/openai"
)

// The history commands read their flags with the history API's own
// parameter rules (historyapi.*From), so --limit 0 or --status nope fail as
// ?limit=0 or ?status=nope do, with the same words.

// flagOf names the flag that carries an API parameter.
var flagOf = map[string]string{"session_id": "session", "client_session_id": "client-session", "start_date": "start", "end_date": "end"}

// apiError turns the API's 400 into the CLI's error, naming the flag: the
// parameter's own flag (flagOf), else the parameter with its underscores as
// the flags spell them (error_type is --error-type, response_model
// --response-model).
func apiError(e *openai.Error) error {
	if e == nil {
		return nil
	}
	name := e.Param
	if f, ok := flagOf[name]; ok {
		name = f
	} else {
		name = strings.ReplaceAll(name, "_", "-")
	}
	// The API's message may open with its parameter's name, which the flag
	// before it says already ("--start: start: …").
	return fmt.Errorf("--%s: %s", name, strings.TrimPrefix(e.Message, e.Param+": "))
}

// values builds a query from flags; empty flags are left out.
func values(pairs ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	return q
}

// limitFlag registers --limit. It is text to the flag package, which would
// refuse a non-number as a usage error in its own words (and read 0x10 as 16):
// its value is checked only as the API's limit is, by listOptions.
func limitFlag(fs *flag.FlagSet) *string { return fs.String("limit", "50", "show `N` rows (1-1000)") }

// listOptions reads --limit as the API reads limit: given empty (--limit
// "", a script's unset variable) it is refused as limit= is, not left out
// for the default.
func listOptions(limit string) (qp.ListOptions, error) {
	o, e := historyapi.ListOptionsFrom(url.Values{"limit": {limit}, "count": {"false"}}, 50, nil)
	return o, apiError(e)
}

// filterFlags are the flags of the history's filters, and prune's cut-off,
// which an empty value beside the other flag left out: `--older-than "$AGE"
// --before now --yes`, $AGE unset, deleted every call.
var filterFlags = []string{"session", "client-session", "model", "response-model", "account", "api-key-id", "status", "error-type", "start", "end", "search", "bucket",
	"older-than", "before"}

// noEmptyFilter refuses a filter given with no value (--model ""), as the
// history API refuses model=: taken as no filter, it listed (or exported)
// every call, where the user asked for some.
func noEmptyFilter(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && f.Value.String() == "" && slices.Contains(filterFlags, f.Name) {
			err = usagef("--%s is empty: give it a value, or leave it out", f.Name)
		}
	})
	return err
}

const timeHelp = "RFC 3339, a date (2026-05-01), an age (2h, 7d), now, or Unix seconds/ms"

// callFlags registers the call filters and returns their parser.
func callFlags(fs *flag.FlagSet) func() (qp.CallFilter, error) {
	session := fs.String("session", "", "only calls of this session")
	clientSession := fs.String("client-session", "", "only calls a client sent with this id of its own conversation (Claude Code's, Codex's, OpenCode's session id)")
	model := fs.String("model", "", "only calls of this model (the name asked for)")
	answered := fs.String("response-model", "", "only calls this Qwen model answered (the statistics' model)")
	account := fs.String("account", "", "only calls served by this Qwen account (e-mail, or cookie)")
	keyID := fs.String("api-key-id", "", "only calls made with this proxy API key (its `ID`: key-…, env-…)")
	status := fs.String("status", "", "success or error")
	errorType := fs.String("error-type", "", "only calls that failed with this `TYPE` (upstream_timeout, rate_limited, …: the README's table)")
	start := fs.String("start", "", "from this time: "+timeHelp)
	end := fs.String("end", "", "until this time: "+timeHelp)
	return func() (qp.CallFilter, error) {
		f, e := historyapi.CallFilterFrom(values("session_id", *session, "client_session_id", *clientSession, "model", *model, "response_model", *answered, "account", *account,
			"api_key_id", *keyID, "status", *status, "error_type", *errorType, "start", *start, "end", *end), time.Now())
		return f, apiError(e)
	}
}
