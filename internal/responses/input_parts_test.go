package responses

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// An image's detail is type-checked as the part's other fields are, in a
// message and in a call's output, by the in-place decoder and by
// encoding/json alike: a detail that is no string was taken without a
// word (it was not read at all), where Chat Completions refuses it. Any
// string is taken: it has no effect.
func TestAnImageDetailMustBeAString(t *testing.T) {
	const img = `"image_url":"data:image/png;base64,iVBORw0KGgo="`
	for body, want := range map[string]string{
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image",` + img + `,"detail":5}]}]}`:    "input[0].content[1].detail must be a string, not a number",
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_image",` + img + `,"detail":{"level":"high"}}]}]}`:                      "input[0].content[0].detail must be a string, not an object",
		`{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image",` + img + `,"detail":["high"]}]}]}`: "input[0].output[0].detail must be a string, not an array",
	} {
		var r Request
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		err := r.Validate()
		if err == nil || err.Message != want || err.Code != "invalid_type" {
			t.Errorf("%s: %+v, want %q", body, err, want)
			continue
		}
		if param, _, _ := strings.Cut(want, " "); err.Param != param {
			t.Errorf("%s: param %q, want %q", body, err.Param, param)
		}
	}
	for _, detail := range []string{`"low"`, `"high"`, `"auto"`, `"original"`, `""`, `null`} {
		var r Request
		body := `{"model":"m","input":[{"role":"user","content":[{"type":"input_image",` + img + `,"detail":` + detail + `}]}]}`
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("detail %s: %v", detail, err)
		} else if c := r.Conversation(); len(c) != 1 || len(c[0].Images) != 1 {
			t.Errorf("detail %s: conversation %+v", detail, c)
		}
	}
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// ListContent lists each content part as it was sent, in order, with its
// own type and that type's fields (an image without a detail as "auto",
// as OpenAI lists it; a recorded image reference as it is); a string is
// one text part, output_text in an assistant's message. The listing was
// one text part of the texts joined, without the images and files.
func TestListContentKeepsEachPart(t *testing.T) {
	for _, c := range []struct{ role, content, want string }{
		{"user", `"hi"`, `[{"type":"input_text","text":"hi"}]`},
		{"assistant", `"hi"`, `[{"type":"output_text","text":"hi"}]`},
		{"assistant", `null`, `[{"type":"output_text","text":""}]`},
		{"user", `[]`, `[]`},
		{"user", `[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"},` +
			`{"type":"input_image","image_url":"[image image/png, 68 bytes, sha256:ab]","detail":"low"},` +
			`{"type":"input_file","filename":"r.pdf","file_data":"[document application/pdf, 9 bytes, sha256:cd]"},` +
			`{"type":"input_file","file_url":"https://example.com/a.pdf"},{"type":"text","text":"and"},{"type":"input_text","text":""}]`,
			`[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"auto"},` +
				`{"type":"input_image","image_url":"[image image/png, 68 bytes, sha256:ab]","detail":"low"},` +
				`{"type":"input_file","filename":"r.pdf","file_data":"[document application/pdf, 9 bytes, sha256:cd]"},` +
				`{"type":"input_file","file_url":"https://example.com/a.pdf"},{"type":"input_text","text":"and"},{"type":"input_text","text":""}]`},
		{"assistant", `[{"type":"output_text","text":"Sure.","annotations":[]},{"type":"refusal","refusal":"Not that."},{"type":"text","text":"ok"}]`,
			`[{"type":"output_text","text":"Sure."},{"type":"refusal","refusal":"Not that."},{"type":"output_text","text":"ok"}]`},
	} {
		parts, ok := ListContent(json.RawMessage(c.content), c.role)
		got, _ := json.Marshal(parts)
		if !ok || !sameJSON(t, got, c.want) {
			t.Errorf("%s %s: listed (%v) %s\nwant %s", c.role, c.content, ok, got, c.want)
		}
	}
	if _, ok := ListContent(json.RawMessage(`{"type":"input_text"}`), "user"); ok {
		t.Error("content that is neither a string nor parts was listed")
	}
}

// ListOutput lists a call's output as OpenAI does: a string as a string,
// parts as parts (the parts were flattened to a string of their texts,
// their images dropped). Written without HTML escaping, as the bodies
// around it are.
func TestListOutputKeepsStringsAndParts(t *testing.T) {
	for _, c := range []struct{ output, want string }{
		{`"a <b> & c"`, `"a <b> & c"`},
		{`null`, `""`},
		{`[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"high"}]`,
			`[{"type":"input_text","text":"the file"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"high"}]`},
		{`[]`, `[]`},
	} {
		output, ok := ListOutput(json.RawMessage(c.output))
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Output *CallOutput `json:"output"`
		}{output}); err != nil || !ok {
			t.Fatalf("%s: %v (%v)", c.output, err, ok)
		}
		if want := `{"output":` + c.want + "}\n"; !sameJSON(t, b.Bytes(), want) || (c.want[0] == '"' && b.String() != want) {
			t.Errorf("%s: listed %s, want %s", c.output, b.Bytes(), want)
		}
	}
}
