package qwenproxy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The README's table of error types, and ErrorTypes (what the history's
// error_type filter takes), name every ErrorType constant, read from this
// package's source so that a new one cannot be left out.
func TestReadmeAndListNameEveryErrorType(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "exchange.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || !strings.HasPrefix(spec.Names[0].Name, "ErrorType") || len(spec.Values) != 1 {
			return true
		}
		lit, ok := spec.Values[0].(*ast.BasicLit)
		if !ok { // ErrorTypes, the list
			return true
		}
		value, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if !strings.Contains(string(readme), "| `"+value+"` |") {
			t.Errorf("README's error_type table lacks %s (%s)", value, spec.Names[0].Name)
		}
		if !slices.Contains(ErrorTypes, value) {
			t.Errorf("ErrorTypes, the values the history's filter takes, lacks %s (%s)", value, spec.Names[0].Name)
		}
		return true
	})
	if n != len(ErrorTypes) {
		t.Errorf("exchange.go has %d error types, ErrorTypes %d", n, len(ErrorTypes))
	}
	if n < 10 {
		t.Fatalf("found %d error types in exchange.go", n)
	}
}
