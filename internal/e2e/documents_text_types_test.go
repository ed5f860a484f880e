package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// Text files of any text type — CSV, source code, JSON — are read as the
// plain text they are (OpenAI's Responses API takes code and CSV files as
// input_file): they were a 400 "type … is not taken" unless declared
// text/plain or text/markdown, though the model reads them as text alike.
// Bytes that are not UTF-8 text stay a 400, as a binary type does.
func TestTextFilesOfAnyTextTypeAreAttached(t *testing.T) {
	e := start(t, nil)
	for _, c := range []struct{ mime, name, text string }{
		{"text/csv", "prices.csv", "item,price\napple,3\n"},
		{"text/x-python", "main.py", "print('hello')\n"},
		{"application/json", "config.json", `{"debug": true}`},
	} {
		data := "data:" + c.mime + ";base64," + base64.StdEncoding.EncodeToString([]byte(c.text))
		resp := postJSON(t, e, "/v1/responses", `{"model":"qwen3-max","input":[{"role":"user","content":[{"type":"input_text","text":"what is in it?"},`+
			`{"type":"input_file","filename":"`+c.name+`","file_data":"`+data+`"}]}]}`, nil)
		want := fmt.Sprintf("I read 1 document: %s.txt (%d bytes, text/plain)", c.name, len(c.text))
		if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", c.mime, resp.StatusCode, body)
		}
	}
	resp := postJSON(t, e, "/v1/chat/completions", `{"model":"qwen3-max","messages":[{"role":"user","content":[{"type":"text","text":"read"},`+
		`{"type":"file","file":{"filename":"a.csv","file_data":"data:text/csv;base64,`+base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0})+`"}}]}]}`, nil)
	if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "not UTF-8 text") {
		t.Errorf("binary bytes declared text/csv: %d %s", resp.StatusCode, body)
	}
}
