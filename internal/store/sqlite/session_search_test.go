package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
)

// searchedMessages are first messages a session search must tell apart:
// letters in both cases (beyond ASCII too, the Kelvin sign and the long s
// that fold to ASCII letters), LIKE's own characters, the escape, FTS5's
// quote, texts shorter than a trigram (as sqlstore's test of PostgreSQL's
// index has them), and U+FFFD, which a search's NUL or bytes that are not
// UTF-8 stand for.
var searchedMessages = []string{
	"Refactor module 4999 of the billing service", "refactor MODULE 49990", "Refactor module 499 of the billing service",
	"100% done", "100 percent", "a_b c", "axb c", `back\slash`, "HÉLLO wörld", "héllo WÖRLD", "ab", "x", "",
	"Ünïcode straße", "STRASSE", "tabs\tand\nnewlines", "日本語のテキスト", "emoji 🙂 here",
	"\u212Aelvin and ſtraße", `say "hi" now`, "ΣΊΣΥΦΟΣ", "σίσυφος",
	"bad \uFFFDllo byte",
}

var sessionSearches = []string{
	"module 4999", "MODULE 499", "refactor", "%", "100%", "_", "a_b", `\`, `k\s`, "ab", "x", "é", "É", "héllo", "HÉLLO WÖ",
	"straße", "STRASSE", "ß", "\t", "本語", "🙂", "zzz", "e", "of the billing",
	"kelvin", "\u212Aelvin", "ſtr", "STR", `"hi"`, `y "h`, "σίσυφος", "ΣΊΣΥΦΟΣ", "ab%", "a\\", "%d", "filler",
	"\xffllo", "\xff\xfello", "\x00llo", "\x00l",
}

func openSearchStore(t *testing.T, name string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), name), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func searchSessions(t *testing.T, st *sqlstore.Store, s string) []string {
	t.Helper()
	var ids []string
	o := qp.ListOptions{Limit: 100, NoTotal: true}
	for {
		res, err := st.ListSessions(context.Background(), qp.SessionFilter{Search: s}, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Items {
			ids = append(ids, r.ID)
		}
		if res.Next == nil {
			return ids
		}
		o.After = res.Next
	}
}

// The session search finds the same sessions through the trigram index of
// migration 0038 as by reading every first message, in the search's
// documented sense (a substring, every letter folded); a search of three
// characters or more reads the index.
func TestTheSessionSearchFindsTheSameSessionsByItsTrigrams(t *testing.T) {
	ctx := context.Background()
	st := openSearchStore(t, "search.db")
	start := time.Date(2026, 4, 9, 22, 40, 0, 0, time.UTC)
	var sessions []qp.Session
	for i := range 40 * len(searchedMessages) {
		at := start.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: fmt.Sprint("s", i), ChatID: fmt.Sprint("chat-", i), Model: "qwen3-max",
			FirstUserMessage: searchedMessages[i%len(searchedMessages)], MessageCount: 2, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)})
	}
	// Sessions enough that each searched message's are fewer than a
	// twentieth of them, and a search that most of them hold.
	for i := range 4000 {
		at := start.Add(-time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: fmt.Sprint("f", i), ChatID: fmt.Sprint("chat-f", i), Model: "qwen3-max",
			FirstUserMessage: "--- filler", MessageCount: 2, CreatedAt: at, LastAccessed: at, ExpiresAt: at.Add(time.Hour)})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions}); err != nil {
		t.Fatal(err)
	}
	indexed := map[string][]string{}
	for _, s := range sessionSearches {
		indexed[s] = searchSessions(t, st, s)
		cond, args, err := dialect{}.SessionSearch(ctx, st.DB(), s)
		if err != nil {
			t.Fatal(err)
		}
		plan := queryPlan(t, st, `SELECT id FROM sessions WHERE `+cond+` ORDER BY created_at DESC, rowid DESC LIMIT 51`, args)
		if uses, want := strings.Contains(plan, "session_search VIRTUAL TABLE"), len([]rune(s)) >= 3 && s != "filler"; uses != want {
			t.Errorf("search %q: the trigram index used: %v, want %v\n%s", s, uses, want, plan)
		}
	}
	for s, n := range map[string]int{"module 4999": 80, "100%": 40, "zzz": 0, "kelvin": 0, "\u212Aelvin": 40, "ſtr": 120,
		`"hi"`: 40, "σίσυφος": 80, "ab%": 0, "a_b": 40, `k\s`: 40, "filler": 4000, "\xff\xfello": 40, "\x00llo": 40} {
		if len(indexed[s]) != n {
			t.Errorf("search %q found %d sessions, want %d", s, len(indexed[s]), n)
		}
	}
	narrowSessionSearch = false
	defer func() { narrowSessionSearch = true }()
	for _, s := range sessionSearches {
		if got := searchSessions(t, st, s); !slices.Equal(got, indexed[s]) {
			t.Errorf("search %q: %d sessions by reading every first message, %d by the index", s, len(got), len(indexed[s]))
		}
	}
}

func queryPlan(t *testing.T, st *sqlstore.Store, query string, args []any) string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// checkSearchIndex fails unless the trigram index holds each session once,
// under its first message as it is now (found by a phrase of the whole
// message's trigrams), and nothing else.
func checkSearchIndex(t *testing.T, st *sqlstore.Store, when string) {
	t.Helper()
	ctx := context.Background()
	var sessions, ids, orphans int
	if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM sessions), (SELECT COUNT(*) FROM session_search_ids),
		(SELECT COUNT(*) FROM session_search_ids WHERE session_id NOT IN (SELECT id FROM sessions))`).Scan(&sessions, &ids, &orphans); err != nil {
		t.Fatal(err)
	}
	if sessions != ids || orphans != 0 {
		t.Errorf("%s: %d sessions, %d in the index, %d of those gone", when, sessions, ids, orphans)
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT id, first_user_message FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	msgs := map[string]string{}
	for rows.Next() {
		var id, msg string
		if err := rows.Scan(&id, &msg); err != nil {
			t.Fatal(err)
		}
		msgs[id] = msg
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for id, msg := range msgs {
		var found []string
		rows, err := st.DB().QueryContext(ctx, `SELECT session_id FROM session_search_ids WHERE id IN
			(SELECT rowid FROM session_search WHERE session_search MATCH ?)`, `"`+strings.ReplaceAll(string(appendFolded(nil, msg)), `"`, `""`)+`"`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			found = append(found, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len([]rune(msg)) >= 3 && !slices.Contains(found, id) {
			t.Errorf("%s: session %s not found in the index by its first message %q (found %v)", when, id, msg, found)
		}
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO session_search (session_search, rank) VALUES ('integrity-check', 0)`); err != nil {
		t.Errorf("%s: %v", when, err)
	}
}

// The trigram index follows every write of the sessions: a first message
// renamed by a later state, a session deleted, the sessions retention
// leaves empty, a copy into another database, and a VACUUM (which may
// renumber the sessions' rowids).
func TestTheSessionSearchIndexKeepsInStepWithTheSessions(t *testing.T) {
	ctx := context.Background()
	st := openSearchStore(t, "src.db")
	at := time.UnixMilli(time.Now().Add(-2 * time.Hour).UnixMilli())
	var sessions []qp.Session
	var calls []qp.Exchange
	for i := range 30 {
		id := fmt.Sprint("s", i)
		t0 := at.Add(time.Duration(i) * time.Minute)
		sessions = append(sessions, qp.Session{ID: id, ChatID: "chat-" + id, Model: "qwen3-max",
			FirstUserMessage: fmt.Sprintf("Tâche numéro %d", i), MessageCount: 2, CreatedAt: t0, LastAccessed: t0, ExpiresAt: t0.Add(time.Hour)})
		calls = append(calls, qp.Exchange{
			Request: qp.Request{RequestID: "req-" + id, SessionID: id, Timestamp: t0, Method: "POST", Path: "/v1/chat/completions",
				Model: "qwen3-max", OpenAIRequest: []byte(`{"n":1}`)},
			Response: qp.Response{ResponseID: "resp-" + id, Timestamp: t0.Add(time.Second), Status: qp.StatusSuccess, HTTPStatus: 200,
				Duration: time.Second, OpenAIResponse: []byte(`{"id":"x"}`)},
		})
	}
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: sessions, Exchanges: calls}); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, st, "written")

	renamed := sessions[20]
	renamed.FirstUserMessage, renamed.MessageCount, renamed.LastAccessed = "Renommée: ÉTAPE suivante", 4, renamed.LastAccessed.Add(time.Second)
	kept := sessions[21]
	kept.FirstUserMessage, kept.MessageCount, kept.LastAccessed = "", 4, kept.LastAccessed.Add(time.Second)
	if err := st.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{renamed, kept}}); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, st, "renamed")
	if got := searchSessions(t, st, "étape SUIV"); !slices.Equal(got, []string{"s20"}) {
		t.Errorf("the renamed session's search found %v", got)
	}
	if got := searchSessions(t, st, "numéro 20"); got != nil {
		t.Errorf("the renamed session's old name found %v", got)
	}
	if got := searchSessions(t, st, "NUMÉRO 21"); !slices.Equal(got, []string{"s21"}) {
		t.Errorf("a state without a first message kept %v", got)
	}

	if err := st.DeleteSession(ctx, "s25"); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, st, "deleted")
	if n, err := st.DeleteRequestsBefore(ctx, at.Add(10*time.Minute), 3, nil); err != nil || n != 10 {
		t.Fatalf("retention deleted %d calls: %v", n, err)
	}
	checkSearchIndex(t, st, "after retention")
	if got := searchSessions(t, st, "numéro 1"); !slices.Equal(got, []string{"s19", "s18", "s17", "s16", "s15", "s14", "s13", "s12", "s11", "s10"}) {
		t.Errorf("after retention the search found %v", got)
	}

	dst := openSearchStore(t, "dst.db")
	if _, err := sqlstore.Copy(ctx, st, dst, func(sqlstore.CopyProgress) {}); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, dst, "copied")
	if got := searchSessions(t, dst, "étape"); !slices.Equal(got, []string{"s20"}) {
		t.Errorf("the copy's search found %v", got)
	}

	if _, err := st.DB().ExecContext(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	checkSearchIndex(t, st, "vacuumed")
	if got := searchSessions(t, st, "numéro 2"); !slices.Equal(got, []string{"s29", "s28", "s27", "s26", "s24", "s23", "s22", "s21"}) {
		t.Errorf("after VACUUM the search found %v", got)
	}
}
