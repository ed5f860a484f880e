package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store/postgres"
	"qwenproxy/internal/store/storetest"
)

// runEnvOf runs a command with the environment vars (nothing else set).
// serve runs with its context already done: one that starts stops at once
// rather than serving until the test's timeout.
func runEnvOf(t *testing.T, vars map[string]string, args ...string) (string, string, int) {
	t.Helper()
	ctx := context.Background()
	if args[0] == "serve" {
		done, cancel := context.WithCancel(ctx)
		cancel()
		ctx = done
	}
	var out, errOut bytes.Buffer
	code := run(ctx, args, func(k string) string { return vars[k] }, &out, &errOut)
	return out.String(), errOut.String(), code
}

// dirEntries names what is in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A URL of a scheme other than postgres:// or postgresql:// (a mistyped
// postgress://, pg://, another database's mysql://) given where a database
// goes was taken for a relative SQLite path: copy --to made the file
// ./postgress:/admin:TypoPw123@db.example:5432/qwenproxy, installed the
// schema in it, exited 0 and printed the password; a mistyped --from said
// "no database at postgress://admin:FromPw1@…". Now each is refused (exit
// 1) saying what a database is given as, nothing is made, and no password
// is printed — by copy, by --database-path and DATABASE_PATH in every
// command, and by serve.
func TestURLsOfOtherSchemesAreRefusedWithTheirPasswordsMasked(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.db")
	seedHistory(t, storetest.Open(t, src), 3)
	work := t.TempDir()
	t.Chdir(work) // where a URL taken for a relative path was made
	dst := filepath.Join(t.TempDir(), "new.db")
	const password = "TypoPw123"
	for _, bad := range []string{
		"postgress://admin:" + password + "@db.example:5432/qwenproxy",
		"pg://admin:" + password + "@db.example/qwenproxy",
		"mysql://admin:" + password + "@x/db",
		"sqlite:postgress://admin:" + password + "@db.example/qwenproxy",
		"Postgres://admin:" + password + "@db.example/qwenproxy", // IsURL's schemes are lower case
		// A password pasted raw with a character that ends a URL in a
		// text (a quote, a backslash, a brace, a tab, a backtick, <>):
		// until 2026-12-06 printed from that character on.
		"postgress://admin:Ab1\"" + password + "@db.example/q",
		"postgress://admin:x\\" + password + "@db.example/q",
		"postgress://admin:{" + password + "}@db.example/q",
		"postgress://admin:x\t" + password + "@db.example/q",
		"postgress://admin:`" + password + "<>@db.example/q",
		// A PostgreSQL URL mistyped without its colon or a slash: until
		// 2026-12-06 a relative path, serve made its directories and
		// logged it.
		"postgresql:/admin:" + password + "@db.example/q",
		"postgres//admin:" + password + "@db.example/q",
		"sqlite:postgres:/admin:" + password + "@db.example/q",
	} {
		for _, args := range [][]string{
			{"copy", "--from", src, "--to", bad},
			{"copy", "--from", bad, "--to", "sqlite:" + dst},
			{"copy", "--from", bad, "--to", "postgres://admin:" + password + "@127.0.0.1:1/db", "--json"},
			{"stats", "--database-path", bad},
			{"keys", "add", "--name", "k", "--database-path", bad},
			{"serve", "--database-path", bad, "--port", "0"},
		} {
			out, errOut, code := runEnvOf(t, nil, args...)
			if code != 1 || out != "" || !strings.Contains(errOut, "not a SQLite file path") || !strings.Contains(errOut, "postgres://") {
				t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
			}
			if strings.Contains(out+errOut, password) {
				t.Errorf("%q printed the password: %q %q", args, out, errOut)
			}
		}
		for _, args := range [][]string{{"stats"}, {"keys", "add", "--name", "k"}, {"serve", "--port", "0"}} {
			out, errOut, code := runEnvOf(t, map[string]string{"DATABASE_PATH": bad}, args...)
			if code != 1 || out != "" || !strings.Contains(errOut, "DATABASE_PATH") || !strings.Contains(errOut, "not a SQLite file path") || strings.Contains(errOut, password) {
				t.Errorf("DATABASE_PATH=%s %q: exit %d, %q %q", bad, args, code, out, errOut)
			}
		}
	}
	if made := dirEntries(t, work); len(made) > 0 {
		t.Errorf("the refused commands made %v", made)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("a refused copy made its destination: %v", err)
	}
}

// Whatever a command's error echoes of a database's location goes out with
// a URL's password masked: a path that holds a URL further in is a path
// (no scheme begins it), and "no database at" it named the password.
func TestErrorsMaskAURLPasswordInALocation(t *testing.T) {
	t.Chdir(t.TempDir())
	const password = "FromPw1"
	path := "backups/postgress://admin:" + password + "@db.example/qwenproxy"
	for _, args := range [][]string{
		{"stats", "--database-path", path},
		{"sessions", "rm", "x", "--database-path", path},
		{"migrate", "status", "--database-path", path},
		{"copy", "--from", path, "--to", "sqlite:" + filepath.Join(t.TempDir(), "b.db")},
	} {
		out, errOut, code := runEnvOf(t, nil, args...)
		if code != 1 || !strings.Contains(errOut, "no database at backups/postgress://admin:") || strings.Contains(out+errOut, password) {
			t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
		}
	}
}

// A path beginning with // is a POSIX path (/tmp/x.db on Linux), which
// SQLite was given as file://tmp/x.db and refused, "invalid uri authority:
// tmp", after an empty file was made at it. And sqlite://x.db, which as
// sqlite:PATH is the file /x.db, made an empty file in / and failed so:
// it is refused, saying how to name a file, and nothing is made.
func TestADoubleSlashPathIsAFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.db")
	seedHistory(t, storetest.Open(t, src), 3)
	dir := t.TempDir()
	dst := filepath.Join(dir, "b.db")
	if out, errOut, code := runCopy(t, "--from", "/"+src, "--to", "/"+dst); code != 0 {
		t.Fatalf("copy --from //… --to //…: exit %d, %q %q", code, out, errOut)
	}
	for _, path := range []string{"/" + dst, "sqlite:" + dst} {
		out, errOut, code := runOn(t, path, "stats", "--json")
		var stats map[string]any
		if err := json.Unmarshal([]byte(out), &stats); code != 0 || err != nil {
			t.Fatalf("stats --database-path %s: exit %d, %v %q %q", path, code, err, out, errOut)
		}
	}
	keys := filepath.Join(dir, "keys.db")
	if out, errOut, code := runOn(t, "/"+keys, "keys", "add", "--name", "k"); code != 0 {
		t.Fatalf("keys add on a new //… file: exit %d, %q %q", code, out, errOut)
	}
	if out, _, code := runOn(t, keys, "keys", "ls", "--json"); code != 0 || !strings.Contains(out, `"name": "k"`) {
		t.Fatalf("the key is not in %s: exit %d, %q", keys, code, out)
	}

	var b [6]byte
	rand.Read(b[:])
	stray := "qwenproxy-test-stray-" + hex.EncodeToString(b[:]) + ".db"
	t.Cleanup(func() { os.Remove("/" + stray) })
	for _, to := range []string{"sqlite://" + stray, "sqlite://" + filepath.Join(dir, "c.db")} {
		out, errOut, code := runCopy(t, "--from", src, "--to", to)
		if code != 1 || out != "" || !strings.Contains(errOut, "sqlite://… is not a SQLite path") || !strings.Contains(errOut, "sqlite:PATH") {
			t.Errorf("copy --to %s: exit %d, %q %q", to, code, out, errOut)
		}
	}
	out, errOut, code := runOn(t, "sqlite://"+stray, "keys", "add", "--name", "k")
	if code != 1 || !strings.Contains(errOut, "sqlite://… is not a SQLite path") {
		t.Errorf("keys add --database-path sqlite://…: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat("/" + stray); !os.IsNotExist(err) {
		t.Errorf("a refused sqlite:// made /%s: %v", stray, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); !os.IsNotExist(err) {
		t.Errorf("a refused sqlite:// made c.db: %v", err)
	}
}

// copy names the databases as they were given (sqlite:/tmp/a.db was printed
// /tmp/a.db), a PostgreSQL URL with its password masked, in its sentence
// and in --json's from and to.
func TestCopySaysFromAndToAsGiven(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.db")
	seedHistory(t, storetest.Open(t, src), 3)
	dst := filepath.Join(t.TempDir(), "b.db")
	out, errOut, code := runCopy(t, "--from", "sqlite:"+src, "--to", dst)
	if code != 0 || !strings.HasSuffix(out, " from sqlite:"+src+" to "+dst+"\n") {
		t.Fatalf("copy: exit %d, %q %q", code, out, errOut)
	}

	pg := storetest.PostgresSchema(t)
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	password, ok := u.User.Password()
	if !ok {
		t.Fatalf("the test database's URL %s has no password to mask", postgres.Redact(pg))
	}
	masked := postgres.Redact(pg)
	out, errOut, code = runCopy(t, "--from", "sqlite:"+src, "--to", pg, "--json")
	var got struct{ From, To string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 || got.From != "sqlite:"+src || got.To != masked {
		t.Fatalf("copy --json: exit %d, %+v, want from sqlite:%s to %s: %v %q", code, got, src, masked, err, errOut)
	}
	out, errOut, code = runCopy(t, "--from", pg, "--to", "sqlite:"+filepath.Join(t.TempDir(), "c.db"))
	if code != 0 || !strings.Contains(out, " from "+masked+" to sqlite:") || strings.Contains(out+errOut, ":"+password+"@") {
		t.Fatalf("copy from PostgreSQL: exit %d, %q %q", code, out, errOut)
	}
}

// An empty database path — `--database-path ""` (a script's unset
// variable), `sqlite:` alone, `copy --to sqlite:` — names no file, but was
// passed on to SQLite: serve and copy failed with `open store : create:
// open : no such file or directory`, the reading commands with `no
// database at  (…)`, none saying what was wrong. Each is refused (exit 1)
// saying the path is empty, before anything is opened or made.
func TestAnEmptyDatabasePathIsRefusedSayingSo(t *testing.T) {
	src := filepath.Join(t.TempDir(), "a.db")
	seedHistory(t, storetest.Open(t, src), 1)
	work := t.TempDir()
	t.Chdir(work) // where anything made of an empty path would go
	for _, empty := range []string{"", "sqlite:"} {
		for _, args := range [][]string{
			{"stats", "--database-path", empty},
			{"requests", "ls", "--database-path", empty},
			{"keys", "add", "--name", "k", "--database-path", empty},
			{"migrate", "up", "--database-path", empty},
			{"serve", "--database-path", empty, "--port", "0"},
			{"copy", "--from", src, "--to", "sqlite:" + strings.TrimPrefix(empty, "sqlite:")},
		} {
			out, errOut, code := runEnvOf(t, nil, args...)
			if code != 1 || out != "" || !strings.Contains(errOut, "empty") || strings.Contains(errOut, "no such file") {
				t.Errorf("%q: exit %d, %q %q", args, code, out, errOut)
			}
		}
	}
	out, errOut, code := runEnvOf(t, map[string]string{"DATABASE_PATH": "sqlite:"}, "serve", "--port", "0")
	if code != 1 || out != "" || !strings.Contains(errOut, "DATABASE_PATH") || !strings.Contains(errOut, "empty") {
		t.Errorf("DATABASE_PATH=sqlite: serve: exit %d, %q %q", code, out, errOut)
	}
	if made := dirEntries(t, work); len(made) > 0 {
		t.Errorf("the refused commands made %v", made)
	}
}
