package qwensim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The simulator plays a model that follows the proxy's tool instructions, so
// tool round trips can be tested end to end: once a chat's system prompt has
// described functions (as "### name" headings), a user message saying
// "use NAME with {json}" is answered with a <tool_call> block per mention
// ("… as xml" answers in the <name><param>…</param></name> form), tool
// results are acknowledged, and a correction is obeyed, as is a client's
// reminder to end its run with a terminal tool (terminalAnswer). A chat in
// which a message said "stubborn" never calls anything again.

var (
	toolHeading = regexp.MustCompile(`(?m)^### ([A-Za-z0-9_-]+)\s*$`)
	useTool     = regexp.MustCompile(`(?i)\buse ([A-Za-z0-9_-]+)(?: with (\{[^\n]*?\}))?(?:[\s.,;]|$)`)
	mustCall    = regexp.MustCompile(`must call the function ([A-Za-z0-9_-]+)`)
	// Cline 3.0.65's reminder in --yolo runs (clients/agents/test/cline.test.mjs).
	terminalCall = regexp.MustCompile(`call one of these terminal completion tools: ([A-Za-z0-9_-]+)`)
	// The proxy's tool results (translate: "Result of NAME (ID):", "Result
	// of tool call ID:", either with ", which failed"), and nothing else: a
	// user's text that says "Result of calling the Read tool:" (Claude
	// Code's reminder after a compaction) is not one.
	toolResult = regexp.MustCompile(`(?m)^Result of (?:tool call )?([A-Za-z0-9_.:-]+)(?: \([^)\n]*\))?(?:, which failed)?:\n(.*)$`)
)

// replayClose ends the earlier turns the proxy replays into a new chat
// (translate.ReplayClose).
const replayClose = "[End of earlier conversation]"

func declaredTools(system string) []string {
	var names []string
	for _, m := range toolHeading.FindAllStringSubmatch(system, -1) {
		names = append(names, m[1])
	}
	return names
}

// toolAnswer returns the answer to a message in a chat with tools, if the
// message calls for one.
func toolAnswer(c *chat, msg string) (string, bool) {
	if strings.Contains(msg, "stubborn") {
		c.stubborn = true
	}
	if len(c.tools) == 0 || c.stubborn {
		return "", false
	}
	// The model answers the new turn: a history replayed before it (its
	// earlier calls and results) is context, not a request — but asked to
	// resume an answer that broke off, it goes on with that answer.
	if earlier, turn, ok := strings.Cut(msg, replayClose); ok {
		msg = turn
		if strings.Contains(turn, resumeAsk) {
			if cut := cutTurn(earlier); cut != "" {
				msg = cut
			}
		}
	}
	if results := toolResult.FindAllStringSubmatch(msg, -1); len(results) > 0 {
		var said []string
		for _, r := range results {
			said = append(said, fmt.Sprintf("%s said %q", r[1], r[2]))
		}
		thanks := "Thanks: " + strings.Join(said, ", ") + "."
		if step, ok := nextStep(c); ok {
			if blocks := callsIn(c, step); len(blocks) > 0 {
				return thanks + " Next:\n" + strings.Join(blocks, "\n"), true
			}
		}
		// The user's words after the results (a request made again after
		// stopping the tool) are done too, as a new plan.
		if steps := planSteps(requestAfterResults(msg)); steps[0] != "" {
			if blocks := callsIn(c, steps[0]); len(blocks) > 0 {
				c.plan = steps[1:]
				return thanks + " Next:\n" + strings.Join(blocks, "\n"), true
			}
		}
		return thanks, true
	}
	if m := mustCall.FindStringSubmatch(msg); m != nil {
		// Told to call it (tool_choice, or a corrective turn after a strict
		// call's arguments broke its schema): with what its schema requires.
		return requiredCall(c, m[1]), true
	}
	if strings.Contains(msg, "at least one of these functions") {
		return requiredCall(c, c.tools[0]), true // tool_choice "required"
	}
	steps := planSteps(msg)
	if blocks := callsIn(c, steps[0]); len(blocks) > 0 {
		c.plan = steps[1:]
		return "Let me do that.\n" + strings.Join(blocks, "\n"), true
	}
	return terminalAnswer(c, msg)
}

// requiredCall is a call of name with the arguments its schema requires, as
// a model told to call it makes one (a strict function's check refuses {}
// when its schema requires a property).
func requiredCall(c *chat, name string) string {
	args, err := json.Marshal(requiredArguments(toolSchema(c.told, name)))
	if err != nil {
		args = []byte("{}")
	}
	return callBlock(name, string(args))
}

// resumeAsk begins Qwen Code 0.24.4's message asking the model to go on
// with an answer that broke off (its TRANSPORT_CONTINUATION_MESSAGE), which
// the proxy sends after the cut turn, told as earlier conversation with the
// part of the answer the client got.
const resumeAsk = "The connection dropped mid-response. Resume directly"

// cutTurn returns the tool results of the turn a resume goes on with: those
// of the last turn of the earlier conversation, before the part of its
// answer (its last "Assistant:"); "" when that turn brought none.
func cutTurn(earlier string) string {
	part := strings.LastIndex(earlier, "\n\nAssistant")
	if part < 0 {
		return ""
	}
	turn := earlier[:part]
	if prev := strings.LastIndex(turn, "\n\nAssistant"); prev >= 0 {
		turn = turn[prev:]
	}
	first := toolResult.FindStringIndex(turn)
	if first == nil {
		return ""
	}
	return turn[first[0]:]
}

// requestAfterResults returns the user's request that follows a turn's
// tool results: from the first paragraph after the last result that begins
// with "use ". A result's own text (a file that says "use …" mid-paragraph)
// is not taken for it; a result with a paragraph of its own that begins so
// would be, as the proxy marks no end to a result.
func requestAfterResults(msg string) string {
	results := toolResult.FindAllStringIndex(msg, -1)
	if len(results) == 0 {
		return ""
	}
	after := msg[results[len(results)-1][1]:]
	for i := 0; ; {
		j := strings.Index(after[i:], "\n\n")
		if j < 0 {
			return ""
		}
		i += j + 2
		if rest := strings.TrimLeft(after[i:], " \t\n"); strings.HasPrefix(strings.ToLower(rest), "use ") {
			return rest
		}
	}
}

// callsIn returns a call block for each "use NAME with {…}" in msg that
// names a declared tool.
func callsIn(c *chat, msg string) []string {
	var blocks []string
	xml := strings.Contains(msg, "as xml")
	for rest := msg; ; {
		m := useTool.FindStringSubmatchIndex(rest)
		if m == nil {
			return blocks
		}
		name, args, end := rest[m[2]:m[3]], "", m[1]
		if m[4] >= 0 {
			args = rest[m[4]:m[5]]
			// The pattern ends the JSON at its first "}" before a space or
			// a comma, inside it when an object holds another; JSON that
			// parses is taken whole, and the search goes on after it.
			if whole, ok := jsonObjectAt(rest[m[4]:]); ok {
				args, end = whole, max(end, m[4]+len(whole))
			}
		}
		advice := m[4] < 0 && hasPrefixFold(rest[m[3]:], " with ")
		rest = rest[end:]
		// "use NAME with" words, not JSON, advises how to use a tool
		// (Claude Code's "Use ToolSearch with query …"): no call.
		if !slices.Contains(c.tools, name) || advice {
			continue
		}
		if args == "" {
			args = "{}"
		}
		if xml {
			blocks = append(blocks, xmlBlock(name, args))
		} else {
			blocks = append(blocks, callBlock(name, args))
		}
	}
}

// hasPrefixFold reports whether s begins with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// jsonObjectAt returns the JSON object s begins with, as written, if it
// parses.
func jsonObjectAt(s string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	return s[:dec.InputOffset()], true
}

func callBlock(name, args string) string {
	return fmt.Sprintf("<tool_call>\n{\"name\": %q, \"arguments\": %s}\n</tool_call>", name, args)
}

var jsonPair = regexp.MustCompile(`"([^"]+)"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}]+)`)

func xmlBlock(name, args string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<%s>\n", name)
	for _, p := range jsonPair.FindAllStringSubmatch(args, -1) {
		fmt.Fprintf(&b, "<%s>%s</%s>\n", p[1], strings.Trim(strings.TrimSpace(p[2]), `"`), p[1])
	}
	fmt.Fprintf(&b, "</%s>", name)
	return b.String()
}
