package anthropic

import (
	"os"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
)

// The README's table of this API's fields is the code's.
func TestReadmeHasTheFieldTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if rows := openai.FieldDocs(Fields); !strings.Contains(string(readme), rows) {
		t.Errorf("README lacks the field table:\n%s", rows)
	}
}
