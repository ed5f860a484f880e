package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/storetest"
)

// copiesIn counts the copies of secret in the database file db and in its
// -wal (a missing -wal holds none): what a reader of the files finds,
// whatever the tables say.
func copiesIn(t *testing.T, db, secret string) map[string]int {
	t.Helper()
	found := map[string]int{}
	for _, name := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte(secret)); n > 0 {
			found[filepath.Base(name)] = n
		}
	}
	return found
}

// holdOpen keeps a connection open on the database file, as an idle
// server's are: the command closing its own is then not the file's last,
// so SQLite leaves the -wal where it is (the last connection's close
// checkpoints and removes it), and what the command left in it shows.
func holdOpen(t *testing.T, db string) {
	t.Helper()
	h, err := sql.Open("sqlite", "file:"+db+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	var n int
	if err := h.QueryRow(`SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil {
		t.Fatal(err)
	}
}

// `credentials clear` erases the stored Cookie header from the database
// file and its -wal: deleted as SQLite deletes by default, the row stayed
// readable in the page's free space (`grep -a` found the login token
// without QWENPROXY_SECRET_KEY), and so did a longer cookie the set before
// had replaced. A server holding the file open (the -wal stays) is
// simulated by a connection held open.
func TestCredentialsClearErasesTheCookieFromTheFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	_, run := cliWithVars(db)
	jwt := "h.eyJleHAiOjE3OTkwMDAwMDB9.ERASEMEsig" // {"exp":1799000000}
	long := "token=" + jwt + "; cna=CLEARME333; pad=" + strings.Repeat("LONGPAD", 40)
	if code, out, errOut := run(long+"\n", "credentials", "set"); code != 0 {
		t.Fatalf("set: %d %s %s", code, out, errOut)
	}
	holdOpen(t, db)
	// Replaced by a shorter one, the longer is not left in the freed space.
	short := "token=" + jwt + "; cna=SHORT444"
	if code, out, errOut := run(short+"\n", "credentials", "set"); code != 0 {
		t.Fatalf("set again: %d %s %s", code, out, errOut)
	}
	for _, secret := range []string{"CLEARME333", "LONGPAD"} {
		if found := copiesIn(t, db, secret); len(found) > 0 {
			t.Errorf("after a shorter cookie replaced it, %q is still in %v", secret, found)
		}
	}
	if code, out, errOut := run("", "credentials", "clear"); code != 0 || !strings.Contains(out, "stored credentials cleared") {
		t.Fatalf("clear: %d %s %s", code, out, errOut)
	}
	for _, secret := range []string{"CLEARME333", "SHORT444", "ERASEMEsig", "LONGPAD"} {
		if found := copiesIn(t, db, secret); len(found) > 0 {
			t.Errorf("after credentials clear, %q is still in %v", secret, found)
		}
	}
}

// A process reading the database while `credentials clear` ends (a server
// beside it) keeps the -wal from being truncated: the credentials are
// cleared, a warning says the values may still be readable there, and
// `credentials clear` run again once the reader is done erases them.
func TestCredentialsClearSaysWhenAReaderKeepsTheWAL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	_, run := cliWithVars(db)
	if code, out, errOut := run("token=h.eyJleHAiOjE3OTkwMDAwMDB9.sig; cna=CLEARME333\n", "credentials", "set"); code != 0 {
		t.Fatalf("set: %d %s %s", code, out, errOut)
	}
	reading, n := readerOf(t, db, "qwen_credentials")
	if n != 1 {
		t.Fatalf("%d rows of credentials", n)
	}
	code, out, errOut := run("", "credentials", "clear", "--json")
	if code != 0 || !strings.Contains(out, `"cleared": true`) || !strings.Contains(out, `"erased": false`) ||
		!strings.Contains(errOut, "may still be readable") || !strings.Contains(errOut, "credentials clear` again") {
		t.Fatalf("clear beside a reader: %d %s %s", code, out, errOut)
	}
	if len(copiesIn(t, db, "CLEARME333")) == 0 {
		t.Log("the reader did not keep the value in the -wal") // what the warning allows, not what it promises
	}
	if err := reading.Rollback(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run("", "credentials", "clear", "--json")
	if code != 0 || !strings.Contains(out, `"cleared": false`) || !strings.Contains(out, `"erased": true`) || errOut != "" {
		t.Fatalf("clear again: %d %s %s", code, out, errOut)
	}
	if found := copiesIn(t, db, "CLEARME333"); len(found) > 0 {
		t.Errorf("after clear again, the cookie is still in %v", found)
	}
}

// `accounts rm` erases the removed account's sealed password and token, and
// `keys rm` the key's row, from the file and its -wal.
func TestAccountsAndKeysRemovalEraseTheirRows(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	vars, run := cliWithVars(db)
	vars["QWENPROXY_SECRET_KEY"] = key1
	if code, out, errOut := run("a-long-Passw0rd-to-erase\n", "accounts", "add", "--email", "gone@example.com"); code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	code, out, errOut := run("", "keys", "add", "--name", "erase-me-key", "--json")
	if code != 0 {
		t.Fatalf("keys add: %d %s %s", code, out, errOut)
	}
	holdOpen(t, db)
	st := storetest.Open(t, db)
	recs, err := st.Accounts(context.Background(), qp.DefaultUpstream)
	if err != nil || len(recs) != 1 {
		t.Fatalf("accounts: %v %v", recs, err)
	}
	sealed := recs[0].PasswordSealed
	// A token as a sign-in shares it (sealed too; a fake here).
	token := "SEALEDTOKEN" + strings.Repeat("x", 64)
	if err := st.SaveAccountToken(context.Background(), "gone@example.com", qp.DefaultUpstream, token, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err := st.APIKeys(context.Background())
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	hash := keys[0].Hash
	st.Close()
	if code, out, errOut := run("", "accounts", "rm", "gone@example.com"); code != 0 {
		t.Fatalf("rm: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run("", "keys", "rm", keys[0].ID); code != 0 {
		t.Fatalf("keys rm: %d %s %s", code, out, errOut)
	}
	for what, secret := range map[string]string{"sealed password": sealed, "token": token, "key hash": hash} {
		if found := copiesIn(t, db, secret); len(found) > 0 {
			t.Errorf("after its removal, the %s is still in %v", what, found)
		}
	}
}

// `history redact` leaves no copy of what it masked in the file or its
// -wal: the old versions of a session's row and of its calls' bodies that
// a server's ordinary rewrites freed (without secure_delete) stayed in the
// free space of live pages, which the rewrite's own secure_delete never
// reaches, and a second run ("rewrote 0") left them too.
func TestHistoryRedactLeavesNoCopyInTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	const secret = "remember 42"
	recordSession(t, db, secret)
	holdOpen(t, db) // as a server started again would
	for run := 1; run <= 2; run++ {
		out, errOut, code := runCLIInput(t, db, nil, secret+"\n", "history", "redact", "--database-path", db)
		if code != 0 || !strings.Contains(out, "no copy of what was masked is left") {
			t.Fatalf("run %d: exit %d: %s %s", run, code, out, errOut)
		}
		if found := copiesIn(t, db, secret); len(found) > 0 {
			t.Errorf("run %d: %q is still in %v\n%s%s", run, secret, found, out, errOut)
		}
	}
	if out, _, code := runCLI(t, db, "export"); code != 0 || strings.Contains(out, secret) || !strings.Contains(out, "[REDACTED]") {
		t.Errorf("export after redact: %d %s", code, out)
	}
}

// A process reading the database while `history redact` ends (a server
// answering a history read) keeps the WAL from being checkpointed: the
// command masks the history, but says that copies may remain (a warning,
// "erased": false and why), and run again once the reader is done, it
// erases them.
func TestHistoryRedactSaysWhenAReaderKeepsTheCopies(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	const secret = "remember 42"
	recordSession(t, db, secret)
	reading, _ := readerOf(t, db, "sessions")
	out, errOut, code := runCLIInput(t, db, nil, secret+"\n", "history", "redact", "--database-path", db, "--json")
	var got struct {
		Rewritten    int    `json:"rewritten"`
		Erased       bool   `json:"erased"`
		EraseProblem string `json:"erase_problem"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Rewritten != 4 || got.Erased || got.EraseProblem == "" ||
		!strings.Contains(errOut, "may still be readable") || !strings.Contains(errOut, "run this command again") {
		t.Fatalf("redact beside a reader: exit %d: %s %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, secret) {
		t.Errorf("the command printed the secret: %s %s", out, errOut)
	}
	if err := reading.Rollback(); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCLIInput(t, db, nil, secret+"\n", "history", "redact", "--database-path", db, "--json")
	got.EraseProblem = ""
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !got.Erased || got.EraseProblem != "" || errOut != "" {
		t.Fatalf("redact again: exit %d: %s %q", code, out, errOut)
	}
	if found := copiesIn(t, db, secret); len(found) > 0 {
		t.Errorf("%q is still in %v", secret, found)
	}
}

// recordSession has `qwenproxy serve --mock-upstream` record, on db, a
// session of several turns whose first message is secret, writing its row
// and its calls' rows again after each, and stops it; the old versions of
// those rows are then left in the file's free space (leaveOldVersions).
func recordSession(t *testing.T, db, secret string) {
	t.Helper()
	cmd, addr := startBinary(t, buildBinary(t), db)
	msgs := []message{{Role: "user", Content: secret}}
	for turn := 1; turn <= 4; turn++ {
		answer, _ := chat(t, "http://"+addr, msgs, "erase-session")
		msgs = append(msgs, message{Role: "assistant", Content: answer}, message{Role: "user", Content: fmt.Sprintf("turn %d", turn)})
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if len(copiesIn(t, db, secret)) == 0 {
		t.Fatal("the server recorded no copy of the message: nothing to test")
	}
	leaveOldVersions(t, db, secret, "sessions", "request_bodies", "response_bodies")
}

// leaveOldVersions rewrites, in tables, every row whose text holds secret
// as a server's ordinary writes do (a row written again at another size,
// SQLite's secure_delete off): each row's old version is left in the free
// space of its page, where a reader of the file finds it.
func leaveOldVersions(t *testing.T, db, secret string, tables ...string) {
	t.Helper()
	h, err := sql.Open("sqlite", "file:"+db+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	left := 0
	for _, table := range tables {
		rows, err := h.Query(`SELECT name FROM pragma_table_info(?) WHERE type IN ('TEXT', 'BLOB')`, table)
		if err != nil {
			t.Fatal(err)
		}
		var columns []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			columns = append(columns, c)
		}
		rows.Close()
		for _, c := range columns {
			// Grown, then put back: two writes of the row at another size.
			where := fmt.Sprintf(`WHERE instr(CAST(%s AS BLOB), CAST(? AS BLOB)) > 0`, c)
			res, err := h.Exec(fmt.Sprintf(`UPDATE %s SET %s = CASE typeof(%s) WHEN 'blob' THEN CAST(%s || ? AS BLOB) ELSE %s || ? END %s`, table, c, c, c, c, where), strings.Repeat(" ", 300), strings.Repeat(" ", 300), secret)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := res.RowsAffected()
			left += int(n)
			if _, err := h.Exec(fmt.Sprintf(`UPDATE %s SET %s = substr(%s, 1, length(%s) - 300) %s`, table, c, c, c, where), secret); err != nil {
				t.Fatal(err)
			}
		}
	}
	if left == 0 {
		t.Fatalf("no row of %v holds %q", tables, secret)
	}
}

// runCLIInput runs the CLI with stdin, DATABASE_PATH db and vars.
func runCLIInput(t *testing.T, db string, vars map[string]string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := func(k string) string {
		if k == "DATABASE_PATH" {
			return db
		}
		return vars[k]
	}
	code := runWithInput(context.Background(), args, env, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// readerOf is a server's reader beside a command: a read transaction on
// the SQLite file db, open (its snapshot held, from a count of table's
// rows, which it returns) until the test rolls it back or ends.
func readerOf(t *testing.T, db, table string) (*sql.Tx, int) {
	t.Helper()
	h, err := sql.Open("sqlite", "file:"+db+"?mode=rw&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	reading, err := h.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reading.Rollback() })
	var n int
	if err := reading.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return reading, n
}

// A session deleted while the server runs leaves no copy of its messages in
// the database file: the server's own connections write under
// secure_delete=FAST, which zeroes the cells a delete (or a row written
// again) frees in the pages it writes anyway, where SQLite by default left
// their bytes in the page's free space for any reader of the file.
func TestDeletedSessionLeavesNoCopyInTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	const secret = "remember 42"
	cmd, addr := startBinary(t, buildBinary(t), db)
	base := "http://" + addr
	msgs := []message{{Role: "user", Content: secret}}
	var session string
	for turn := 1; turn <= 3; turn++ {
		var answer string
		answer, session = chat(t, base, msgs, "erase-deleted")
		msgs = append(msgs, message{Role: "assistant", Content: answer}, message{Role: "user", Content: fmt.Sprintf("turn %d", turn)})
	}
	if session == "" {
		t.Fatal("no X-Session-Id on the answers")
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/v1/sessions/"+session, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"deleted":true`) {
		t.Fatalf("DELETE /v1/sessions/%s: %d %s", session, resp.StatusCode, raw)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if found := copiesIn(t, db, secret); len(found) > 0 {
		t.Errorf("%q is still in %v after its session was deleted", secret, found)
	}
}
