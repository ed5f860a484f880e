package e2e

import (
	"strings"
	"testing"

	"qwenproxy/internal/config"
	"qwenproxy/internal/qwensim"
)

// A Chat Completions client that sends its conversation again, asking its
// last turn anew (a regenerate, a retry of a call answered meanwhile), is
// asked in place of the session's latest turn, in its chat, hung where that
// turn hung — after the proxy restarted on its SQLite file, and on another
// instance sharing the PostgreSQL database than the one that answered that
// turn. What the turn came with was kept in memory alone: the repeat opened
// a session of its own and replayed the whole conversation into a new chat.
func TestChatRepeatGoesOnInItsSessionAfterRestartAndOnAnotherInstance(t *testing.T) {
	for _, mode := range []string{"restart", "shared"} {
		t.Run(mode, func(t *testing.T) { chatRepeatGoesOnInItsSession(t, mode) })
	}
}

func chatRepeatGoesOnInItsSession(t *testing.T, mode string) {
	var first, repeats *env
	switch mode {
	case "restart":
		first = start(t, nil)
		repeats = first
	case "shared":
		first = startOn(t, "postgres", nil)
		repeats = startOnWith(t, "postgres", qwensim.Options{}, func(c *config.Config) {
			c.QwenBaseURL, c.DatabaseURL = first.sim.URL, first.cfg.DatabaseURL
		})
		repeats.sim = first.sim
	}
	u1 := "my dog is Rex"
	a1, _, session := chatTurnCall(t, first, []map[string]string{{"role": "user", "content": u1}}, nil)
	asked := []map[string]string{{"role": "user", "content": u1}, {"role": "assistant", "content": a1}, {"role": "user", "content": "what is his name?"}}
	_, lost, s2 := chatTurnCall(t, first, asked, nil)
	if s2 != session {
		t.Fatalf("the second turn went to session %s, not %s", s2, session)
	}
	first.sync()
	if mode == "restart" {
		first.restart()
	}

	again, repeat, s3 := chatTurnCall(t, repeats, asked, nil)
	if s3 != session {
		t.Fatalf("the repeat went to session %s, not %s", s3, session)
	}
	up := upstreamCompletions(t, first.sim)
	chats := completionChats(first.sim)
	if len(up) != 3 || chats[2] != chats[1] || up[2]["parent_id"] != up[1]["parent_id"] {
		t.Fatalf("the repeat was not asked where the turn it repeats was: %d completions, chats %v, parents %v", len(up), chats, parentsOf(up))
	}
	if told := lastUpstreamMessage(t, first); told != "what is his name?" {
		t.Fatalf("upstream was told %q, not the repeated turn alone", told)
	}

	// The conversation goes on from the repeat's answer, in the session.
	goesOn := append(asked, map[string]string{"role": "assistant", "content": again}, map[string]string{"role": "user", "content": "thanks"})
	_, next, s4 := chatTurnCall(t, repeats, goesOn, nil)
	if s4 != session {
		t.Fatalf("the turn after the repeat went to session %s, not %s", s4, session)
	}
	if told := lastUpstreamMessage(t, first); strings.Contains(told, "[Earlier conversation") {
		t.Fatalf("the turn after the repeat was told the conversation again: %q", told)
	}
	repeats.sync()
	got := transcriptMarks(t, repeats, session)
	if got[lost] != [2]string{"", repeat} || got[repeat] != [2]string{lost, ""} || got[next] != [2]string{} {
		t.Errorf("transcript %v", got)
	}
	if n := repeats.count(`SELECT COUNT(*) FROM sessions`); n != 1 {
		t.Errorf("%d sessions for one conversation", n)
	}
}

// completionChats is the chat of each completion the simulator received.
func completionChats(sim *qwensim.Server) []string {
	var out []string
	for _, c := range sim.Calls() {
		if c.Endpoint == qwensim.EndpointCompletions {
			out = append(out, c.ChatID)
		}
	}
	return out
}
