package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
)

// route registers path with one handler per method; any other method gets a
// JSON 405 with an Allow header. HEAD is served by GET's handler.
func route(mux *http.ServeMux, path string, methods map[string]http.HandlerFunc) {
	allowed := make([]string, 0, len(methods)+1)
	for m := range methods {
		allowed = append(allowed, m)
	}
	if _, ok := methods[http.MethodGet]; ok {
		allowed = append(allowed, http.MethodHead)
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if h, ok := methods[method]; ok {
			h(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		writeErrorFor(w, r, &openai.Error{Status: http.StatusMethodNotAllowed, Type: openai.TypeInvalidRequest, Code: "method_not_allowed",
			Message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow)})
	})
}

// notFound is the 404 for unknown routes.
func notFound(r *http.Request) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Code: "not_found",
		Message: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)}
}
