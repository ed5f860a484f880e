package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	qp "qwenproxy"
)

// Keys are stored (sessions outlive a restart), so their encoding may not
// change: these were computed before the key writer reused its buffer.
func TestKeyEncodingUnchanged(t *testing.T) {
	msgs := []qp.Message{{Role: "system", Text: " be brief "}, {Role: "user", Text: "hi"},
		{Role: "assistant", ToolCalls: []qp.ToolCall{{Name: "f", Arguments: " {\"a\":1} "}}}, {Role: "tool", ToolCallID: "c1", Text: "r"}}
	// The system prompt is not keyed: the key is the one earlier versions
	// gave the conversation without it.
	if got, want := Key(msgs, &qp.Message{Role: "assistant", Text: "ok"}), "eaff36080814ac525f79ee96a61cee29e90ff337a693e1256ca59e572f8e19b3"; got != want {
		t.Errorf("Key = %s, want %s", got, want)
	}
	// The key earlier versions stored, with it, is still computed to find
	// their sessions.
	if got, want := legacyKey(append(msgs, qp.Message{Role: "assistant", Text: "ok"})), "75e811fd8890df349512d5154a85ac960cfeafe9eca6004f99f108aaf7d41f19"; got != want {
		t.Errorf("legacyKey = %s, want %s", got, want)
	}
	if got, want := Key(nil, nil), "4c2c43181b6f399da20914c4e5f799a2bc5882157cad4f87eb564a503dff954a"; got != want {
		t.Errorf("Key of nothing = %s, want %s", got, want)
	}
}

// A field longer than the scratch buffer hashes as if written whole.
func TestKeyOfLongMessage(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 5000) // 80 KB: several chunks
	var enc []byte
	enc = append(enc, "qwenproxy-key-v1"...)
	for _, f := range []string{"m", "user", long, ""} {
		enc = binary.LittleEndian.AppendUint64(enc, uint64(len(f)))
		enc = append(enc, f...)
	}
	sum := sha256.Sum256(enc)
	if got, want := Key([]qp.Message{{Role: "user", Text: long}}, nil), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Key of a long message = %s, want %s", got, want)
	}
}

// A message that calls tools is found again whether the client resends the
// text it came with, null, or "": agents differ, and each must thread.
func TestKeyIgnoresTextBesideToolCalls(t *testing.T) {
	calls := []qp.ToolCall{{Name: "read", Arguments: `{"path":"a.txt"}`}}
	user := qp.Message{Role: "user", Text: "read a.txt"}
	answered := Key([]qp.Message{user}, &qp.Message{Role: "assistant", Text: "Let me do that.", ToolCalls: calls})
	for _, resent := range []string{"Let me do that.", ""} {
		if got := Key([]qp.Message{user, {Role: "assistant", Text: resent, ToolCalls: calls}}, nil); got != answered {
			t.Errorf("resent with text %q: key %s, want the answer's %s", resent, got, answered)
		}
	}
	// Text alone still counts.
	if Key([]qp.Message{user, {Role: "assistant", Text: "a"}}, nil) == Key([]qp.Message{user, {Role: "assistant", Text: "b"}}, nil) {
		t.Error("two different answers share a key")
	}
}

// A tool call's arguments key the same however they were encoded — compact,
// with Python's spaces and \u escapes, indented, keys in another order — and
// other arguments, or text that is not JSON, key apart.
func TestKeyOfArgumentsHoweverEncoded(t *testing.T) {
	user := qp.Message{Role: "user", Text: "weather?"}
	key := func(args string) string {
		return Key([]qp.Message{user, {Role: "assistant", ToolCalls: []qp.ToolCall{{ID: "c1", Name: "get_weather", Arguments: args}}}}, nil)
	}
	want := key(`{"city":"Zürich","days":[1,2]}`)
	// Numbers as a double reads them: JavaScript, where every number is one,
	// resends 1.0 as 1 and an id past 2^53 rounded, and the proxy passes the
	// model's digits on as written.
	for _, args := range []string{`{"city":"Zürich","days":[1.0,2e0]}`, `{"city":"Zürich","days":[1,2.000]}`, `{"city": "Z\u00fcrich", "days": [1, 2]}`, "{\n  \"city\": \"Zürich\",\n  \"days\": [\n    1,\n    2\n  ]\n}", ` {"city":"Z\u00FCrich","days":[1,2]} `, `{"days":[1,2],"city":"Zürich"}`} {
		if got := key(args); got != want {
			t.Errorf("arguments %s key apart from their compact form", args)
		}
	}
	if key(`{"id":1234567890123456789}`) != key(`{"id":1234567890123456800}`) {
		t.Error("an id past 2^53 keys apart from the double JavaScript resends")
	}
	for _, args := range []string{`{"city":"Zurich","days":[1,2]}`, `{"city":"Zürich","days":[2,1]}`, `{"city": "Zürich"`, `city Zürich`} {
		if key(args) == want {
			t.Errorf("arguments %s key as another call's", args)
		}
	}
}

// An agent's <system-reminder> blocks in users' messages and tool results
// are not keyed (it remakes them when it resumes a conversation); the words
// around them are.
func TestKeyLeavesOutReminders(t *testing.T) {
	key := func(user, result string) string {
		return Key([]qp.Message{{Role: "system", Text: "s"}, {Role: "user", Text: user},
			{Role: "assistant", ToolCalls: []qp.ToolCall{{Name: "f", Arguments: "{}"}}}, {Role: "tool", ToolCallID: "c1", Text: result}}, nil)
	}
	base := key("<system-reminder>\nlisting: a\n</system-reminder>\n<system-reminder>date</system-reminder>\nfix it", "done")
	if got := key("<system-reminder>\nlisting: a, b\n</system-reminder>\nfix it", "done\n<system-reminder>x</system-reminder>"); got != base {
		t.Error("a conversation whose reminders changed has another key")
	}
	if got := key("fix it", "done"); got != base {
		t.Error("a conversation without its reminders has another key")
	}
	if got := key("<system-reminder>\nlisting: a\n</system-reminder>\nfix that", "done"); got == base {
		t.Error("other words share the key")
	}
	if got := key("fix\n<system-reminder>r</system-reminder>\nit", "done"); got != key("fix\nit", "done") {
		t.Error("a reminder between two parts is keyed")
	}
}

// System messages are not keyed, wherever they stand: those after the
// conversation's first other message (Claude Code's environment, its
// notes), and the system prompt before it, which agents remake as well
// (Qwen Code's holds `git status`, changed once a turn writes a file).
func TestKeyLeavesOutSystemMessages(t *testing.T) {
	key := func(msgs ...qp.Message) string { return Key(msgs, &qp.Message{Role: "assistant", Text: "ok"}) }
	user := qp.Message{Role: "user", Text: "hi"}
	env := func(date string) qp.Message { return qp.Message{Role: "system", Text: "Today's date is " + date} }
	if key(user, env("2026-12-02")) != key(user, env("2026-12-03")) || key(user, env("2026-12-02")) != key(user) {
		t.Error("a system message after the user's is keyed")
	}
	status := func(s string) qp.Message { return qp.Message{Role: "system", Text: "git: Status:\ngit: " + s} }
	if key(status("(clean)"), user) != key(status("?? new.txt"), user) || key(status("(clean)"), user) != key(user) {
		t.Error("the system prompt before the conversation is keyed")
	}
	if legacyKey([]qp.Message{status("(clean)"), user}) == legacyKey([]qp.Message{status("?? new.txt"), user}) {
		t.Error("the key of earlier versions leaves out the system prompt")
	}
	if legacyKey([]qp.Message{user}) != "" {
		t.Error("a conversation without a system prompt has a key of earlier versions of its own")
	}
}
