package server

import (
	"fmt"
	"net/http"
	"strings"

	"qwenproxy/internal/openai"
)

// baseURLHints finds the route a call outside /v1 meant: clients built on
// the AI SDK append their route to the base URL as given (Cline's Anthropic
// provider given http://host:3000 calls POST /messages), so a base URL
// without /v1 reaches no route. Made once from the route table.
type baseURLHints struct{ mux *http.ServeMux }

func newBaseURLHints(table []endpoint) baseURLHints {
	mux := http.NewServeMux()
	seen := map[string]bool{}
	for _, e := range table {
		pattern := e.method + " " + e.path
		if !strings.HasPrefix(e.path, "/v1/") || seen[pattern] {
			continue
		}
		seen[pattern] = true
		mux.HandleFunc(pattern, http.NotFound) // only matched, never served
	}
	return baseURLHints{mux: mux}
}

// notFound is the 404 for a call no route takes: when the same method and
// path under /v1 is a route, it names that route and where a base URL ends
// (or, for /v1/v1/…, that the client adds /v1 itself).
func (h baseURLHints) notFound(r *http.Request) *openai.Error {
	e := notFound(r)
	path, advice := "/v1"+r.URL.Path, "A client's base URL for qwenproxy ends in /v1 (http://HOST:PORT/v1)"
	switch rest, twice := strings.CutPrefix(r.URL.Path, "/v1/v1/"); {
	case twice: // a client that adds /v1 itself, given a base URL with it
		path, advice = "/v1/"+rest, "The client adds /v1 itself: give its base URL without /v1 (http://HOST:PORT)"
	case strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Path == "/v1":
		return e
	}
	meant := r.Clone(r.Context())
	meant.URL.Path = path
	meant.URL.RawPath = ""
	if _, pattern := h.mux.Handler(meant); pattern == "" {
		return e
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	e.Message += fmt.Sprintf("; did you mean %s %s? %s", clip(method), clip(meant.URL.Path), advice)
	return e
}
