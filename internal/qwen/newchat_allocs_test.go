package qwen

import (
	"os"
	"testing"
)

// TestANewChatsAnswerIsReadForItsIDAlone: reading the recorded answer to
// chats/new costs one allocation, the chat's id; its request_id, read only
// to be checked, is refused exactly when str would refuse it.
func TestANewChatsAnswerIsReadForItsIDAlone(t *testing.T) {
	recorded, err := os.ReadFile("../../testdata/qwen/chats-new.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { decodeNewChat(recorded) }); n != 1 {
		t.Errorf("%v allocations", n)
	}
	for _, v := range []string{
		`"b99efb17"`, `""`, `"a\u00e9\n"`, `"\u00"`, `"\x"`, "\"\xff\"", "\"caf\xc3\xa9\"",
		"\"a\x01\"", `"a`, `1`, `null`,
	} {
		p, q := scanner{b: []byte(v)}, scanner{b: []byte(v)}
		_, want := p.str()
		if got := q.checkStr(); got != want || q.i != p.i {
			t.Errorf("%s: checkStr %v at %d, str %v at %d", v, got, q.i, want, p.i)
		}
	}
}
