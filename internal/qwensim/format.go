package qwensim

import (
	"regexp"
	"strings"
)

// The simulator plays a model asked for JSON (response_format): a message
// saying "reply {json}" is answered with that JSON inside a code fence, with
// a line of prose before it, as models do despite instructions; "reply
// {json} then {json}" answers the second after a correction (a message
// saying the answer did not meet the format), so the corrective turn can be
// tested both ways.

var (
	replyJSON       = regexp.MustCompile(`\breply (\{[^\n]*?\})(?: then (\{[^\n]*?\}))?(?:\s|$)`)
	formatCorrected = "not what the answer format requires"
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
		m := replyJSON.FindStringSubmatch(n.content)
		if m == nil {
			continue
		}
		json := m[1]
		if corrected && m[2] != "" {
			json = m[2]
		}
		return "Here is the JSON you asked for:\n```json\n" + json + "\n```", true
	}
	return "", false
}
