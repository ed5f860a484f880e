package httpjson

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// A recorded body holding bytes that are not UTF-8 (kept as the client
// sent them) is read back as valid UTF-8 JSON, those bytes as U+FFFD, and
// its "<", ">" and "&" as sent.
func TestMarshalWritesUTF8WithoutHTMLEscapes(t *testing.T) {
	v := struct {
		Body json.RawMessage `json:"body"`
	}{json.RawMessage("{\"content\": \"bad \xff\xfe & <b>\"}")}
	want := "{\"body\":{\"content\":\"bad \uFFFD & <b>\"}}"
	got, err := Marshal(v)
	if err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	var b bytes.Buffer
	if err := NewEncoder(&b).Encode(v); err != nil || !utf8.Valid(b.Bytes()) || b.String() != want+"\n" {
		t.Fatalf("encoder wrote %q, %v", b.Bytes(), err)
	}
}
