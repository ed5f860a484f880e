package redact

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// JSONHiding redacts as JSON does and names what it hid, the strings and
// numbers of an array whole too; Known.JSON masks those values inside a
// document's strings only, so that a value that is also a number's digits
// or a member's name leaves the document valid and its shape unchanged.
func TestWhatARedactionHidesIsMaskedInTheStringsOfAnotherBody(t *testing.T) {
	body := []byte(`{"input":{"api_key":"sk-live-123456","password":"178901","user":"ada"},"api_keys":["tok-aaaaaa",987654],"max_tokens":9}`)
	out, hidden := JSONHiding(body)
	if string(out) != string(JSON(body)) {
		t.Fatalf("JSONHiding redacts otherwise than JSON: %s, want %s", out, JSON(body))
	}
	slices.Sort(hidden)
	if want := []string{"178901", "987654", "sk-live-123456", "tok-aaaaaa"}; !slices.Equal(hidden, want) {
		t.Fatalf("hidden %q, want %q", hidden, want)
	}
	k := NewKnown("", hidden...)
	other := []byte(`{"timestamp":1789012345,"178901":1,"content":"use login with {\"api_key\": \"sk-live-123456\"} <b>&</b>","parts":["pin 178901"]}`)
	got := k.JSON(other)
	if !json.Valid(got) {
		t.Fatalf("the masked body is not JSON: %s", got)
	}
	want := `{"timestamp":1789012345,"178901":1,"content":"use login with {\"api_key\": \"[REDACTED]\"} <b>&</b>","parts":["pin [REDACTED]"]}`
	if string(got) != want {
		t.Fatalf("masked\n %s\nwant\n %s", got, want)
	}
	if plain := []byte("not json sk-live-123456"); string(k.JSON(plain)) != "not json [REDACTED]" {
		t.Fatalf("a body that is not JSON is not masked as text: %s", k.JSON(plain))
	}
	if untouched := []byte(`{"a":"b"}`); &k.JSON(untouched)[0] != &untouched[0] {
		t.Fatal("a body without any of the values is copied")
	}
}

// Mentions finds a value as it is or JSON-escaped, and never one too short
// to be masked.
func TestMentionsFindsAValueInEitherForm(t *testing.T) {
	for _, tc := range []struct {
		body, v string
		want    bool
	}{
		{`{"user":"sk-proxy-123"}`, "sk-proxy-123", true},
		{`{"user":"sk-\"q\"-123"}`, `sk-"q"-123`, true},
		{`{"user":"sk-proxy-124"}`, "sk-proxy-123", false},
		{`{"user":"abc"}`, "abc", false},
		{`{}`, "", false},
	} {
		if got := Mentions([]byte(tc.body), tc.v); got != tc.want {
			t.Errorf("Mentions(%s, %q) = %v, want %v", tc.body, tc.v, got, tc.want)
		}
	}
}

// A tool call's arguments are a JSON object in a string (OpenAI's
// function_call items and tool_calls): a secret-named member inside them is
// redacted as one outside is, the string otherwise as it was, and its value
// is among what was hidden. Until 2026-12-05 the string was passed over,
// and a call's arguments {"api_key":…} were recorded (and kept in a
// conversation's items) as sent.
func TestASecretInAToolCallsArgumentsIsRedacted(t *testing.T) {
	body := []byte(`{"input":[{"type":"function_call","call_id":"c1","name":"login","arguments":"{\"api_key\":\"sk-live-123456\", \"user\":\"<ada>\"}"},` +
		`{"type":"function_call","call_id":"c2","name":"f","arguments":"{\"q\":\"a token, no secret\"}"},{"arguments":"not json, key"}]}`)
	out, hidden := JSONHiding(body)
	want := `{"input":[{"type":"function_call","call_id":"c1","name":"login","arguments":"{\"api_key\":\"[REDACTED]\", \"user\":\"<ada>\"}"},` +
		`{"type":"function_call","call_id":"c2","name":"f","arguments":"{\"q\":\"a token, no secret\"}"},{"arguments":"not json, key"}]}`
	if string(out) != want {
		t.Fatalf("redacted\n %s\nwant\n %s", out, want)
	}
	if !slices.Equal(hidden, []string{"sk-live-123456"}) {
		t.Fatalf("hidden %q", hidden)
	}
	if string(JSON(body)) != want {
		t.Fatalf("JSON redacts otherwise: %s", JSON(body))
	}
	chat := []byte(`{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"auth\":{\"password\":\"hunter22\"}}"}}]}]}`)
	if got := string(JSON(chat)); strings.Contains(got, "hunter22") || !json.Valid([]byte(got)) {
		t.Fatalf("Chat Completions' arguments: %s", got)
	}
}
