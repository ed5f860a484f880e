package openai_test

import (
	"os"
	"strings"
	"testing"

	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/openai"
	"qwenproxy/internal/responses"
)

// The README's field policy tables are the code's tables, for every client
// API.
func TestReadmeHasTheFieldPolicyTables(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, table := range map[string][]openai.Field{"chat": openai.ChatFields, "completions": openai.CompletionFields,
		"images": openai.ImageFields, "image edits": openai.ImageEditFields, "responses": responses.Fields, "responses compact": responses.CompactFields, "messages": anthropic.Fields} {
		rows := openai.FieldDocs(table)
		if os.Getenv("PRINT_FIELD_TABLES") != "" {
			t.Logf("%s:\n%s", name, rows)
		}
		if !strings.Contains(string(readme), rows) {
			t.Errorf("README lacks the %s field table (PRINT_FIELD_TABLES=1 go test -run %s -v prints it):\n%s", name, t.Name(), rows)
		}
	}
}
