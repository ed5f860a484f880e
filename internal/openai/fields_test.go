package openai

import (
	"os"
	"strings"
	"testing"
)

// The README's field policy tables are the code's tables.
func TestReadmeHasTheFieldPolicyTables(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, table := range map[string][]Field{"chat": ChatFields, "completions": CompletionFields, "images": ImageFields} {
		rows := fieldDocs(table)
		if os.Getenv("PRINT_FIELD_TABLES") != "" {
			t.Logf("%s:\n%s", name, rows)
		}
		if !strings.Contains(string(readme), rows) {
			t.Errorf("README lacks the %s field table (PRINT_FIELD_TABLES=1 go test -run %s -v prints it):\n%s", name, t.Name(), rows)
		}
	}
}

func TestCheckFieldsOrderAndBounds(t *testing.T) {
	body := `{"zeta":1,"seed":1,"messages":[],"temperature":null,"alpha":{"x":1}}`
	got, err := CheckFields([]byte(body), ChatFields)
	if err != nil || strings.Join(got, ",") != "zeta,seed,alpha" {
		t.Fatalf("%v %v", got, err)
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"x` + strings.Repeat("y", i) + `":1`)
	}
	b.WriteString("}")
	if got, _ := CheckFields([]byte(b.String()), ChatFields); len(got) != maxIgnored || len(got[99%maxIgnored]) > 64 {
		t.Fatalf("%d ignored names recorded", len(got))
	}
}
