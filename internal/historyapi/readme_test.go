package historyapi

import (
	"os"
	"strings"
	"testing"
)

// The README names the CSV export's columns as the code writes them.
func TestReadmeListsTheCSVColumns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if columns := "`" + strings.Join(ExportCSVHeader, ", ") + "`"; !strings.Contains(string(readme), columns) {
		t.Errorf("README does not list the CSV columns as the export writes them: %s", columns)
	}
}
