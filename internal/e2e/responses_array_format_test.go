package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A text.format whose schema's root is an array is answered with an array,
// checked against the schema (and corrected once) as an object's is, non-
// streamed and streamed. The simulator answered "reply [1, 2]" with prose,
// as it read only objects after "reply", so such a format could not be
// tried without Qwen: every call was a 502 response_format_unmet.
func TestResponsesTextFormatWithAnArrayRoot(t *testing.T) {
	e := start(t, nil)
	format := `"text":{"format":{"type":"json_schema","name":"ids","strict":true,"schema":{"type":"array","items":{"type":"integer"},"minItems":2}}}`
	for _, c := range []struct{ name, input, stream, want string }{
		{"non-streamed", `The ids: reply [1, 2]`, `false`, `"text":"[1, 2]"`},
		{"streamed", `The ids: reply [3, 4, 5]`, `true`, `"delta":"[3, 4, 5]"`},
		{"corrected", `The ids: reply [6] then [6, 7]`, `false`, `"text":"[6, 7]"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := send(t, e, "POST", "/v1/responses", "application/json",
				`{"model":"qwen3-max",`+format+`,"stream":`+c.stream+`,"input":"`+strings.ReplaceAll(c.input, `"`, `\"`)+`"}`, nil)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), c.want) || strings.Contains(string(b), "response_format_unmet") {
				t.Fatalf("%d %s\nwant %s", resp.StatusCode, b, c.want)
			}
		})
	}
}
