package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// seedHistory writes n calls over 20 sessions, with bodies, failures, TTFTs
// and upstream errors, an API key and stored credentials.
func seedHistory(t *testing.T, st *sqlstore.Store, n int) {
	t.Helper()
	ctx := context.Background()
	base := time.UnixMilli(time.Now().Add(-48 * time.Hour).UnixMilli())
	var sessions []qp.Session
	for i := range 20 {
		at := base.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: fmt.Sprintf("s-%02d", i), ChatID: fmt.Sprintf("chat-%02d", i), ParentID: "p",
			Model: "qwen3-max", FirstUserMessage: fmt.Sprintf("conversation %d", i), MessageCount: 3, ConversationKey: fmt.Sprintf("k%d", i),
			CreatedAt: at, LastAccessed: at.Add(time.Hour), ExpiresAt: at.Add(2 * time.Hour)})
		if i%2 == 0 { // the last answer made tool calls
			sessions[i].LastCallIDs = []string{fmt.Sprintf("call_%02da", i), fmt.Sprintf("call_%02db", i)}
		}
	}
	var calls []qp.Exchange
	for i := range n {
		at := base.Add(time.Duration(i) * time.Second)
		ex := qp.Exchange{
			// Every fifth asked for a client's model name that MODEL_MAP
			// mapped: the response's model is the Qwen model that answered.
			Request: qp.Request{RequestID: fmt.Sprintf("req-%05d", i), SessionID: sessions[i%20].ID, Timestamp: at, Method: "POST",
				Path: "/v1/chat/completions", Model: []string{"qwen3-max", "qwen3-coder-plus", "qwen3-max", "qwen3-coder-plus", "claude-x"}[i%5], Stream: i%3 == 0,
				ClientIP: "127.0.0.1", UserAgent: "test", OpenAIRequest: []byte(fmt.Sprintf(`{"n":%d}`, i)), QwenRequest: []byte(`{"q":1}`)},
			Response: qp.Response{ResponseID: fmt.Sprintf("resp-%05d", i), Timestamp: at.Add(800 * time.Millisecond), Status: qp.StatusSuccess,
				HTTPStatus: 200, FinishReason: "stop", ChatID: "chat", ParentID: fmt.Sprintf("p%d", i), PromptTokens: i % 50,
				// Durations to the microsecond, as measured.
				CompletionTokens: 7, TotalTokens: i%50 + 7, FirstTokenAt: at.Add(1250 * time.Microsecond), Duration: 800*time.Millisecond + time.Duration(i)*time.Microsecond,
				UpstreamAttempts: 1, OpenAIResponse: []byte(`{"id":"x"}`), QwenResponse: []byte(`{"a":"b"}`)},
		}
		if ex.Request.Model == "claude-x" {
			ex.Response.Model = "qwen3-max"
		}
		if i%7 == 0 {
			ex.Response.Status, ex.Response.HTTPStatus, ex.Response.FinishReason = qp.StatusError, 502, ""
			ex.Response.ErrorType, ex.Response.ErrorMessage = qp.ErrorTypeUpstream, "upstream said no"
			ex.Response.UpstreamErrors, ex.Response.UpstreamAttempts = []string{"server 500", "server 502"}, 3
			ex.Response.FirstTokenAt = time.Time{}
		}
		calls = append(calls, ex)
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	_, key := auth.NewKey("ci", true, base)
	key.MaxConcurrent = 4 // the limit goes with the key
	if err := st.AddAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := st.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "tok", Cookies: "c=1", UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
}

// history is everything a store holds that a copy must carry, without the
// numeric ids each database assigns.
func history(t *testing.T, st *sqlstore.Store) (calls []qp.RequestRecord, sessions []qp.SessionRecord, stats *qp.Stats, keys []qp.APIKey) {
	t.Helper()
	ctx := context.Background()
	err := st.Export(ctx, qp.CallFilter{}, true, func(r *qp.RequestRecord) error {
		r.ID, r.Response.ID, r.Response.RequestID = 0, 0, 0
		calls = append(calls, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.ListSessions(ctx, qp.SessionFilter{}, qp.ListOptions{Limit: 1000, Asc: true})
	if err != nil {
		t.Fatal(err)
	}
	if stats, err = st.Stats(ctx, qp.StatsQuery{Bucket: "hour"}); err != nil {
		t.Fatal(err)
	}
	if keys, err = st.APIKeys(ctx); err != nil {
		t.Fatal(err)
	}
	return calls, page.Items, stats, keys
}

func runCopy(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"copy"}, args...), func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestCopySQLiteToPostgresResumes(t *testing.T) {
	const n = 1234 // three pages
	srcPath := storetest.URL(t, "sqlite")
	src := storetest.Open(t, srcPath)
	seedHistory(t, src, n)
	dstURL := storetest.PostgresSchema(t)
	dst := storetest.Open(t, dstURL)

	// A copy stopped after its first page (^C, a lost connection)…
	ctx, cancel := context.WithCancel(context.Background())
	_, err := sqlstore.Copy(ctx, src, dst, func(p sqlstore.CopyProgress) {
		if p.Calls >= 500 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("the interrupted copy reported success")
	}
	// Meanwhile a call that began before the copy's last one ends and is
	// recorded (it was never copied: resumed by start time, the copy had
	// passed it).
	began, err := src.Request(context.Background(), "req-00100") // copied: the first page held calls 0 to 499
	if err != nil {
		t.Fatal(err)
	}
	late := qp.Exchange{Request: qp.Request{RequestID: "req-late", SessionID: "s-00", Timestamp: began.Timestamp,
		Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max"},
		// It ended as the others did; it is recorded now.
		Response: qp.Response{ResponseID: "resp-late", Timestamp: began.Timestamp.Add(800 * time.Millisecond), Status: qp.StatusSuccess, HTTPStatus: 200,
			FinishReason: "stop", Duration: 800 * time.Millisecond}}
	if err := src.WriteExchanges(context.Background(), []qp.Exchange{late}); err != nil {
		t.Fatal(err)
	}
	const total = n + 1
	// …resumes where it stopped when run again.
	out, errOut, code := runCopy(t, "--from", "sqlite:"+srcPath, "--to", dstURL)
	// The sessions went first: the stopped copy had them all.
	if code != 0 || !strings.Contains(out, fmt.Sprintf("copied 0 sessions and %d calls (20 sessions and 500 calls already there)", total-500)) {
		t.Fatalf("copy: %d %q %q", code, out, errOut)
	}
	wantCalls, wantSessions, wantStats, wantKeys := history(t, src)
	// Every read gives the model that answered (the export gave the
	// request's), and the time to the microsecond.
	for _, c := range wantCalls {
		if c.Model == "claude-x" && c.Response.Model != "qwen3-max" {
			t.Fatalf("call %s: the response's model is %q, want the answering qwen3-max", c.RequestID, c.Response.Model)
		}
	}
	calls, sessions, stats, keys := history(t, dst)
	if len(calls) != total || !reflect.DeepEqual(calls, wantCalls) {
		t.Fatalf("%d calls copied; first differing: %s", len(calls), firstDiff(calls, wantCalls))
	}
	called := 0 // sessions whose last answer made calls: their ids are copied
	for i := range wantSessions {
		if len(wantSessions[i].LastCallIDs) == 2 {
			called++
		}
	}
	if called != 10 {
		t.Fatalf("the source holds %d sessions with their last answer's call ids, want 10", called)
	}
	for i := range sessions {
		if !reflect.DeepEqual(sessions[i].Session, wantSessions[i].Session) || sessions[i].RequestCount != wantSessions[i].RequestCount {
			t.Fatalf("session %d: %+v, want %+v", i, sessions[i], wantSessions[i])
		}
	}
	if len(sessions) != len(wantSessions) || !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("sessions %d/%d, keys %v / %v", len(sessions), len(wantSessions), keys, wantKeys)
	}
	if d := statsDiff(stats, wantStats); d != "" {
		t.Fatalf("the copy's statistics differ from the source's: %s", d)
	}
	if c, err := dst.QwenCredentials(context.Background()); err != nil || c.Token != "tok" {
		t.Fatalf("credentials: %+v %v", c, err)
	}

	// The history commands read the PostgreSQL database through DATABASE_URL
	// or --database-url.
	var out2, errOut2 bytes.Buffer
	env := func(k string) string {
		if k == "DATABASE_URL" {
			return dstURL
		}
		return ""
	}
	if code := run(context.Background(), []string{"stats", "--json"}, env, &out2, &errOut2); code != 0 ||
		!strings.Contains(out2.String(), fmt.Sprintf(`"total_responses": %d`, total)) {
		t.Fatalf("stats on PostgreSQL: %d %s %s", code, out2.String(), errOut2.String())
	}
	out2.Reset()
	if code := run(context.Background(), []string{"migrate", "status", "--database-url", dstURL}, env, &out2, &errOut2); code != 0 ||
		strings.Contains(out2.String(), "pending") || !strings.Contains(out2.String(), "0003_api_keys") {
		t.Fatalf("migrate status on PostgreSQL: %d %s %s", code, out2.String(), errOut2.String())
	}
	if code := run(context.Background(), []string{"sessions", "--database-url", "mysql://x"}, env, &out2, &errOut2); code == 0 ||
		!strings.Contains(errOut2.String(), "postgres://") {
		t.Fatalf("a non-PostgreSQL URL: %d %s", code, errOut2.String())
	}

	// Run once more: nothing is written twice.
	out, _, code = runCopy(t, "--from", srcPath, "--to", dstURL, "--json")
	if code != 0 || !strings.Contains(out, fmt.Sprintf(`"already_copied": %d`, total)) || !strings.Contains(out, `"sessions": 0,`) ||
		!strings.Contains(out, `"sessions_already_copied": 20`) {
		t.Fatalf("second copy: %d %s", code, out)
	}
	if calls, _, _, _ := history(t, dst); len(calls) != total {
		t.Fatalf("%d calls after copying twice", len(calls))
	}

	// And back, into a new SQLite file: the same history again.
	back := filepath.Join(t.TempDir(), "back.db")
	if out, errOut, code := runCopy(t, "--from", dstURL, "--to", "sqlite:"+back); code != 0 {
		t.Fatalf("copy back: %d %s %s", code, out, errOut)
	}
	calls, _, stats, _ = history(t, storetest.Open(t, back))
	if !reflect.DeepEqual(calls, wantCalls) || !reflect.DeepEqual(stats, wantStats) {
		t.Fatalf("copied back: %d calls; first differing: %s", len(calls), firstDiff(calls, wantCalls))
	}
}

func firstDiff(got, want []qp.RequestRecord) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("#%d\n got %+v %+v\nwant %+v %+v", i, got[i], got[i].Response, want[i], want[i].Response)
		}
	}
	return "(lengths differ)"
}

// statsDiff names the first group whose statistics differ, or "".
func statsDiff(got, want *qp.Stats) string {
	if got.Approximate != want.Approximate {
		return fmt.Sprintf("approximate %v, want %v", got.Approximate, want.Approximate)
	}
	for _, part := range []struct {
		name      string
		got, want []qp.StatsGroup
	}{{"totals", []qp.StatsGroup{got.Totals}, []qp.StatsGroup{want.Totals}},
		{"by model", got.ByModel, want.ByModel}, {"by account", got.ByAccount, want.ByAccount}, {"by bucket", got.ByBucket, want.ByBucket}} {
		if len(part.got) != len(part.want) {
			return fmt.Sprintf("%s: %d groups, want %d", part.name, len(part.got), len(part.want))
		}
		for i := range part.got {
			if !reflect.DeepEqual(part.got[i], part.want[i]) {
				return fmt.Sprintf("%s:\n got %+v\nwant %+v", part.name, part.got[i], part.want[i])
			}
		}
	}
	return ""
}

func TestCopyRejectsBadArguments(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.db")
	for _, args := range [][]string{
		nil,
		{"--from", "a.db"},
		{"--from", "sqlite:x.db", "--to", "sqlite:x.db"},
		{"--from", "sqlite:" + missing, "--to", filepath.Join(t.TempDir(), "dst.db")},
	} {
		if _, errOut, code := runCopy(t, args...); code == 0 || errOut == "" {
			t.Errorf("copy %v: exit %d, %q", args, code, errOut)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("copy from a missing file created it: %v", err)
	}
}

// A destination that is the source by another name — "sqlite:" or not, a
// link, another path — or one of its own files (its -wal, which SQLite
// would have made a database of its own) is refused, and nothing is made.
func TestCopyRefusesTheSourceUnderAnotherName(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "history.db")
	seedHistory(t, storetest.Open(t, src), 3)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{src, "sqlite:" + link, "sqlite:" + filepath.Join(dir, ".", "history.db"), src + "-wal", "sqlite:" + src + "-journal"} {
		out, errOut, code := runCopy(t, "--from", "sqlite:"+src, "--to", to)
		if code != 1 || out != "" || !strings.Contains(errOut, "--from and --to name the same database") {
			t.Errorf("copy --to %s: exit %d, %q %q", to, code, out, errOut)
		}
	}
	if _, err := os.Stat(src + "-journal"); !os.IsNotExist(err) {
		t.Errorf("a refused copy made %s-journal: %v", src, err)
	}
}

// copy never changes its source: a SQLite file at an older schema (the copy
// kept from before an upgrade, as the README advises) is copied from a
// migrated snapshot, and stays at its schema. It was migrated in place, so
// the earlier version refused it afterwards ("migrated by a newer
// qwenproxy"): the way back was gone.
func TestCopyLeavesAnOlderSourceAsItWas(t *testing.T) {
	src := filepath.Join(t.TempDir(), "before-upgrade.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	// As the version before migration 0013 left it.
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN last_call_ids`, `DELETE FROM schema_migrations WHERE version = 13`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	dst := filepath.Join(t.TempDir(), "new.db")
	if out, errOut, code := runCopy(t, "--from", "sqlite:"+src, "--to", "sqlite:"+dst); code != 0 {
		t.Fatalf("copy: exit %d, %q %q", code, out, errOut)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var migrated, column int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM schema_migrations WHERE version = 13),
		(SELECT COUNT(*) FROM pragma_table_info('sessions') WHERE name = 'last_call_ids')`).Scan(&migrated, &column); err != nil {
		t.Fatal(err)
	}
	if migrated != 0 || column != 0 {
		t.Errorf("copy migrated its source (migration 13 recorded: %d, its column: %d)", migrated, column)
	}
	got := storetest.Open(t, dst)
	page, err := got.ListRequests(context.Background(), qp.CallFilter{}, qp.ListOptions{Limit: 100, Bodies: true})
	if err != nil || len(page.Items) != 30 || string(page.Items[0].OpenAIRequest) != `{"n":29}` {
		t.Fatalf("the copy holds %d calls: %v", len(page.Items), err)
	}
}

// An older PostgreSQL source, which instances of the earlier version may be
// using, is refused rather than migrated under them.
func TestCopyRefusesAnOlderPostgresSource(t *testing.T) {
	srcURL := storetest.PostgresSchema(t)
	st := storetest.Open(t, srcURL)
	seedHistory(t, st, 3)
	for _, q := range []string{`ALTER TABLE sessions DROP COLUMN last_call_ids`, `DELETE FROM schema_migrations WHERE version = 13`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	out, errOut, code := runCopy(t, "--from", srcURL, "--to", "sqlite:"+filepath.Join(t.TempDir(), "new.db"))
	if code != 1 || !strings.Contains(errOut, "migrate up") || !strings.Contains(errOut, "does not change its source") {
		t.Errorf("copy from an older PostgreSQL: exit %d, %q %q", code, out, errOut)
	}
	status, err := st.MigrationStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range status {
		if m.Version == 13 && !m.AppliedAt.IsZero() {
			t.Error("copy migrated its PostgreSQL source")
		}
	}
}

// The move to PostgreSQL as it goes: a SQLite history copied, instances
// started on the copy (they record calls of their own), and the old server
// still recording until it stops; the same copy run again catches up. It
// resumed after the destination's newest call, which was an instance's, not
// the source's: it read the whole source again and said it had copied every
// call, none of them already there.
func TestCopyCatchesUpWhileInstancesWriteTheDestination(t *testing.T) {
	const n = 1234
	srcPath := storetest.URL(t, "sqlite")
	src := storetest.Open(t, srcPath)
	seedHistory(t, src, n)
	dstURL := storetest.PostgresSchema(t)
	dst := storetest.Open(t, dstURL)
	if out, errOut, code := runCopy(t, "--from", "sqlite:"+srcPath, "--to", dstURL); code != 0 {
		t.Fatalf("copy: %d %s %s", code, out, errOut)
	}
	now := time.UnixMilli(time.Now().UnixMilli())
	call := func(id string) qp.Exchange {
		return qp.Exchange{Request: qp.Request{RequestID: "req-" + id, SessionID: "s-00", Timestamp: now, Method: "POST",
			Path: "/v1/chat/completions", Model: "qwen3-max"},
			Response: qp.Response{ResponseID: "resp-" + id, Timestamp: now.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				FinishReason: "stop", Duration: time.Second}}
	}
	// An instance on PostgreSQL records a call; the old server records three.
	if err := dst.WriteExchanges(context.Background(), []qp.Exchange{call("instance")}); err != nil {
		t.Fatal(err)
	}
	if err := src.WriteExchanges(context.Background(), []qp.Exchange{call("old-1"), call("old-2"), call("old-3")}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCopy(t, "--from", "sqlite:"+srcPath, "--to", dstURL)
	if want := fmt.Sprintf("copied 0 sessions and 3 calls (20 sessions and %d calls already there)", n); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("catching up: %d %q %q, want %q", code, out, errOut, want)
	}
	calls, _, _, _ := history(t, dst)
	if len(calls) != n+4 {
		t.Fatalf("%d calls in the destination, want the %d copied and the instance's", len(calls), n+4)
	}
}
