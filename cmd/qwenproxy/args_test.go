package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwensim"
)

// runNoDB runs the CLI with DATABASE_PATH pointing at a file that does not
// exist, so that a flag left unread shows as "no database".
func runNoDB(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, filepath.Join(t.TempDir(), "not-this-one.db"), args...)
}

// Flags count wherever they stand among the arguments: a flag before the
// id must not make the flags after it silently ignored (which read, or
// deleted from, another database).
func TestFlagsAnywhereAmongArguments(t *testing.T) {
	db, session := populate(t)
	out, errOut, code := runNoDB(t, "sessions", "show", "--json", session, "--database-path", db)
	var shown struct {
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Session.ID != session {
		t.Fatalf("sessions show --json ID --database-path: %d %s %s", code, out, errOut)
	}
	if out, errOut, code := runNoDB(t, "requests", "show", "--json", "1", "--database-path", db); code != 0 || !strings.Contains(out, `"request_id"`) {
		t.Fatalf("requests show --json 1 --database-path: %d %s %s", code, out, errOut)
	}
	// A flag between the action and the id, and one after the id.
	if out, errOut, code := runNoDB(t, "sessions", "show", "--database-path", db, session, "--calls"); code != 0 || !strings.Contains(out, "STATUS") {
		t.Fatalf("sessions show --database-path ID --calls: %d %s %s", code, out, errOut)
	}
	// A surplus argument is refused by name, and nothing is deleted.
	for _, c := range []struct {
		stray string
		args  []string
	}{
		{"extra", []string{"sessions", "show", session, "extra", "--database-path", db}},
		{"extra", []string{"sessions", "rm", "--json", session, "extra", "--database-path", db}},
		{"stray", []string{"requests", "ls", "stray", "--database-path", db}},
		{"stray", []string{"stats", "stray", "--database-path", db}},
		{"b", []string{"keys", "rm", "a", "b", "--database-path", db}},
		{"stray", []string{"copy", "--from", db, "stray", "--to", filepath.Join(t.TempDir(), "c.db")}},
	} {
		if _, errOut, code := runNoDB(t, c.args...); code != 2 || !strings.Contains(errOut, `unexpected argument "`+c.stray+`"`) {
			t.Errorf("%v: exit %d, %s", c.args, code, errOut)
		}
	}
	// rm acts on the database its flag names, wherever the flag stands.
	if out, errOut, code := runNoDB(t, "sessions", "rm", "--json", session, "--database-path", db); code != 0 || !strings.Contains(out, `"deleted": true`) {
		t.Fatalf("sessions rm --json ID --database-path: %d %s %s", code, out, errOut)
	}
	// Not found, it may be a call a running server still queues: said so.
	if _, errOut, code := runCLI(t, db, "sessions", "show", session); code != 1 || !strings.Contains(errOut, "not found") || !strings.Contains(errOut, "RECORDER_LINGER") {
		t.Fatalf("the session survived its rm: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, db, "requests", "show", "0190a000-0000-7000-8000-000000000000"); code != 1 || !strings.Contains(errOut, "not found") || !strings.Contains(errOut, "RECORDER_LINGER") {
		t.Fatalf("requests show of an unknown call: %d %s", code, errOut)
	}
	// A client's own item id names no call: said so, not that it may be
	// queued (it never will be found).
	if _, errOut, code := runCLI(t, db, "requests", "show", "msg_k1item"); code != 1 || !strings.Contains(errOut, "request msg_k1item: not found: not a call's id") ||
		!strings.Contains(errOut, "names no call") || strings.Contains(errOut, "RECORDER_LINGER") {
		t.Fatalf("requests show of a client's item id: %d %s", code, errOut)
	}
	// After "--" everything is an argument.
	if _, errOut, code := runCLI(t, db, "sessions", "show", "--", "--calls"); code != 1 || !strings.Contains(errOut, "session --calls") {
		t.Fatalf("sessions show -- --calls: %d %s", code, errOut)
	}
}

// Usage errors exit 2, as an unknown command does; a command that ran and
// failed exits 1.
func TestUsageErrorsExitTwo(t *testing.T) {
	db, _ := populate(t)
	for _, args := range [][]string{
		{"frobnicate"},
		{"sessions", "frob"},
		{"migrate", "sideways"},
		{"credentials", "frob"},
		{"accounts", "frob"},
		{"sessions", "show"},
		{"requests", "show"},
		{"keys", "rm"},
		{"sessions", "--no-such-flag"},
		{"stats", "--limit", "x"},
		{"copy"},
		{"version", "extra"},
		{"serve", "stray"},
		{"serve", "--no-such-flag"},
		{"serve", "--port", "x"},
	} {
		if _, errOut, code := runCLI(t, db, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, %s", args, code, errOut)
		}
	}
	if _, _, code := runCLI(t, db, "requests", "show", "999999"); code != 1 {
		t.Errorf("a missing call: exit %d, want 1", code)
	}
	out, _, _ := runCLI(t, db, "help")
	if !strings.Contains(out, "2 a usage error") {
		t.Errorf("help does not list the exit statuses:\n%s", out)
	}
	// An unknown action is refused before any database is created.
	missing := filepath.Join(t.TempDir(), "m.db")
	if _, _, code := runCLI(t, missing, "migrate", "sideways"); code != 2 {
		t.Errorf("migrate sideways: exit %d", code)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("an unknown action created the database: %v", err)
	}
	// A prune's missing or conflicting cut-off is a usage error wherever the
	// database is: it is refused before the database is looked for.
	for _, args := range [][]string{{"prune"}, {"prune", "--older-than", "1d", "--before", "2h"}} {
		if _, errOut, code := runNoDB(t, args...); code != 2 || strings.Contains(errOut, "no database") {
			t.Errorf("%v without a database: exit %d, %s", args, code, errOut)
		}
	}
}

func TestAccountsCommandMessages(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	if _, errOut, code := runCLI(t, db, "keys", "add"); code != 0 { // creates the database
		t.Fatal(errOut)
	}
	if _, errOut, code := runCLI(t, db, "accounts", "add"); code != 2 || !strings.Contains(errOut, "--email is required") {
		t.Errorf("add without --email: %d %s", code, errOut)
	}
	if _, errOut, code := runCLI(t, db, "accounts", "rm", "cookie"); code != 1 || !strings.Contains(errOut, "qwenproxy credentials clear") ||
		!strings.Contains(errOut, "QWEN_COOKIES") {
		t.Errorf("rm cookie: %d %s", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "m.db")
	if _, errOut, code := runCLI(t, db, "accounts", "test", "--database-path", missing); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("test on a missing database: %d %s", code, errOut)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("accounts test created the database: %v", err)
	}
}

func TestCountsArePluralisedRightly(t *testing.T) {
	for n, want := range map[int]string{0: "0 calls", 1: "1 call", 2: "2 calls"} {
		if got := plural(n, "call"); got != want {
			t.Errorf("plural(%d) = %q", n, got)
		}
	}
	db, session := populate(t)
	// Each session of populate has one call.
	if out, errOut, code := runCLI(t, db, "sessions", "rm", session); code != 0 || !strings.Contains(out, "its 1 call\n") {
		t.Fatalf("sessions rm: %d %q %s", code, out, errOut)
	}
	if out, errOut, code := runCLI(t, db, "prune", "--older-than", "0d", "--yes"); code != 0 || !strings.Contains(out, "deleted 1 call ") {
		t.Fatalf("prune: %d %q %s", code, out, errOut)
	}
}

// /dev/null is a character device but no terminal: a prune of everything
// with it as standard input is refused without a prompt, and says --yes.
func TestPruneWithoutTerminalSaysYes(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if isTerminal(devNull) {
		t.Fatal("/dev/null taken for a terminal")
	}
	db, _ := populate(t)
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return ""
	}
	code := runEnv(context.Background(), []string{"prune", "--older-than", "0d"},
		env{getenv: getenv, stdin: devNull, stdout: &out, stderr: &errOut, terminal: isTerminal(devNull)})
	if code != 1 || strings.Contains(errOut.String(), "Type yes") || !strings.Contains(errOut.String(), "--yes") {
		t.Fatalf("prune </dev/null: %d %s", code, errOut.String())
	}
	// At a terminal, a refusal names --yes as well.
	errOut.Reset()
	code = runEnv(context.Background(), []string{"prune", "--older-than", "0d"},
		env{getenv: getenv, stdin: strings.NewReader("no\n"), stdout: &out, stderr: &errOut, terminal: true})
	if code != 1 || !strings.Contains(errOut.String(), "not confirmed") || !strings.Contains(errOut.String(), "--yes") {
		t.Fatalf("prune answered no: %d %s", code, errOut.String())
	}
}

// migrate status shows times as the other commands do: local, zone shown.
func TestMigrateStatusShowsLocalTime(t *testing.T) {
	local := time.Local
	time.Local = time.FixedZone("CET", 3600) // as TZ=Europe/Oslo in winter
	defer func() { time.Local = local }()
	db := filepath.Join(t.TempDir(), "m.db")
	if _, errOut, code := runCLI(t, db, "migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	out, errOut, code := runCLI(t, db, "migrate", "status")
	if code != 0 || !strings.Contains(out, " CET\n") || strings.Contains(out, "Z\n") {
		t.Fatalf("status does not show the local zone like the other commands: %d %s\n%s", code, errOut, out)
	}
}

// migrate status and up print JSON with --json, as every command does: the
// migrations with their version, name and whether (and when) each is
// applied; how many up applied and the schema's version. Both printed their
// table or sentence instead.
func TestMigrateJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "m.db")
	sqliteWithoutSchema(t, db)
	status := func() []map[string]any {
		t.Helper()
		out, errOut, code := runCLI(t, db, "migrate", "status", "--json")
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list) == 0 {
			t.Fatalf("migrate status --json: exit %d %v %s %s", code, err, out, errOut)
		}
		return list
	}
	pending := status()
	for _, m := range pending {
		if m["applied"] != false || m["applied_at"] != nil || m["version"] == nil || m["name"] == "" {
			t.Fatalf("a migration of a new database: %v", m)
		}
	}
	last := pending[len(pending)-1]["version"].(float64)
	up := func(want float64) {
		t.Helper()
		out, errOut, code := runCLI(t, db, "migrate", "up", "--json")
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res["applied"] != want || res["version"] != last {
			t.Fatalf("migrate up --json: exit %d %v %s %s, want %v applied, version %v", code, err, out, errOut, want, last)
		}
	}
	before := time.Now().UnixMilli()
	up(float64(len(pending)))
	up(0)
	for _, m := range status() {
		at, ok := m["applied_at"].(float64)
		if m["applied"] != true || !ok || int64(at) < before || int64(at) > time.Now().UnixMilli() {
			t.Fatalf("an applied migration: %v", m)
		}
	}
}

// A database migrated by a newer qwenproxy: `migrate status` lists the
// migration this binary lacks and says so (it listed only its own, all
// applied), and `migrate up` refuses the database, naming it.
func TestMigrateShowsAndRefusesANewerSchema(t *testing.T) {
	db := migratedThen(t, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_the_future', 1)`)
	out, errOut, code := runCLI(t, db, "migrate", "status", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 || len(list) == 0 {
		t.Fatalf("migrate status --json: exit %d %v %s %s", code, err, out, errOut)
	}
	if m := list[len(list)-1]; m["version"] != float64(9999) || m["name"] != "9999_from_the_future" || m["applied"] != true || m["unknown"] != true {
		t.Fatalf("the newer migration: %v", m)
	}
	if out, _, code := runCLI(t, db, "migrate", "status"); code != 0 || !strings.Contains(out, "9999_from_the_future") || !strings.Contains(out, "by a newer qwenproxy") {
		t.Fatalf("migrate status: %d\n%s", code, out)
	}
	if _, errOut, code := runCLI(t, db, "migrate", "up"); code != 1 || !strings.Contains(errOut, "migrated by a newer qwenproxy") || !strings.Contains(errOut, "9999 (9999_from_the_future)") {
		t.Fatalf("migrate up: %d %s", code, errOut)
	}
}

// migratedThen is a SQLite database `migrate up` made, then changed by
// stmt.
func migratedThen(t *testing.T, stmt string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "m.db")
	if _, errOut, code := runCLI(t, db, "migrate", "up"); code != 0 {
		t.Fatal(errOut)
	}
	conn, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(stmt)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// A database whose migration 19 another build applied under another name
// (a build between releases numbered its migrations otherwise): `migrate
// status` shows the name it was applied as, and `migrate up` (serve's first
// step) and a command that reads refuse it, naming both; they went on as if
// it were this binary's.
func TestMigrateShowsAndRefusesAnotherBuildsSchema(t *testing.T) {
	db := migratedThen(t, `UPDATE schema_migrations SET name = '0019_session_chat_deletion' WHERE version = 19`)
	out, errOut, code := runCLI(t, db, "migrate", "status", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 0 {
		t.Fatalf("migrate status --json: exit %d %v %s %s", code, err, out, errOut)
	}
	i := slices.IndexFunc(list, func(m map[string]any) bool { return m["version"] == float64(19) })
	if i < 0 || list[i]["name"] != "0019_export_tickets" || list[i]["applied_as"] != "0019_session_chat_deletion" || list[i]["unknown"] != nil {
		t.Fatalf("migration 19: %v", list)
	}
	if out, _, code := runCLI(t, db, "migrate", "status"); code != 0 || !strings.Contains(out, "as 0019_session_chat_deletion (by another build") {
		t.Fatalf("migrate status: %d\n%s", code, out)
	}
	const named = "its migration 19 is 0019_session_chat_deletion where this one's is 0019_export_tickets"
	for _, args := range [][]string{{"migrate", "up"}, {"requests", "ls"}} {
		if _, errOut, code := runCLI(t, db, args...); code != 1 || !strings.Contains(errOut, "migrated by another build") || !strings.Contains(errOut, named) {
			t.Fatalf("%v: %d %s", args, code, errOut)
		}
	}
}

// version prints what the toolchain recorded in the binary.
func TestVersion(t *testing.T) {
	bin := buildBinary(t)
	recorded, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "version", "--help").Output(); err != nil || !strings.Contains(string(out), "usage: qwenproxy version") {
		t.Fatalf("version --help: %v %s", err, out)
	}
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		if !strings.HasPrefix(string(out), "qwenproxy ") {
			t.Fatalf("%s printed %q", arg, out)
		}
		for _, line := range strings.Split(string(recorded), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && strings.HasSuffix(f[0], ":") && !strings.Contains(string(out), "go        "+f[1]):
				t.Errorf("%s: no Go version %s in %q", arg, f[1], out)
			case len(f) == 2 && strings.HasPrefix(f[1], "vcs.revision=") && !strings.Contains(string(out), strings.TrimPrefix(f[1], "vcs.revision=")):
				t.Errorf("%s: no revision in %q", arg, out)
			}
		}
	}
}

// An unknown flag is reported once: the flag package prints it with the
// command's flags, and the command adds nothing.
func TestUnknownFlagIsReportedOnce(t *testing.T) {
	for _, args := range [][]string{{"serve", "--no-such-flag"}, {"requests", "--no-such-flag"}} {
		_, errOut, code := runNoDB(t, args...)
		if n := strings.Count(errOut, "flag provided but not defined: -no-such-flag"); code != 2 || n != 1 {
			t.Errorf("%v: exit %d, the error printed %d times:\n%s", args, code, n, errOut)
		}
	}
}

// A 0-byte file is not a database: the commands that read or delete refuse
// it, as they refuse a missing file, and leave it as it was (SQLite would
// take it for a new database and the migrations would make it one). doctor
// reads stored credentials only from a database, and so uses the
// environment's.
func TestReadCommandsRefuseAnEmptyFile(t *testing.T) {
	// emptyFile makes a 0-byte file alone in a directory of its own; its
	// check says whether it is still that.
	emptyFile := func(t *testing.T) (string, func(what string)) {
		dir := t.TempDir()
		path := filepath.Join(dir, "zero.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return path, func(what string) {
			t.Helper()
			entries, _ := os.ReadDir(dir)
			fi, err := os.Stat(path)
			if err != nil || fi.Size() != 0 || len(entries) != 1 {
				t.Errorf("%s: the empty file became %v (%v); its directory holds %d files", what, fi, err, len(entries))
			}
		}
	}
	for _, args := range [][]string{
		{"sessions"}, {"sessions", "show", "s-1"}, {"sessions", "rm", "s-1"},
		{"requests"}, {"requests", "show", "1"}, {"stats"}, {"export"}, {"export", "--format", "csv"},
		{"prune", "--older-than", "1d", "--yes"}, {"keys", "ls"}, {"keys", "rm", "k"},
		{"accounts", "test"}, {"accounts", "rm", "a@example.com"}, {"accounts", "reset", "a@example.com"},
	} {
		empty, unchanged := emptyFile(t)
		out, errOut, code := runCLI(t, empty, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "no database at "+empty) || !strings.Contains(errOut, "empty (0 bytes)") {
			t.Errorf("%v on an empty file: exit %d, %q %q", args, code, out, errOut)
		}
		unchanged(strings.Join(args, " "))
	}

	empty, unchanged := emptyFile(t)
	to := filepath.Join(t.TempDir(), "to.db")
	if _, errOut, code := runCLI(t, empty, "copy", "--from", "sqlite:"+empty, "--to", to); code != 1 || !strings.Contains(errOut, "empty (0 bytes)") {
		t.Errorf("copy from an empty file: exit %d, %s", code, errOut)
	}
	unchanged("copy --from")
	if _, err := os.Stat(to); !os.IsNotExist(err) {
		t.Errorf("copy from an empty file made its destination: %v", err)
	}

	empty, unchanged = emptyFile(t)
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	env := map[string]string{"QWEN_BASE_URL": sim.URL, "QWEN_COOKIES": qwensim.LoginCookie(), "DATABASE_PATH": empty}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Errorf("doctor beside an empty file: exit %d, %s %s", code, out.String(), errOut.String())
	}
	unchanged("doctor")
}

// version --json prints the build as JSON for scripts, as every command does
// with --json (it was refused: unexpected argument "--json"); anything else
// after version is still a usage error.
func TestVersionJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version", "--json"}, func(string) string { return "" }, &out, &errOut); code != 0 {
		t.Fatalf("version --json: exit %d: %s", code, errOut.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil || v["version"] == "" || v["version"] == nil || v["go"] != runtime.Version() {
		t.Fatalf("version --json: %v %s", err, out.String())
	}
	// A switch given twice says the same thing, as for every other command
	// (it was refused: unexpected argument "--json", "it takes only --json").
	out.Reset()
	if code := run(context.Background(), []string{"version", "--json", "-json"}, func(string) string { return "" }, &out, &errOut); code != 0 || !json.Valid(out.Bytes()) {
		t.Fatalf("version --json -json: exit %d: %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"version", "--json", "--yaml"}, func(string) string { return "" }, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `"--yaml"`) {
		t.Fatalf("version --json --yaml: exit %d: %s", code, errOut.String())
	}
	if code := run(context.Background(), []string{"version", "--yaml"}, func(string) string { return "" }, &out, &errOut); code != 2 {
		t.Fatalf("version --yaml: exit %d", code)
	}
}
