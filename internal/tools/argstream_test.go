package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

// feedEvents streams answer in pieces of n bytes through a filter.
func feedEvents(s *Set, answer string, n int) []Event {
	f := s.NewFilter()
	var out []Event
	for i := 0; i < len(answer); i += n {
		out = append(out, f.FeedEvents(answer[i:min(i+n, len(answer))])...)
	}
	return append(out, f.FlushEvents()...)
}

// TestCallsStreamOnceConfirmed: a JSON-form call is announced when its head
// names a declared tool, its arguments stream in pieces that add up to
// valid JSON (repaired as the whole would be), and it ends as a call under
// the same id — whatever the piece size.
func TestCallsStreamOnceConfirmed(t *testing.T) {
	s := weatherSet(t, "")
	answer := "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {'city': 'Oslo', \"note\": \"line\nbreak\", \"days\": [1, 2,],}}\n</tool_call>\nDone."
	for n := 1; n <= len(answer); n++ {
		events := feedEvents(s, answer, n)
		var text, args strings.Builder
		var start, done *Call
		pieces := 0
		for i, ev := range events {
			switch ev.Kind {
			case EventText:
				text.WriteString(ev.Text)
			case EventCallStart:
				start = &events[i].Call
			case EventCallArguments:
				if start == nil || done != nil || ev.Call.ID != start.ID {
					t.Fatalf("n=%d: arguments outside their call: %+v", n, events)
				}
				args.WriteString(ev.Text)
				pieces++
			case EventCall:
				done = &events[i].Call
			}
		}
		if start == nil || done == nil || start.ID != done.ID || start.Name != "get_weather" {
			t.Fatalf("n=%d: %+v", n, events)
		}
		var streamed, final map[string]any
		if err := json.Unmarshal([]byte(args.String()), &streamed); err != nil {
			t.Fatalf("n=%d: streamed arguments %q: %v", n, args.String(), err)
		}
		if err := json.Unmarshal([]byte(done.Arguments), &final); err != nil || !equalJSON(streamed, final) {
			t.Fatalf("n=%d: streamed %q, parsed %q", n, args.String(), done.Arguments)
		}
		if text.String() != "Checking.\n\nDone." {
			t.Fatalf("n=%d: text %q", n, text.String())
		}
		if n < 20 && pieces < 2 {
			t.Fatalf("n=%d: arguments in %d pieces", n, pieces)
		}
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// A block that does not name a declared tool, the XML form, and quoted
// markup are not announced: they are read whole, as before.
func TestOnlyConfirmedCallsAreAnnounced(t *testing.T) {
	s := weatherSet(t, "")
	for _, answer := range []string{
		"<tool_call>{\"name\": \"delete_all\", \"arguments\": {}}</tool_call>",
		"<get_weather><city>Oslo</city></get_weather>",
		"Write `<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>` to call it.",
		"<tool_call>{\"arguments\": {\"city\": \"Oslo\"}, \"name\": \"get_weather\"}</tool_call>",
	} {
		for _, ev := range feedEvents(s, answer, 3) {
			if ev.Kind == EventCallStart || ev.Kind == EventCallArguments {
				t.Fatalf("%q announced: %+v", answer, ev)
			}
		}
	}
	// An answer cut off inside the arguments still ends as one call whose
	// streamed arguments are closed into valid JSON.
	var args strings.Builder
	var done bool
	for _, ev := range feedEvents(s, "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Os", 4) {
		if ev.Kind == EventCallArguments {
			args.WriteString(ev.Text)
		}
		done = done || ev.Kind == EventCall
	}
	if !done || !json.Valid([]byte(args.String())) {
		t.Fatalf("cut call: %q %v", args.String(), done)
	}
}
