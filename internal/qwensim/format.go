package qwensim

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// The simulator plays a model asked for JSON (response_format): a message
// saying "reply VALUE" is answered with that JSON value inside a code fence,
// with a line of prose before it, as models do despite instructions; "reply
// VALUE then VALUE" answers the second after a correction (a message saying
// the answer did not meet the format), so the corrective turn can be tested
// both ways. VALUE is any JSON value, as a schema's root may ask for one: an
// object or an array anywhere, a string, number, boolean or null only in a
// turn that states an answer format (elsewhere "reply 42" is words).

var (
	replyWord       = regexp.MustCompile(`\breply `)
	formatCorrected = "not what the answer format requires"
	// formatStated heads the proxy's statement of an answer format
	// (internal/structured's Instructions), which ends the turn's message.
	formatStated = "# Answer format"
)

// formatAnswer returns the answer to a message in a JSON-format request, if
// the thread asks for one.
func formatAnswer(c *chat, userID string) (string, bool) {
	msg := c.nodes[userID].content
	corrected := strings.Contains(msg, formatCorrected)
	for id := userID; id != ""; id = c.nodes[id].parent {
		n := c.nodes[id]
		if n.role != "user" {
			continue
		}
		if id != userID && !corrected {
			break // only a correction looks back at what was asked
		}
		first, then, ok := replyValues(n.content)
		if !ok {
			continue
		}
		json := first
		if corrected && then != "" {
			json = then
		}
		return "Here is the JSON you asked for:\n```json\n" + json + "\n```", true
	}
	return "", false
}

// replyValues finds the first "reply VALUE" in msg, and the VALUE of a
// " then VALUE" right after it ("" without one).
func replyValues(msg string) (first, then string, ok bool) {
	scalars := strings.Contains(msg, formatStated)
	for _, at := range replyWord.FindAllStringIndex(msg, -1) {
		first, rest, ok := jsonValueAt(msg[at[1]:], scalars)
		if !ok {
			continue
		}
		if after, found := strings.CutPrefix(rest, " then "); found {
			then, _, _ = jsonValueAt(after, scalars)
		}
		return first, then, true
	}
	return "", "", false
}

// jsonValueAt reads the JSON value s begins with, on its first line, and
// returns it as written and what follows it. The value must end there: at
// the line's end, a space or a punctuation mark, not run into a word.
// Without scalars only an object or an array is taken.
func jsonValueAt(s string, scalars bool) (value, rest string, ok bool) {
	line, _, _ := strings.Cut(s, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" || (!scalars && line[0] != '{' && line[0] != '[') {
		return "", "", false
	}
	dec := json.NewDecoder(strings.NewReader(line))
	var v json.RawMessage
	if dec.Decode(&v) != nil || !bytes.Equal(v, bytes.TrimSpace(v)) {
		return "", "", false
	}
	end := int(dec.InputOffset())
	if end < len(line) && !strings.ContainsRune(" \t.,;:!?)", rune(line[end])) {
		return "", "", false
	}
	return line[:end], s[end:], true
}
