package responses

import (
	"encoding/json"
	"testing"
)

// An input_file by file_url is a document the server fetches (under
// ALLOW_IMAGE_URLS), named by its filename when given: it was a 400
// whatever the policy. A file_url that is no http(s) URL, or a file_id, is
// still a 400 invalid_document naming the field.
func TestInputFilesByURLAreDocuments(t *testing.T) {
	var r Request
	body := `{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"read"},` +
		`{"type":"input_file","file_url":"https://example.com/docs/a.pdf"},{"type":"input_file","filename":"n.txt","file_url":"http://example.com/n"}]}]}`
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	c := r.Conversation()
	if len(c) != 1 || len(c[0].Documents) != 2 || c[0].Documents[0].URL != "https://example.com/docs/a.pdf" || c[0].Documents[0].Name != "" ||
		c[0].Documents[1].URL != "http://example.com/n" || c[0].Documents[1].Name != "n.txt" {
		a, _ := json.Marshal(c)
		t.Fatalf("conversation %s", a)
	}
	for part, param := range map[string]string{
		`{"type":"input_file","file_url":"ftp://example.com/a.pdf"}`: "input[0].content[0].file_url",
		`{"type":"input_file","file_id":"file-abc"}`:                 "input[0].content[0].file_id",
	} {
		var bad Request
		if err := json.Unmarshal([]byte(`{"model":"m","input":[{"role":"user","content":[`+part+`]}]}`), &bad); err != nil {
			t.Fatal(err)
		}
		if err := bad.Validate(); err == nil || err.Param != param || err.Code != "invalid_document" {
			t.Errorf("%s: %+v, want a 400 invalid_document for %s", part, err, param)
		}
	}
}

// An input_image by file_id (OpenAI's Files API) is a 400 naming file_id,
// as an input_file's is, and one with neither a URL nor a file_id names the
// missing image_url: until 2026-12-06 both named image_url, which the
// first had not sent, as "must be a data: URL or an http(s) URL".
func TestAnInputImageByFileIDNamesIt(t *testing.T) {
	for part, want := range map[string]struct{ param, code string }{
		`{"type":"input_image","file_id":"file-abc","detail":"auto"}`:  {"input[0].content[0].file_id", "invalid_image"},
		`{"type":"input_image","detail":"auto"}`:                       {"input[0].content[0].image_url", "missing_required_parameter"},
		`{"type":"input_image","image_url":"ftp://example.com/a.png"}`: {"input[0].content[0].image_url", "invalid_value"},
	} {
		var bad Request
		if err := json.Unmarshal([]byte(`{"model":"m","input":[{"role":"user","content":[`+part+`]}]}`), &bad); err != nil {
			t.Fatal(err)
		}
		if err := bad.Validate(); err == nil || err.Param != want.param || err.Code != want.code {
			t.Errorf("%s: %+v, want a 400 %s for %s", part, err, want.code, want.param)
		}
	}
}
