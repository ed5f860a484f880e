package qwen

import "testing"

// Qwen's web search call (the web_search phase's function_call) says what
// it searches for; the event carries the query, its arguments read as a
// JSON object in a string or as the object itself (no capture shows
// which), and arguments of another shape are no query, not a broken stream.
func TestASearchCallCarriesItsQuery(t *testing.T) {
	call := func(args string) string {
		return `data: {"choices": [{"delta": {"role": "assistant", "content": "", "phase": "web_search", "status": "typing", "function_call": {"name": "web_search", "arguments": ` + args + `}, "function_id": "f1"}}], "response_id": "r"}` + "\n\n"
	}
	for args, want := range map[string]string{
		`"{\"query\": \"oslo news\"}"`:            "oslo news",
		`{"query": "oslo news"}`:                  "oslo news",
		`"{\"queries\": [\"oslo\", \"bergen\"]}"`: "oslo; bergen",
		`"not json"`: "",
		`42`:         "",
		`null`:       "",
	} {
		evs, err := readAll(t, testStream(t, call(args)+`data: {"choices": [{"delta": {"content": "", "role": "assistant", "status": "finished", "phase": "answer"}}], "response_id": "r"}`+"\n\n"))
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if !evs[0].SearchCall || evs[0].SearchQuery != want {
			t.Errorf("%s: call %v, query %q, want %q", args, evs[0].SearchCall, evs[0].SearchQuery, want)
		}
	}
}
