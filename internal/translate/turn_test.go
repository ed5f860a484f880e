package translate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/qwen"
	"qwenproxy/internal/tools"
)

func msg(role, content string) qp.Message { return qp.Message{Role: role, Text: content} }

func roles(msgs []qp.Message) string {
	var r []string
	for _, m := range msgs {
		r = append(r, m.Role)
	}
	return strings.Join(r, ",")
}

func TestSplit(t *testing.T) {
	tool := msg("tool", "42")
	tool.ToolCallID = "call_1"
	cases := []struct {
		msgs          []qp.Message
		history, turn string
	}{
		{[]qp.Message{msg("user", "a")}, "", "user"},
		{[]qp.Message{msg("system", "s"), msg("user", "a")}, "", "system,user"},
		{[]qp.Message{msg("user", "a"), msg("assistant", "b"), msg("user", "c")}, "user,assistant", "user"},
		{[]qp.Message{msg("user", "a"), msg("assistant", "b"), tool, tool}, "user,assistant", "tool,tool"},
		// A prefill belongs to the turn it starts the answer of.
		{[]qp.Message{msg("user", "a"), msg("assistant", "prefill")}, "", "user,assistant"},
		{[]qp.Message{msg("user", "a"), msg("assistant", "b"), msg("user", "c"), msg("assistant", "pre")}, "user,assistant", "user,assistant"},
	}
	for _, tc := range cases {
		h, turn := Split(tc.msgs)
		if roles(h) != tc.history || roles(turn) != tc.turn {
			t.Errorf("%s: history %q turn %q", roles(tc.msgs), roles(h), roles(turn))
		}
	}
}

// A trailing assistant message with no text begins nothing: the model is
// not asked to continue an empty "answer so far" (it was).
func TestAnEmptyPrefillIsNotAskedToBeContinued(t *testing.T) {
	for _, text := range []string{"", " \n"} {
		m := UpstreamMessage([]qp.Message{msg("user", "q"), msg("assistant", text)}, Plan{})
		if m.Content != "q" {
			t.Errorf("%q: %q", text, m.Content)
		}
	}
}

func TestPrefillIsAskedToBeContinued(t *testing.T) {
	convo := []qp.Message{msg("system", "Be brief."), msg("user", "Write a haiku"), msg("assistant", "Autumn moon ")}
	m := UpstreamMessage(convo, Plan{Tell: true, Instructions: "# Answer format"})
	if m.Role != "user" {
		t.Fatalf("role %s", m.Role)
	}
	want := "Write a haiku\n\n# Answer format\n\n" + prefillAsk + "\n" + PrefillOpen + "\nAutumn moon \n" + PrefillClose
	if !strings.HasSuffix(m.Content, want) || !strings.HasPrefix(m.Content, SystemOpen+"\nBe brief.") {
		t.Fatalf("message %q", m.Content)
	}
	if p, ok := Prefill(convo); !ok || p != "Autumn moon " {
		t.Fatalf("prefill %q %v", p, ok)
	}
	withCall := msg("assistant", "")
	withCall.ToolCalls = []qp.ToolCall{{ID: "c"}}
	if _, ok := Prefill([]qp.Message{msg("user", "a"), withCall}); ok {
		t.Fatal("an assistant message with calls is not a prefill")
	}
}

func TestUpstreamMessageFoldsEverythingIntoOne(t *testing.T) {
	convo := []qp.Message{msg("system", "Be brief."), msg("developer", "Use English."), msg("user", "Hi"), msg("assistant", "Hello"), msg("user", "Again")}

	first := UpstreamMessage(convo[:3], Plan{Tell: true})
	want := "[System instructions]\nBe brief.\n\nUse English.\n[End of system instructions]\n\nHi"
	if !reflect.DeepEqual(first, qwen.MessageSpec{Role: "user", Content: want}) {
		t.Fatalf("first turn %+v", first)
	}
	if later := UpstreamMessage(convo, Plan{}); !reflect.DeepEqual(later, qwen.MessageSpec{Role: "user", Content: "Again"}) {
		t.Fatalf("later turn %+v", later)
	}
	replay := UpstreamMessage(convo, Plan{Tell: true, Replay: true, Thinking: true})
	want = "[System instructions]\nBe brief.\n\nUse English.\n[End of system instructions]\n\n" +
		"[Earlier conversation, for context]\n\nUser: Hi\n\nAssistant: Hello\n\n[End of earlier conversation]\n\nAgain"
	if replay.Content != want || !replay.Thinking || replay.Role != "user" {
		t.Fatalf("replay %+v", replay)
	}
	// A system message after the first answer (Claude Code's "Note: FILE
	// changed on disk") is told with its turn, as the system's words, not
	// the user's; the system prompt stays what the chat was told, and a
	// replay tells it where it came.
	withSystem := append(append([]qp.Message{}, convo...), msg("system", "Now in French."))
	if got := UpstreamMessage(withSystem, Plan{}); got.Content != "Again\n\nSystem: Now in French." {
		t.Fatalf("turn with a system message %q", got.Content)
	}
	if SystemText(withSystem) != SystemText(convo) || ToldOf(withSystem, nil) != ToldOf(convo, nil) {
		t.Fatalf("the system prompt changed: %q", SystemText(withSystem))
	}
	later := append(withSystem, msg("assistant", "Bien."), msg("user", "Encore"))
	want = "[Earlier conversation, for context]\n\nUser: Hi\n\nAssistant: Hello\n\nUser: Again\n\nSystem: Now in French.\n\n" +
		"Assistant: Bien.\n\n[End of earlier conversation]\n\nEncore"
	if got := UpstreamMessage(later, Plan{Replay: true}); got.Content != want {
		t.Fatalf("replay %q", got.Content)
	}
	if got := UpstreamMessage([]qp.Message{msg("user", "Hi")}, Plan{Tell: true}); got.Content != "Hi" {
		t.Fatalf("no system prompt: %q", got.Content)
	}
}

// A blank system or developer message after the first answer says nothing,
// as a blank one in the system prompt does (SystemText): it is not told as
// an empty "System: " line, in its turn or in a replay. Until 2026-12-07 it
// was (a Responses API developer message; Chat Completions refused it).
func TestABlankLaterSystemMessageIsNotTold(t *testing.T) {
	convo := []qp.Message{msg("system", ""), msg("user", "Hi"), msg("assistant", "Hello"), msg("developer", " "), msg("user", "Again")}
	if got := UpstreamMessage(convo, Plan{}).Content; got != "Again" {
		t.Errorf("turn %q", got)
	}
	later := append(convo, msg("assistant", "Yes."), msg("user", "More"))
	want := "[Earlier conversation, for context]\n\nUser: Hi\n\nAssistant: Hello\n\nUser: Again\n\nAssistant: Yes.\n\n[End of earlier conversation]\n\nMore"
	if got := UpstreamMessage(later, Plan{Tell: true, Replay: true}).Content; got != want {
		t.Errorf("replay %q", got)
	}
	// A turn of nothing else keeps it, rather than being empty.
	alone := []qp.Message{msg("user", "Hi"), msg("assistant", "Hello"), msg("system", "")}
	if got := UpstreamMessage(alone, Plan{}).Content; got != "System: " {
		t.Errorf("a turn of a blank system message alone: %q", got)
	}
}

func TestToolsAreStatedInTheSystemSection(t *testing.T) {
	set, err := tools.ParseSet(json.RawMessage(`[{"type":"function","function":{"name":"write","parameters":{"type":"object"}}}]`), json.RawMessage(`"required"`))
	if err != nil {
		t.Fatal(err)
	}
	convo := []qp.Message{msg("system", "Be brief."), msg("user", "Hi")}
	told := UpstreamMessage(convo, Plan{Tell: true, Tools: set}).Content
	if !strings.HasPrefix(told, "[System instructions]\nBe brief.\n\n# Tools") || !strings.Contains(told, "### write") ||
		!strings.HasSuffix(told, "[End of system instructions]\n\nHi") {
		t.Fatalf("told %q", told)
	}
	// Later, only tool_choice's demand is repeated.
	if later := UpstreamMessage(convo, Plan{Tools: set}).Content; later != "Hi\n\n"+set.Requirement() {
		t.Fatalf("later %q", later)
	}
	// A chat told of tools that a request no longer declares hears so.
	gone := UpstreamMessage(convo, Plan{Tell: true, ToolsWithdrawn: true}).Content
	if !strings.Contains(gone, toolsWithdrawn) || strings.Contains(gone, "### write") {
		t.Fatalf("withdrawn %q", gone)
	}
}

func TestToolResultsBecomeText(t *testing.T) {
	call := qp.Message{Role: "assistant"}
	for _, id := range []string{"call_a", "call_b"} {
		call.ToolCalls = append(call.ToolCalls, qp.ToolCall{ID: id, Name: "get_weather", Arguments: `{"city":"Oslo"}`})
	}
	r1, r2, r3 := msg("tool", "rain"), msg("tool", "  "), msg("tool", "x")
	r1.ToolCallID, r2.ToolCallID, r3.ToolCallID = "call_a", "call_b", "call_unknown"
	got := UpstreamMessage([]qp.Message{msg("user", "weather?"), call, r1, r2, r3}, Plan{})
	want := "Result of get_weather (call_a):\nrain\n\nResult of get_weather (call_b):\n(no output)\n\nResult of tool call call_unknown:\nx"
	if got.Role != "user" || got.Content != want {
		t.Fatalf("got %+v", got)
	}
	replay := UpstreamMessage([]qp.Message{msg("user", "weather?"), call, r1, msg("assistant", "It rains."), msg("user", "thanks")}, Plan{Tell: true, Replay: true})
	if !strings.Contains(replay.Content, "Assistant (call call_a):\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\":\"Oslo\"}}\n</tool_call>") || !strings.Contains(replay.Content, "Result of get_weather (call_a):\nrain") {
		t.Fatalf("replay %q", replay.Content)
	}
}

// A tool result or an earlier turn that came with images says so, in the
// turn and in a replay: the images go up attached to the message, and a
// Read of an image file told as "(no output)" had the model say the tool
// returned nothing.
func TestMessagesWithImagesSaySoInTheirText(t *testing.T) {
	call := qp.Message{Role: "assistant", ToolCalls: []qp.ToolCall{{ID: "call_a", Name: "Read", Arguments: `{"path":"cat.png"}`}}}
	onlyImage := qp.Message{Role: "tool", ToolCallID: "call_a", Images: []qp.Image{{URL: "data:image/png;base64,AAAA"}}}
	got := UpstreamMessage([]qp.Message{msg("user", "look"), call, onlyImage}, Plan{}).Content
	if want := "Result of Read (call_a):\n[an image, attached]"; got != want {
		t.Fatalf("turn: got %q, want %q", got, want)
	}
	withText := onlyImage
	withText.Text, withText.Images = "two frames", []qp.Image{{URL: "data:image/png;base64,AAAA"}, {URL: "data:image/png;base64,BBBB"}}
	got = UpstreamMessage([]qp.Message{msg("user", "look"), call, withText}, Plan{}).Content
	if want := "Result of Read (call_a):\ntwo frames\n[2 images, attached]"; got != want {
		t.Fatalf("turn: got %q, want %q", got, want)
	}
	picture := qp.Message{Role: "user", Images: []qp.Image{{URL: "data:image/png;base64,AAAA"}}}
	captioned := qp.Message{Role: "user", Text: "and this?", Images: []qp.Image{{URL: "data:image/png;base64,BBBB"}}}
	replay := UpstreamMessage([]qp.Message{picture, msg("assistant", "A cat."), captioned, msg("assistant", "A dog."),
		msg("user", "look"), call, onlyImage, msg("assistant", "A red pixel."), msg("user", "thanks")}, Plan{Tell: true, Replay: true}).Content
	for _, want := range []string{"User: [an image, attached]\n\n", "User: and this?\n[an image, attached]\n\n", "Result of Read (call_a):\n[an image, attached]\n\n"} {
		if !strings.Contains(replay, want) {
			t.Errorf("replay lacks %q:\n%s", want, replay)
		}
	}
}

func TestAnswerSeparatesReasoningAndUsage(t *testing.T) {
	var a Answer
	feed := []qwen.Event{
		{Kind: qwen.EventCreated, Created: qwen.Created{ParentID: "p", ResponseID: "r"}},
		{Kind: qwen.EventDelta, Phase: qwen.PhaseThink, Content: "hmm", HasUsage: true, Usage: qwen.Usage{InputTokens: 3, OutputTokens: 1, TotalTokens: 4}},
		{Kind: qwen.EventDelta, Phase: qwen.PhaseThink, Finished: true},
		{Kind: qwen.EventDelta, Phase: "web_search", Content: "ignored"},
		{Kind: qwen.EventKeepAlive},
		{Kind: qwen.EventDelta, Phase: qwen.PhaseAnswer, Content: "Hi", HasUsage: true, Usage: qwen.Usage{InputTokens: 3, OutputTokens: 2}},
	}
	for _, ev := range feed {
		a.Add(&ev)
		if a.Finished {
			t.Fatal("finished before the answer phase finished")
		}
	}
	c, r := a.Add(&qwen.Event{Kind: qwen.EventDelta, Phase: qwen.PhaseAnswer, Content: "!", Finished: true})
	if c != "!" || r != "" || !a.Finished || a.Content() != "Hi!" || a.Reasoning() != "hmm" {
		t.Fatalf("answer %q reasoning %q", a.Content(), a.Reasoning())
	}
	if u := a.Usage(); u != (openai.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}) {
		t.Fatalf("usage %+v", u)
	}
	var rec map[string]any
	if err := json.Unmarshal(a.UpstreamRecord(), &rec); err != nil || rec["finished"] != true {
		t.Fatalf("record %s", a.UpstreamRecord())
	}
}

// A generated image's URL arrives in the phase qwen-2026.md §3.3 names
// image_gen; the 2025 recordings (qwen-wire.md S11) name it image. Either
// is the answer's image, never lost as a built-in tool's phase.
func TestAnswerTakesTheImageUnderEitherPhaseName(t *testing.T) {
	for _, phase := range []string{qwen.PhaseImageGen, "image"} {
		var a Answer
		a.Add(&qwen.Event{Kind: qwen.EventDelta, Phase: phase, Content: "https://cdn.example/a.png"})
		c, _ := a.Add(&qwen.Event{Kind: qwen.EventDelta, Phase: phase, Finished: true})
		if a.Image() != "https://cdn.example/a.png" || c != "![image](https://cdn.example/a.png)" {
			t.Errorf("phase %s: image %q, content %q", phase, a.Image(), c)
		}
	}
}

// Coding agents open a conversation with their own context before the
// user's words; the session is named by the user's words (the history's
// sessions list and its search show them), not by that context, which is
// alike in every session of the agent.
func TestFirstUserTextPassesOverAgentContext(t *testing.T) {
	user := func(text string) qp.Message { return qp.Message{Role: "user", Text: text} }
	for _, c := range []struct {
		name string
		msgs []qp.Message
		want string
	}{
		{"Claude Code", []qp.Message{{Role: "system", Text: "You are Claude Code."},
			user("<system-reminder>\nAttribution for git commits and pull requests\n</system-reminder>\n<system-reminder>\nskills\n</system-reminder>\nfix the failing test")}, "fix the failing test"},
		{"Qwen Code", []qp.Message{user("<system-reminder>\nThe following skills are available\n</system-reminder>"), user("rename foo to bar")}, "rename foo to bar"},
		{"Codex", []qp.Message{{Role: "developer", Text: "You are Codex."}, user("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"), user("add a README")}, "add a README"},
		// Claude Code's conversation after a /compact opens with its summary
		// ("This session is being continued …"), and the user's next words
		// come after the local command's record (<local-command-caveat>,
		// <command-name>, …): every compacted session was named by the
		// summary's opening, alike.
		{"Claude Code after /compact", []qp.Message{
			user("This session is being continued from a previous conversation that ran out of context. The summary below covers the earlier portion of the conversation.\n\nSummary: edited notes.txt."),
			{Role: "assistant", Text: "Done."},
			user("<system-reminder>\nCalled the Read tool\n</system-reminder>"),
			user("<system-reminder>\nResult of calling the Read tool\n</system-reminder>\n<local-command-caveat>The command below was run directly in Claude Code.</local-command-caveat>\n" +
				"<command-name>/compact</command-name>\n            <command-message>compact</command-message>\n            <command-args></command-args>\n" +
				"<local-command-stdout>Compacted (ctrl+o to see full summary)</local-command-stdout>\nrun the tests again"),
		}, "run the tests again"},
		{"plain", []qp.Message{user("  hello  ")}, "hello"},
		{"a tag of the user's", []qp.Message{user("<b>bold</b> is what I want")}, "<b>bold</b> is what I want"},
		{"context alone", []qp.Message{user("<environment_context>\n<cwd>/w</cwd>\n</environment_context>")}, "<environment_context>\n<cwd>/w</cwd>\n</environment_context>"},
		{"no user", []qp.Message{{Role: "system", Text: "s"}}, ""},
	} {
		if got := FirstUserText(c.msgs); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// An answer with a Limit passes the client its text up to the event at
// which Qwen's count of output tokens (thinking included) reaches it, and
// nothing after, while it still reads Qwen's answer to its end: the usage
// the client is told is the count at the cut, Qwen's own record keeps the
// whole answer and its usage.
func TestAnAnswerIsCutWhereItsTokensReachTheLimit(t *testing.T) {
	a := Answer{Limit: 3}
	delta := func(phase, content string, out int, finished bool) qwen.Event {
		return qwen.Event{Kind: qwen.EventDelta, Phase: phase, Content: content, Finished: finished, HasUsage: true,
			Usage: qwen.Usage{InputTokens: 5, OutputTokens: out, TotalTokens: 5 + out}}
	}
	var passed, thought string
	for _, ev := range []qwen.Event{
		{Kind: qwen.EventCreated, Created: qwen.Created{ResponseID: "r"}},
		delta(qwen.PhaseThink, "hmm", 1, false),
		delta(qwen.PhaseAnswer, "One", 2, false),
		delta(qwen.PhaseAnswer, " two", 3, false),
		delta(qwen.PhaseAnswer, " three", 4, false),
		delta(qwen.PhaseAnswer, " four", 5, true),
	} {
		c, r := a.Add(&ev)
		passed, thought = passed+c, thought+r
	}
	if passed != "One two" || thought != "hmm" || !a.Cut() || !a.Finished {
		t.Fatalf("passed %q, thought %q, cut %v, finished %v: want the text to the third token, cut, read to its end", passed, thought, a.Cut(), a.Finished)
	}
	if u := a.Usage(); u.CompletionTokens != 3 || u.TotalTokens != 8 {
		t.Errorf("usage %+v: want the count at the cut (3 of 8)", u)
	}
	var rec struct {
		Data struct {
			Choices []struct{ Message struct{ Content string } }
		}
		Usage struct {
			OutputTokens int `json:"output_tokens"`
		}
	}
	if err := json.Unmarshal(a.UpstreamRecord(), &rec); err != nil || rec.Data.Choices[0].Message.Content != "One two three four" || rec.Usage.OutputTokens != 5 {
		t.Errorf("Qwen's record %s: want its whole answer and usage", a.UpstreamRecord())
	}

	// An answer that reaches the limit with its last words is whole: it
	// ended there (it was "length" with the whole answer).
	exact := Answer{Limit: 2}
	for _, ev := range []qwen.Event{delta(qwen.PhaseAnswer, "One", 1, false), delta(qwen.PhaseAnswer, " two", 2, false), delta(qwen.PhaseAnswer, "", 2, true)} {
		exact.Add(&ev)
	}
	if exact.Cut() || exact.Content() != "One two" {
		t.Errorf("an answer ending at its limit: cut %v", exact.Cut())
	}

	// Without a limit nothing is cut.
	var whole Answer
	for _, ev := range []qwen.Event{delta(qwen.PhaseAnswer, "One", 1, false), delta(qwen.PhaseAnswer, " two", 2, true)} {
		whole.Add(&ev)
	}
	if whole.Cut() || whole.Usage().CompletionTokens != 2 {
		t.Errorf("an answer without a limit: cut %v, usage %+v", whole.Cut(), whole.Usage())
	}
}
