package main

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
)

// A group whose calls produced no first token (refused before Qwen answered:
// every account resting) shows no time to first token in `stats`, not 0.0,
// which read as an instant first token; groups that had one show it.
func TestStatsShowNoFirstTokenTimeWhereNoneWasMeasured(t *testing.T) {
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	call := func(id, account string, firstToken time.Time, status string) qp.Exchange {
		return qp.Exchange{
			Request: qp.Request{RequestID: id, Timestamp: at, Method: "POST", Path: "/v1/chat/completions", Model: "qwen3-max", Account: account,
				OpenAIRequest: []byte(`{}`)},
			Response: qp.Response{ResponseID: "r" + id, Timestamp: at.Add(2 * time.Second), Status: status, HTTPStatus: 200,
				FirstTokenAt: firstToken, Duration: 2 * time.Second, OpenAIResponse: []byte(`{}`)},
		}
	}
	calls := []qp.Exchange{call("answered", "a@example.com", at.Add(300*time.Millisecond), qp.StatusSuccess),
		call("refused", "", time.Time{}, qp.StatusError)}
	db := historyOf(t, calls...)
	out, errOut, code := runCLI(t, db, "stats")
	if code != 0 {
		t.Fatalf("stats: %d %s", code, errOut)
	}
	last := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			last[strings.Join(f[:2], " ")] = f[len(f)-1]
		}
	}
	measured := func(v string) bool { n, err := strconv.ParseFloat(v, 64); return err == nil && n > 0 }
	if last["account (none)"] != "-" || !measured(last["account a@example.com"]) || !measured(last["all 2"]) {
		t.Fatalf("TTFT P50 of the refused calls %q, of the answered %q, of all %q:\n%s", last["account (none)"], last["account a@example.com"], last["all 2"], out)
	}
}

// With no call, `stats` shows no duration: its P50, P95 and P99 read 0.0, a
// figure no call had (the dashboard's cards showed "0.00 ms" alike).
func TestStatsOfNoCallsShowNoDuration(t *testing.T) {
	out, errOut, code := runCLI(t, historyOf(t), "stats")
	if code != 0 {
		t.Fatalf("stats: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if f := strings.Fields(lines[len(lines)-1]); len(lines) != 2 || strings.Join(f, " ") != "all 0 0.0% 0 0 - - - -" {
		t.Fatalf("stats of an empty history:\n%s", out)
	}
}

// `stats` over everything takes its percentiles from the rollups'
// histograms, within about 10 %: a P95 above the slowest call's duration
// (seen: 1584.2 ms for calls of at most 1453.6) read as a bug, as the table
// did not say so where --json says "percentiles": "approximate". It says so
// under the table; one session's, exact, say nothing.
func TestStatsTableSaysWhenItsPercentilesAreApproximate(t *testing.T) {
	db, session := populate(t)
	const note = "percentiles are approximate"
	out, errOut, code := runCLI(t, db, "stats")
	if code != 0 || !strings.Contains(out, note) {
		t.Fatalf("stats: exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, db, "stats", "--session", session)
	if code != 0 || strings.Contains(out, note) || !strings.Contains(out, "all") {
		t.Fatalf("stats --session: exit %d: %s%s", code, out, errOut)
	}
}

// historyOf is a migrated SQLite history holding calls, closed for the CLI
// to open.
func historyOf(t *testing.T, calls ...qp.Exchange) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "h.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteExchanges(ctx, calls); err != nil {
		t.Fatal(err)
	}
	return db
}
