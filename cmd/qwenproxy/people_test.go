package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"qwenproxy/internal/store/storetest"
)

// Every command answers --help (and -h, and the action word help) with exit
// 0, listing its actions and, for each, its flags.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range commands() {
		for _, form := range [][]string{{"--help"}, {"-h"}, {"help"}} {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{cmd.name}, form...), func(string) string { return "" }, &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), "qwenproxy "+cmd.name) {
				t.Fatalf("%s %v: exit %d: %s %s", cmd.name, form, code, out.String(), errOut.String())
			}
			for _, a := range cmd.actions {
				if !strings.Contains(out.String(), "qwenproxy "+cmd.name+" "+a.name) || !strings.Contains(out.String(), a.summary) {
					t.Errorf("%s %v does not list action %s:\n%s", cmd.name, form, a.name, out.String())
				}
			}
			if !strings.Contains(out.String(), "-") {
				t.Errorf("%s %v lists no flags", cmd.name, form)
			}
			// The flags come under the command's own heading, as the flag
			// package's "Usage of serve:" (serve, copy) repeated it.
			if strings.Contains(out.String(), "Usage of") {
				t.Errorf("%s %v heads its flags twice:\n%s", cmd.name, form, out.String())
			}
			// serve's few flags are not its settings: its help says where they are.
			if cmd.name == "serve" && !strings.Contains(out.String(), "`qwenproxy help`") {
				t.Errorf("serve %v does not point to the environment variables:\n%s", form, out.String())
			}
		}
		for _, a := range cmd.actions {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), []string{cmd.name, a.name, "--help"}, func(string) string { return "" }, &out, &errOut); code != 0 {
				t.Errorf("%s %s --help: exit %d %s", cmd.name, a.name, code, errOut.String())
			}
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"sessions", "ls", "--help"}, func(string) string { return "" }, &out, io.Discard); code != 0 ||
		!strings.Contains(out.String(), "-search") || !strings.Contains(out.String(), "an age (2h, 7d)") {
		t.Errorf("sessions ls --help: %s", out.String())
	}
}

// `qwenproxy help COMMAND` is that command's help, as `go help build` is:
// the name was ignored and the general help printed, where the README
// says a surplus argument is refused by name, never ignored. A name that
// is no command, or a second argument, is a usage error.
func TestHelpNamesACommand(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, name := range []string{"serve", "sessions", "version"} {
		var want, got, errOut bytes.Buffer
		run(context.Background(), []string{name, "--help"}, noEnv, &want, io.Discard)
		if code := run(context.Background(), []string{"help", name}, noEnv, &got, &errOut); code != 0 || got.String() != want.String() {
			t.Errorf("help %s: exit %d, printed:\n%s\nwant %s --help's:\n%s%s", name, code, got.String(), name, want.String(), errOut.String())
		}
	}
	for _, args := range [][]string{{"help", "sevre"}, {"help", "serve", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, noEnv, &out, &errOut); code != 2 || out.Len() != 0 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, %s%s", args, code, out.String(), errOut.String())
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"help", "--help"}, noEnv, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "environment (flags override)") {
		t.Errorf("help --help: exit %d:\n%s", code, out.String())
	}
}

// populateConversation records, through the real server and its simulator,
// a reasoning turn and a tool round trip in one conversation.
func populateConversation(t *testing.T) (string, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "c.db")
	a := startMock(t, db)
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	post := func(body string) map[string]any {
		resp, err := http.Post(a.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v %v", resp.StatusCode, err, v)
		}
		return v
	}
	first := post(`{"model":"qwen3-max","reasoning_effort":"high",` + tools + `,"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"}]}`)
	msg := first["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	call := msg["tool_calls"].([]any)[0].(map[string]any)
	assistant, _ := json.Marshal(msg)
	post(`{"model":"qwen3-max",` + tools + `,"messages":[{"role":"user","content":"use get_weather with {\"city\": \"Oslo\"}"},` + string(assistant) +
		`,{"role":"tool","tool_call_id":"` + call["id"].(string) + `","content":"12 degrees, rain"}]}`)
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, call["id"].(string)
}

// sessions show prints the conversation as a transcript: roles, reasoning
// folded, the tool call and its result, each turn's figures; times carry
// their zone.
func TestSessionsShowPrintsATranscript(t *testing.T) {
	db, callID := populateConversation(t)
	out, _, _ := runCLI(t, db, "sessions", "--json")
	var sessions []map[string]any
	if err := json.Unmarshal([]byte(out), &sessions); err != nil || len(sessions) != 1 {
		t.Fatalf("%v %s", err, out)
	}
	id := sessions[0]["id"].(string)
	out, errOut, code := runCLI(t, db, "sessions", "show", id)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	order := []string{"USER\n  use get_weather", "ASSISTANT", "[reasoning, ", "--reasoning shows it]", `→ tool call get_weather({"city":"Oslo"})`,
		"── call ", "tokens", " ms", "TOOL RESULT (" + callID + ")", "  12 degrees, rain", "ASSISTANT", "Thanks: get_weather said"}
	rest := out
	for _, want := range order {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("transcript lacks %q after what came before:\n%s", want, out)
		}
		rest = rest[i+len(want):]
	}
	if strings.Count(out, "USER\n") != 1 {
		t.Errorf("the first message, resent by the second call, is printed again:\n%s", out)
	}
	if !strings.Contains(out, "UTC") && !strings.Contains(out, "+") && !strings.Contains(out, "-0") {
		t.Errorf("times without a zone:\n%s", out)
	}
	full, _, _ := runCLI(t, db, "sessions", "show", id, "--reasoning")
	if !strings.Contains(full, "[reasoning]\n") || strings.Contains(full, "--reasoning shows it") {
		t.Errorf("--reasoning does not unfold:\n%s", full)
	}
	table, _, _ := runCLI(t, db, "sessions", "show", id, "--calls")
	if !strings.Contains(table, "ID\tTIME") && !strings.Contains(table, "TOKENS") {
		t.Errorf("--calls: %s", table)
	}
	out, _, code = runCLI(t, db, "sessions", "rm", id)
	if code != 0 || !strings.Contains(out, "and its 2 calls") {
		t.Errorf("sessions rm: %s", out)
	}
}

// The CLI's limit, filters and times follow the API's rules and words.
func TestCLIFlagsFailAsTheAPI(t *testing.T) {
	db, _ := populate(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"requests", "--limit", "0"}, `--limit: limit must be an integer between 1 and 1000, not "0"`},
		{[]string{"requests", "--limit", ""}, `--limit: limit must be an integer between 1 and 1000, not ""`}, // a script's unset variable: not the default 50
		{[]string{"sessions", "--limit", "1001"}, `--limit: limit must be an integer between 1 and 1000, not "1001"`},
		{[]string{"requests", "--status", "meh"}, `--status: status must be success or error, not "meh"`},
		{[]string{"requests", "--start", "yesterday"}, `--start: "yesterday" is not an RFC 3339 time`},
		{[]string{"requests", "--start", "2h", "--end", "3h"}, "--start: start must be before or equal to end"},
		{[]string{"stats", "--bucket", "week"}, `--bucket: bucket must be hour or day, not "week"`},
		{[]string{"export", "--session", "x", "--end", "soon"}, `--end: "soon"`},
		{[]string{"prune", "--before", "later"}, `--before: "later" is not`},
	}
	for _, tc := range cases {
		if _, errOut, code := runCLI(t, db, tc.args...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errOut, tc.want)
		} else if flag := tc.args[len(tc.args)-2]; strings.Contains(errOut, flag+": "+strings.TrimPrefix(flag, "--")+": ") {
			t.Errorf("%v: the parameter named twice: %q", tc.args, errOut)
		}
	}
	// A flag the command needs, missing, or two that exclude each other, is
	// a usage error (2), as a missing argument is; a value the command
	// cannot take is a failure (1), above. Both were 1.
	for args, want := range map[string]string{"prune --older-than 1d --before 2h": "not both", "prune": "--older-than or --before is required"} {
		if _, errOut, code := runCLI(t, db, strings.Fields(args)...); code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d %q, want 2 and %q", args, code, errOut, want)
		}
	}
	for _, args := range [][]string{{"requests", "--start", "1h"}, {"requests", "--start", "2020-01-01"}, {"requests", "--end", "1999999999"},
		{"requests", "--start", "1577836800000"}, {"sessions", "--start", "2020-01-01T00:00:00+02:00"}} {
		out, errOut, code := runCLI(t, db, args...)
		if code != 0 || strings.Count(out, "\n") != 3 {
			t.Errorf("%v: exit %d, %d lines %s %s", args, code, strings.Count(out, "\n"), out, errOut)
		}
	}
}

// A prune that deletes everything asks on a terminal, and says how many
// calls it deleted.
func TestPruneEverythingAsksFirst(t *testing.T) {
	db, _ := populate(t)
	getenv := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	prune := func(answer string, args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := runEnv(context.Background(), append([]string{"prune"}, args...),
			env{getenv: getenv, stdin: strings.NewReader(answer), stdout: &out, stderr: &errOut, terminal: true})
		return out.String(), errOut.String(), code
	}
	if _, errOut, code := prune("no\n", "--before", "2099-01-01"); code != 1 || !strings.Contains(errOut, "every recorded call (2)") ||
		!strings.Contains(errOut, "nothing deleted") {
		t.Fatalf("answered no: %d %s", code, errOut)
	}
	if out, _, _ := runCLI(t, db, "requests", "--json"); strings.Count(out, `"request_id"`) != 2 {
		t.Fatalf("a refused prune deleted calls: %s", out)
	}
	// An age that leaves recent calls asks nothing.
	if out, errOut, code := prune("", "--older-than", "1h"); code != 0 || !strings.Contains(out, "deleted 0 calls") || strings.Contains(errOut, "Type yes") {
		t.Fatalf("prune 1h: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := prune("yes\n", "--older-than", "0d"); code != 0 || !strings.Contains(out, "deleted 2 calls") {
		t.Fatalf("answered yes: %d %s %s", code, out, errOut)
	}
}

// A prune whose cut-off lies in the past but after every call recorded so far
// deletes everything as surely as --older-than 0d: it is refused without
// --yes, for an age and for a time alike. It was let through (exit 0, every
// call gone) because only a cut-off in the future asked.
func TestPruneOfEveryCallByAnAgeAsksFirst(t *testing.T) {
	db := storetest.URL(t, "sqlite")
	seedHistory(t, storetest.Open(t, db), 30) // 30 calls two days ago, a second apart
	calls := func() []map[string]any {
		t.Helper()
		out, errOut, code := runCLI(t, db, "requests", "--json", "--limit", "1000")
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
			t.Fatalf("requests --json: %d %v %s", code, err, errOut)
		}
		return list
	}
	for _, args := range [][]string{{"--older-than", "1m"}, {"--older-than", "1d"}, {"--before", "1h"}, {"--before", time.Now().Add(-time.Hour).Format(time.RFC3339)}} {
		out, errOut, code := runCLI(t, db, append([]string{"prune"}, args...)...)
		if code != 1 || !strings.Contains(errOut, "this would delete every recorded call (30); pass --yes") {
			t.Errorf("prune %v: exit %d %s %s", args, code, out, errOut)
		}
	}
	list := calls()
	if len(list) != 30 {
		t.Fatalf("a refused prune deleted calls: %d left", len(list))
	}
	// A cut-off that leaves calls is no prune of everything: nothing is asked.
	oldest := int64(list[len(list)-1]["timestamp"].(float64))
	out, errOut, code := runCLI(t, db, "prune", "--before", fmt.Sprint(oldest+10_000))
	if code != 0 || !strings.Contains(out, "deleted 10 calls") {
		t.Fatalf("prune of the oldest 10: exit %d %s %s", code, out, errOut)
	}
	// The rest is again every call; --yes deletes it.
	if _, errOut, code := runCLI(t, db, "prune", "--older-than", "1m"); code != 1 || !strings.Contains(errOut, "every recorded call (20)") {
		t.Fatalf("prune of the 20 left without --yes: exit %d %s", code, errOut)
	}
	if out, errOut, code := runCLI(t, db, "prune", "--older-than", "1m", "--yes"); code != 0 || !strings.Contains(out, "deleted 20 calls") {
		t.Fatalf("prune --yes: exit %d %s %s", code, out, errOut)
	}
	// Nothing left to delete: nothing to confirm.
	if out, errOut, code := runCLI(t, db, "prune", "--before", "2099-01-01"); code != 0 || !strings.Contains(out, "deleted 0 calls") {
		t.Fatalf("prune of an empty history: exit %d %s %s", code, out, errOut)
	}
}

// --limit is read only by the API's rule, in every command that takes it: a
// value that is no number fails as 0 or 1001 do (exit 1, the API's words),
// not as a usage error in the flag package's words with the whole usage,
// and a number the API would not read (0x10) is not read as another.
func TestEveryLimitIsReadAsTheAPIReadsIt(t *testing.T) {
	db, _ := populate(t)
	const words = "--limit: limit must be an integer between 1 and 1000"
	for _, cmd := range [][]string{{"sessions"}, {"sessions", "ls"}, {"requests"}, {"requests", "ls"}} {
		for _, v := range []string{"abc", "1.5", "0x10", "1e3", " 5", "-5", "0", "1001"} {
			args := append(append([]string{}, cmd...), "--limit", v)
			out, errOut, code := runCLI(t, db, args...)
			if code != 1 || !strings.Contains(errOut, words) || strings.Contains(errOut, "-database-path") || out != "" {
				t.Errorf("%q: exit %d %q %q, want 1 and %q alone", args, code, out, errOut, words)
			}
		}
		// The header, one row of two, and the line that says more match.
		out, errOut, code := runCLI(t, db, append(append([]string{}, cmd...), "--limit", "1")...)
		if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "more match") {
			t.Errorf("%v --limit 1: exit %d %s %s", cmd, code, out, errOut)
		}
	}
}

// What clients sent reaches a person's terminal with its control characters
// visibly escaped, in every table and transcript: a message's colours, a
// window-title change, NUL, DEL and C1 bytes, a tool call's arguments. They
// were printed as they were. --json keeps the content as it was (JSON
// escapes it).
func TestHumanOutputShowsControlCharactersEscaped(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	a := startMock(t, db)
	const nasty = "hi \x1b[31mRED\x1b[0m \x1b]0;title-pwned\x07 nul\x00 del\x7f csi\u009b2J tab\tend"
	raw, _ := json.Marshal(nasty)
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]`
	for _, body := range []string{
		`{"model":"qwen3-max","messages":[{"role":"user","content":` + string(raw) + `}]}`,
		`{"model":"qwen3-max",` + tools + `,"messages":[{"role":"user","content":"use get_weather with {\"city\": \"O\u001b[5mslo\"}"}]}`,
	} {
		resp, err := http.Post(a.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
	}
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, _, _ := runCLI(t, db, "sessions", "--json")
	var sessions []map[string]any
	if err := json.Unmarshal([]byte(out), &sessions); err != nil || len(sessions) != 2 {
		t.Fatalf("sessions --json: %v %s", err, out)
	}
	tool, plain := sessions[0]["id"].(string), sessions[1]["id"].(string) // newest first
	// A session's first message is text, where a NUL is stored as U+FFFD
	// (PostgreSQL's text takes none); the bodies keep it (below).
	if want := strings.ReplaceAll(nasty, "\x00", "\uFFFD"); sessions[1]["first_user_message"] != want {
		t.Errorf("sessions --json changed the content: %q", sessions[1]["first_user_message"])
	}
	// JSON escapes C0 controls itself; DEL and C1 (U+009B is a terminal's
	// CSI) are escaped too, and read back as they were.
	out, _, _ = runCLI(t, db, "requests", "--json")
	var calls []map[string]any
	if err := json.Unmarshal([]byte(out), &calls); err != nil || len(calls) != 2 {
		t.Fatalf("requests --json: %v %s", err, out)
	}
	shown, _, code := runCLI(t, db, "requests", "show", calls[1]["request_id"].(string))
	var rec struct {
		OpenAIRequest struct {
			Messages []struct{ Content string }
		} `json:"openai_request"`
	}
	if err := json.Unmarshal([]byte(shown), &rec); code != 0 || err != nil || len(rec.OpenAIRequest.Messages) != 1 || rec.OpenAIRequest.Messages[0].Content != nasty {
		t.Errorf("requests show: exit %d, %v, %+v", code, err, rec)
	}
	for name, js := range map[string]string{"requests --json": out, "requests show": shown} {
		if strings.ContainsAny(js, "\x7f\u0080\u009b\u009f") {
			t.Errorf("%s prints DEL or a C1 control as it is: %q", name, js)
		}
	}
	if _, errOut, code := runCLI(t, db, "keys", "add", "--name", "ci\x1b[2J"); code != 0 {
		t.Fatal(errOut)
	}
	escaped := `hi \x1b[31mRED\x1b[0m \x1b]0;title-pwned\a nul\x00 del\x7f csi\u009b2J tab`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sessions"}, `hi \x1b[31mRED\x1b[0m \x1b]0;title-pwned\a`},
		{[]string{"sessions", "show", plain}, "  " + escaped + "\tend\n"},
		{[]string{"sessions", "show", plain, "--calls"}, "qwen3-max"},
		{[]string{"sessions", "show", tool}, `→ tool call get_weather({"city": "O\x1b[5mslo"})`},
		{[]string{"requests"}, "/v1/chat/completions"},
		{[]string{"stats"}, "model qwen3-max"},
		{[]string{"keys", "ls"}, `ci\x1b[2J`},
	} {
		out, errOut, code := runCLI(t, db, tc.args...)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, lacks %q:\n%s%s", tc.args, code, tc.want, out, errOut)
		}
		if !utf8.ValidString(out) {
			t.Errorf("%v prints bytes that are not UTF-8:\n%q", tc.args, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) && r != '\n' && r != '\t' {
				t.Errorf("%v prints %q as it is:\n%q", tc.args, r, out)
				break
			}
		}
	}
}
