package responses

import (
	"fmt"
	"regexp"
	"strings"

	qp "qwenproxy"
	"qwenproxy/internal/redact"
)

// recordRef matches what the proxy's record keeps of an image or a
// document instead of its bytes (unless RECORD_IMAGE_BYTES): "[image
// image/png, 68 bytes, sha256:…]", "[document application/pdf, …]", or
// without a type when the data: URL declared none. GET …/input_items and a
// conversation's items list such a part with its reference where the URL
// was.
var recordRef = regexp.MustCompile(`^\[((?:image|document)(?: [^,\[\]]+)?, [0-9]+ bytes, sha256:[0-9a-f]{64})\]$`)

// RecordRef reports whether s is such a reference, and what it names
// ("image image/png, 68 bytes, sha256:…").
func RecordRef(s string) (string, bool) {
	m := recordRef.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// NotKept is the text that stands for an image or document whose bytes the
// record did not keep, told to the model where the part was: it cannot be
// attached again, and refusing it would throw away the whole history.
func NotKept(what string) string {
	return fmt.Sprintf("[%s: not kept by the proxy, so not attached again]", what)
}

func isRecordRef(s string) bool {
	_, ok := RecordRef(s)
	return ok
}

// maskedURL reports whether u is an http(s) URL the proxy keeps without
// its credentials (redact.URL masked them): a conversation's item, or its
// listing sent back, that cannot be fetched as it was sent.
func maskedURL(u string) bool {
	return qp.IsWebURL(u) && strings.Contains(u, redact.Placeholder)
}
