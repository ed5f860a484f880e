package qwensim

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// The README's table of the fault endpoint's fields names every field a
// fault takes over HTTP.
func TestReadmeNamesEveryFaultField(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ft := reflect.TypeFor[Fault]()
	for i := range ft.NumField() {
		name, _, _ := strings.Cut(ft.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README's fault table lacks %s (Fault.%s)", name, ft.Field(i).Name)
		}
	}
}
