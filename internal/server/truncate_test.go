package server

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecordedBodiesAreTruncatedToJSONWithAMarker(t *testing.T) {
	small := []byte(`{"a":1}`)
	if got := truncateBody(small, 100); string(got) != string(small) {
		t.Fatalf("a body under the limit changed: %s", got)
	}
	for _, body := range []string{
		`{"content":"` + strings.Repeat("x", 5000) + `"}`,
		`{"content":"` + strings.Repeat("é\"\n", 3000) + `"}`, // escapes and multi-byte characters
		// Markup keeps its characters (each took six bytes as \u003c).
		`{"content":"` + strings.Repeat("<b>a&amp;b</b>", 500) + `"}`,
	} {
		got := truncateBody([]byte(body), 1000)
		var v truncatedBody
		if err := json.Unmarshal(got, &v); err != nil || !v.Truncated || v.OriginalBytes != len(body) || len(got) > 1000 ||
			!strings.HasPrefix(body, v.Head) || len(v.Head) < 400 || strings.Contains(string(got), `\u003c`) {
			t.Fatalf("truncated to %d bytes: %+v %v", len(got), v, err)
		}
	}
}
