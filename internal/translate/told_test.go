package translate

import (
	"encoding/json"
	qp "qwenproxy"
	"testing"

	"qwenproxy/internal/tools"
)

func toolSet(t *testing.T, raw, choice string) *tools.Set {
	t.Helper()
	set, err := tools.ParseSet(json.RawMessage(raw), json.RawMessage(choice))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestToldOfHashesWhatAChatIsTold(t *testing.T) {
	write := `[{"type":"function","function":{"name":"write","parameters":{"type":"object"}}}]`
	writeSpaced := `[{"type":"function","function":{"name":"write","parameters":{ "type" : "object" }}}]`
	read := `[{"type":"function","function":{"name":"read"}}]`
	sys := []qp.Message{msg("system", "Be brief."), msg("user", "hi")}
	a := ToldOf(sys, toolSet(t, write, `"auto"`))
	if a.System == "" || a.Tools == "" {
		t.Fatalf("%+v", a)
	}
	// tool_choice and JSON spacing are not what the chat is told.
	if b := ToldOf(sys, toolSet(t, writeSpaced, `"required"`)); b != a {
		t.Fatalf("%+v != %+v", b, a)
	}
	if b := ToldOf(sys, toolSet(t, read, `"auto"`)); b.Tools == a.Tools || b.System != a.System {
		t.Fatalf("other tools: %+v", b)
	}
	// tool_choice "none" declares no tools to the model.
	if b := ToldOf(sys, toolSet(t, write, `"none"`)); b.Tools != "" {
		t.Fatalf("none: %+v", b)
	}
	if b := ToldOf([]qp.Message{msg("user", "hi")}, nil); b != (Told{}) {
		t.Fatalf("nothing: %+v", b)
	}
}

func TestDecideWhenToTellAgain(t *testing.T) {
	s1, s2, t1, t2 := Told{System: "s1"}, Told{System: "s2"}, Told{Tools: "t1"}, Told{Tools: "t2"}
	both := Told{System: "s1", Tools: "t1"}
	cases := []struct {
		name            string
		newChat         bool
		told, now       Told
		tell, withdrawn bool
		next            Told
	}{
		{"a new chat is told", true, Told{}, both, true, false, both},
		{"a new chat without a system prompt", true, both, Told{}, true, false, Told{}},
		{"nothing changed", false, both, both, false, false, both},
		{"tools arrive (OpenCode's title call first)", false, s1, both, true, false, both},
		{"tools change", false, both, Told{System: "s1", Tools: "t2"}, true, false, Told{System: "s1", Tools: "t2"}},
		{"tools go", false, both, s1, true, true, s1},
		{"system prompt changes", false, both, Told{System: "s2", Tools: "t1"}, true, false, Told{System: "s2", Tools: "t1"}},
		{"no system prompt sent keeps the chat's", false, both, t1, false, false, both},
		{"no system prompt, other tools", false, both, t2, true, false, Told{System: "s1", Tools: "t2"}},
		{"a system prompt where there was none", false, Told{}, s2, true, false, s2},
	}
	for _, tc := range cases {
		tell, withdrawn, next := Decide(tc.newChat, tc.told, tc.now)
		if tell != tc.tell || withdrawn != tc.withdrawn || next != tc.next {
			t.Errorf("%s: tell %v withdrawn %v next %+v", tc.name, tell, withdrawn, next)
		}
	}
}
