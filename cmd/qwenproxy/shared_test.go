package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"qwenproxy/internal/qwensim"
	"qwenproxy/internal/store/storetest"
)

// Two real `qwenproxy serve` processes on one PostgreSQL database, in front
// of one simulator: what runs behind a load balancer.
func TestTwoInstancesShareOnePostgresDatabase(t *testing.T) {
	dbURL := storetest.PostgresSchema(t)
	sim, err := qwensim.Start(qwensim.Options{EventDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	bin := buildBinary(t)
	a := startInstance(t, bin, dbURL, sim.URL)
	b := startInstance(t, bin, dbURL, sim.URL)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	t.Run("a conversation alternating between instances is threaded", func(t *testing.T) {
		chatsBefore := sim.Chats()
		var msgs []message
		var session string
		for i, inst := range []string{a, b, a, b} {
			msgs = append(msgs, message{"user", fmt.Sprintf("Turn %d.", i+1)})
			answer, sid := chat(t, inst, msgs, "")
			if session != "" && sid != session {
				t.Fatalf("turn %d moved from session %s to %s", i+1, session, sid)
			}
			session = sid
			msgs = append(msgs, message{"assistant", answer})
		}
		last := msgs[len(msgs)-1].Content
		if want := `You said: "Turn 4.". Earlier you said: "Turn 1."; "Turn 2."; "Turn 3.". Earlier answers of mine: 3.`; last != want {
			t.Fatalf("last answer %q, want %q", last, want)
		}
		if n := sim.Chats() - chatsBefore; n != 1 {
			t.Fatalf("%d Qwen chats for one conversation", n)
		}
	})

	t.Run("concurrent turns of one session are serialised across instances", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inst := []string{a, b}[i%2]
				chat(t, inst, []message{{"user", fmt.Sprintf("message %d", i)}}, "shared-across-instances")
			}()
		}
		wg.Wait()
		waitRecorded(t, db, "session_id = 'shared-across-instances'", n)
		// Every turn hung under the previous one: no attempt met a busy chat,
		// and the last answer remembers the n-1 turns before it.
		var attempts, newChats, parents int
		if err := db.QueryRow(`SELECT SUM(upstream_attempts), SUM(new_chat_attempts), COUNT(DISTINCT parent_id) FROM responses
			WHERE session_id = 'shared-across-instances' AND status = 'success'`).Scan(&attempts, &newChats, &parents); err != nil {
			t.Fatal(err)
		}
		if attempts != n || newChats != 1 || parents != n { // n completions and one chats/new
			t.Fatalf("%d upstream attempts, %d distinct parents for %d turns", attempts, parents, n)
		}
		var messages int
		if err := db.QueryRow(`SELECT message_count FROM sessions WHERE id = 'shared-across-instances'`).Scan(&messages); err != nil || messages != n {
			t.Fatalf("session has %d turns (%v), want %d", messages, err, n)
		}
	})

	t.Run("identical conversations never share a chat", func(t *testing.T) {
		const n = 8
		opening := []message{{"user", "Hello from everywhere."}}
		answers := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i], _ = chat(t, []string{a, b}[i%2], opening, "")
			}()
		}
		wg.Wait()
		// Every conversation continues, on the other instance, with the same
		// history as all the others: each must still get a chat of its own.
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				chat(t, []string{b, a}[i%2], append(opening, message{"assistant", answers[i]}, message{"user", "And again."}), "")
			}()
		}
		wg.Wait()
		waitRecorded(t, db, "session_id IN (SELECT id FROM sessions WHERE first_user_message = 'Hello from everywhere.')", 2*n)
		var sessions, chats int
		if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT chat_id) FROM sessions WHERE first_user_message = 'Hello from everywhere.'`).Scan(&sessions, &chats); err != nil {
			t.Fatal(err)
		}
		if sessions < n || chats != sessions {
			t.Fatalf("%d sessions on %d chats for %d conversations", sessions, chats, n)
		}
		var busy int
		if err := db.QueryRow(`SELECT COUNT(*) FROM responses WHERE status <> 'success' OR upstream_errors IS NOT NULL`).Scan(&busy); err != nil || busy != 0 {
			t.Fatalf("%d calls failed or retried (%v)", busy, err)
		}
	})
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// chat sends one non-streaming completion and returns the answer and the
// session id; sessionID, when set, names the session.
func chat(t *testing.T, base string, msgs []message, sessionID string) (string, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "qwen3-max", "messages": msgs})
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sessionID != "" {
		req.Header.Set("X-Session-Id", sessionID)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return "", ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Choices []struct{ Message message }
	}
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusOK || len(out.Choices) != 1 {
		t.Errorf("%s: %d %s", base, resp.StatusCode, raw)
		return "", ""
	}
	return out.Choices[0].Message.Content, resp.Header.Get("X-Session-Id")
}

// waitRecorded waits, bounded, until the recorders of both instances have
// written n calls matching where (they write behind the answers).
func waitRecorded(t *testing.T, db *sql.DB, where string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got int
		if err := db.QueryRow(`SELECT COUNT(*) FROM responses WHERE ` + where).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls recorded where %s, want %d", got, where, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startInstance runs `qwenproxy serve` on the PostgreSQL database in front
// of the simulator and returns its base URL.
func startInstance(t *testing.T, bin, dbURL, upstream string) string {
	t.Helper()
	dir := t.TempDir()
	_, addr := runServe(t, bin, []string{"--database-url", dbURL, "--qwen-base-url", upstream},
		"QWEN_TOKEN=test-token", "QWEN_COOKIES=test=1",
		"DATABASE_PATH="+filepath.Join(dir, "unused.db"), "RECORDER_SPOOL="+filepath.Join(dir, "recorder.spool"))
	return "http://" + addr
}
