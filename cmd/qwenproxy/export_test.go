package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// databaseFlag names the database at dbURL as the commands take it.
func databaseFlag(dbURL string) []string {
	if postgres.IsURL(dbURL) {
		return []string{"--database-url", dbURL}
	}
	return []string{"--database-path", dbURL}
}

// databaseArgs names the database at dbURL as a command's flag for
// SQLite, and for PostgreSQL in vars' DATABASE_URL, where a user with a
// password in the URL gives it (a password in --database-url is warned of
// on stderr, which a test reading the command's JSON output would read).
func databaseArgs(dbURL string, vars map[string]string) []string {
	if postgres.IsURL(dbURL) {
		vars["DATABASE_URL"] = dbURL
		return nil
	}
	return databaseFlag(dbURL)
}

// runOn runs a command on the database at dbURL.
func runOn(t *testing.T, dbURL string, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, filepath.Join(t.TempDir(), "not-this-one.db"), append(args, databaseFlag(dbURL)...)...)
}

// export --output says what it wrote, as every command says what it did
// (JSON with --json); to standard output the export is all it prints.
func TestExportToAFileSaysWhatItWrote(t *testing.T) {
	storetest.Each(t, testExportToAFileSaysWhatItWrote)
}

func testExportToAFileSaysWhatItWrote(t *testing.T, dbURL string) {
	seedHistory(t, storetest.Open(t, dbURL), 6) // calls 0 and 6 failed: i%7 == 0
	dir := t.TempDir()

	// A file named *.csv is CSV without --format too (it got JSONL).
	for _, args := range [][]string{{"--format", "csv"}, nil} {
		file := filepath.Join(dir, "calls.csv")
		out, errOut, code := runOn(t, dbURL, append([]string{"export", "--output", file}, args...)...)
		if code != 0 || out != "exported 6 calls as CSV to "+file+"\n" {
			t.Fatalf("export --output %v: exit %d, %q %q", args, code, out, errOut)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil || len(rows) != 7 || rows[0][0] != "id" {
			t.Fatalf("the file (%v): %v, %d rows", args, err, len(rows))
		}
	}

	// --format wins over the name.
	file := filepath.Join(dir, "calls-as-lines.csv")
	if out, errOut, code := runOn(t, dbURL, "export", "--output", file, "--format", "jsonl"); code != 0 || out != "exported 6 calls as JSONL to "+file+"\n" {
		t.Fatalf("export --output *.csv --format jsonl: exit %d, %q %q", code, out, errOut)
	}

	file = filepath.Join(dir, "errors.jsonl")
	out, errOut, code := runOn(t, dbURL, "export", "--status", "error", "--output", file, "--json")
	var said map[string]any
	if err := json.Unmarshal([]byte(out), &said); err != nil || code != 0 || said["exported"] != float64(1) || said["output"] != file || said["format"] != "jsonl" {
		t.Fatalf("export --output --json: exit %d, %v %q %q", code, err, out, errOut)
	}
	if b, err := os.ReadFile(file); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("the file: %v %q", err, b)
	}

	// Without --output, --json or not, standard output is the export alone.
	for _, args := range [][]string{{"export"}, {"export", "--json"}, {"export", "--output", "-"}} {
		out, errOut, code = runOn(t, dbURL, args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != 6 {
			t.Fatalf("%v: exit %d, %d lines %q", args, code, len(lines), errOut)
		}
		for _, line := range lines {
			var call map[string]any
			if err := json.Unmarshal([]byte(line), &call); err != nil || call["request_id"] == nil {
				t.Fatalf("%v: a line that is not a call: %v %q", args, err, line)
			}
		}
	}
}

// sessions --account lists the sessions whose chat is on that account, as
// requests --account and stats --account narrow theirs.
func TestSessionsByAccount(t *testing.T) { storetest.Each(t, testSessionsByAccount) }

func testSessionsByAccount(t *testing.T, dbURL string) {
	st := storetest.Open(t, dbURL)
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	var sessions []qp.Session
	for i, account := range []string{"cookie", "ada@example.com", "cookie"} {
		ts := at.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: fmt.Sprintf("s-%d", i), ChatID: fmt.Sprintf("chat-%d", i), ParentID: "p", Model: "qwen3-max",
			FirstUserMessage: "hi", MessageCount: 1, ConversationKey: fmt.Sprintf("k%d", i), CreatedAt: ts, LastAccessed: ts, ExpiresAt: ts.Add(time.Hour),
			Account: account})
	}
	if err := st.WriteBatch(context.Background(), qp.Batch{Sessions: sessions}); err != nil {
		t.Fatal(err)
	}
	for account, want := range map[string]string{"cookie": "s-2,s-0", "ada@example.com": "s-1", "nobody@example.com": ""} {
		out, errOut, code := runOn(t, dbURL, "sessions", "--account", account, "--json")
		var got []struct{ ID, Account string }
		if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
			t.Fatalf("sessions --account %s: exit %d, %v %q %q", account, code, err, out, errOut)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
			if s.Account != account {
				t.Errorf("sessions --account %s listed %s of %s", account, s.ID, s.Account)
			}
		}
		if strings.Join(ids, ",") != want {
			t.Errorf("sessions --account %s: %v, want %s", account, ids, want)
		}
	}
}

// export --output naming the history's own files is refused, and they are
// left as they were: os.Create truncated the database it was asked to read.
func TestExportRefusesToOverwriteTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "history.db")
	seedHistory(t, storetest.Open(t, db), 6)
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(db, link); err != nil {
		t.Fatal(err)
	}
	for _, output := range []string{db, link, db + "-wal", db + ".spool"} {
		out, errOut, code := runOn(t, db, "export", "--output", output)
		if code != 1 || out != "" || !strings.Contains(errOut, "--output "+output+" is the ") || !strings.Contains(errOut, "name another file") {
			t.Fatalf("export --output %s: exit %d, %q %q", output, code, out, errOut)
		}
	}
	if after, err := os.ReadFile(db); err != nil || string(after) != string(before) {
		t.Fatalf("the database changed: %v, %d bytes were %d", err, len(after), len(before))
	}
	if _, err := os.Stat(db + ".spool"); !os.IsNotExist(err) {
		t.Fatalf("a spool was made: %v", err)
	}
	if out, errOut, code := runOn(t, db, "export", "--output", filepath.Join(t.TempDir(), "calls.jsonl")); code != 0 {
		t.Fatalf("export to another file: exit %d, %q %q", code, out, errOut)
	}
}

// export --output "" (a script's unset variable) named no file, yet the
// export opened the database and then failed with "--output: open : no such
// file or directory". It is refused saying the flag is empty, before the
// database is opened, as a --format it cannot take is.
func TestExportToAnEmptyOutputIsRefusedSayingSo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	seedHistory(t, storetest.Open(t, db), 2)
	missing := filepath.Join(t.TempDir(), "missing.db")
	for _, path := range []string{db, missing} {
		out, errOut, code := runCLI(t, path, "export", "--output", "")
		if code != 1 || out != "" || !strings.Contains(errOut, "--output is empty") || strings.Contains(errOut, "no such file") {
			t.Errorf("export --output '' on %s: exit %d, %q %q", path, code, out, errOut)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the refused export made the database: %v", err)
	}
}

// export --format "" (a script's unset variable) was taken as no --format:
// JSONL, or CSV for an *.csv file, whatever the script meant, exit 0. It is
// refused as --output "" is, before the database is opened, and nothing is
// written.
func TestExportWithAnEmptyFormatIsRefusedSayingSo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	seedHistory(t, storetest.Open(t, db), 2)
	file := filepath.Join(dir, "calls.jsonl")
	for _, args := range [][]string{{"export", "--format", ""}, {"export", "--format=", "--output", file}} {
		out, errOut, code := runCLI(t, db, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, `--format is empty`) {
			t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the refused export wrote %s: %v", file, err)
	}
}
