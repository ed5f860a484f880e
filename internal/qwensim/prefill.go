package qwensim

import "strings"

// The simulator plays a model asked to continue a begun answer (the proxy's
// emulation of an assistant prefill): it repeats the text so far, as models
// often do despite being asked not to, then goes on. The continuation names
// the user's words, so a test can tell the turn arrived whole.

const (
	prefillOpen  = "\n[Answer so far]\n"
	prefillClose = "\n[End of answer so far]"
)

// prefillAnswer returns the answer to a message that asks for a begun
// answer to be continued, if it does.
func prefillAnswer(msg string) (string, bool) {
	i := strings.LastIndex(msg, prefillOpen)
	if i < 0 || !strings.HasSuffix(msg, prefillClose) {
		return "", false
	}
	prefix := msg[i+len(prefillOpen) : len(msg)-len(prefillClose)]
	asked := msg[:i]
	if j := strings.LastIndex(asked, "\n\n"); j >= 0 {
		asked = asked[:j] // the request to continue is the paragraph before the text
	}
	asked = firstWords(asked, 6)
	return prefix + "and so it goes on (continuing: " + asked + ").", true
}
