package server

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every header name read straight from a header map (canonicalHeader, or
// an index for all its values), here and in the Qwen client, is in
// canonical form: the map holds its keys so, and a name that is not would
// never be found (where Get would have canonicalised it).
func TestHeadersReadStraightAreNamedCanonically(t *testing.T) {
	read := regexp.MustCompile(`canonicalHeader\([^,]+, "([^"]+)"\)|Header\["([^"]+)"\]`)
	found := 0
	for _, dir := range []string{".", "../qwen"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range read.FindAllStringSubmatch(string(src), -1) {
				name := m[1] + m[2]
				found++
				if http.CanonicalHeaderKey(name) != name {
					t.Errorf("%s reads header %q, not in canonical form (%q)", f, name, http.CanonicalHeaderKey(name))
				}
			}
		}
	}
	if found < 15 {
		t.Fatalf("found %d header names read straight: the pattern no longer matches the code", found)
	}
	h := http.Header{}
	h.Set("x-session-id", "s1")
	if canonicalHeader(h, "X-Session-Id") != h.Get("X-Session-Id") || canonicalHeader(h, "Origin") != "" {
		t.Fatal("canonicalHeader differs from Get")
	}
}
