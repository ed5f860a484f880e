package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"qwenproxy/internal/auth"
	cliplib "qwenproxy/internal/clip"
	"qwenproxy/internal/openai"
)

// endpoint is one row of the route table: one method on one path.
type endpoint struct {
	method string
	path   string // a ServeMux pattern, without the method
	// admin marks the history API and deletes of recorded history: where
	// admin keys exist, only they pass. Access control reads this flag,
	// never the path, so a route cannot ship unguarded by being new.
	admin bool
	// ids, when set, narrows the row to the {id} values it accepts; rows
	// sharing a method and path are tried in order (the history API's
	// recorded responses and the Responses API share /v1/responses/{id}).
	ids func(id string) bool
	// unknown, beside ids, is the row's API's 404 for an {id} that ids
	// refuses and no other row of the path takes (a chat completion's id
	// given to responses.delete): the route is there, the id is not.
	unknown func(id string) *openai.Error
	handler http.HandlerFunc
}

// mount registers the table on mux, one handler per path. Any other method
// gets a JSON 405 with an Allow header; HEAD is served by GET's row.
func (s *Server) mount(mux *http.ServeMux, table []endpoint) {
	byPath := map[string][]endpoint{}
	var paths []string
	for _, e := range table {
		if _, ok := byPath[e.path]; !ok {
			paths = append(paths, e.path)
		}
		byPath[e.path] = append(byPath[e.path], e)
	}
	for _, path := range paths {
		mux.HandleFunc(path, s.dispatch(path, byPath[path]))
	}
}

func (s *Server) dispatch(path string, rows []endpoint) http.HandlerFunc {
	var allowed []string
	for _, e := range rows {
		if !slices.Contains(allowed, e.method) {
			allowed = append(allowed, e.method)
		}
		if e.method == http.MethodGet && !slices.Contains(allowed, http.MethodHead) {
			allowed = append(allowed, http.MethodHead)
		}
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	return func(w http.ResponseWriter, r *http.Request) {
		// The metrics label: the table's path, a fixed set. (r.Pattern is set
		// on the request the mux was given, which the key guard replaces
		// with a copy, so the middleware cannot read it.)
		if sw, ok := w.(*statusWriter); ok {
			sw.route = path
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		known := false
		var unknown func(id string) *openai.Error
		for _, e := range rows {
			if e.method != method {
				continue
			}
			known = true
			if e.ids != nil && !e.ids(r.PathValue("id")) {
				if unknown == nil {
					unknown = e.unknown
				}
				continue
			}
			if e.admin && !s.admitted(w, r) {
				return
			}
			if e.admin {
				// The history (every call's bodies) is for no cache to
				// keep: a browser's would hold it after the page closed.
				w.Header().Set("Cache-Control", "no-store")
			}
			held, ok := s.admit(w, r)
			if !ok {
				return
			}
			if held {
				defer s.admission.giveBack()
			}
			e.handler(w, r)
			return
		}
		switch {
		case known && unknown != nil:
			writeErrorFor(w, r, unknown(r.PathValue("id")))
			return
		case known:
			writeErrorFor(w, r, notFound(r))
			return
		}
		w.Header().Set("Allow", allow)
		writeErrorFor(w, r, &openai.Error{Status: http.StatusMethodNotAllowed, Type: openai.TypeInvalidRequest, Code: "method_not_allowed",
			Message: fmt.Sprintf("method %s is not allowed on %s; allowed: %s", clip(r.Method), clip(r.URL.Path), allow)})
	}
}

// admitted lets an admin route's call through, or answers 401/403: where
// keys exist the call needs one (guard has checked it), and where admin keys
// exist it needs an admin key.
func (s *Server) admitted(w http.ResponseWriter, r *http.Request) bool {
	keys := s.deps.Keys
	if keys == nil || !keys.Enabled(r.Context()) {
		return true
	}
	id := auth.FromContext(r.Context())
	if id.KeyID == "" {
		unauthorized(w, r)
		return false
	}
	if !id.Admin && keys.AdminRequired(r.Context()) {
		writeErrorFor(w, r, &openai.Error{Status: http.StatusForbidden, Type: "permission_error", Code: "admin_key_required",
			Message: "the history routes and deletes need an admin API key"})
		return false
	}
	return true
}

// mayReadHistory reports whether the key named keyID ("" for none) may
// still read the history: an export ticket is used after the call that
// made it, and its key may have been deleted since.
func (s *Server) mayReadHistory(ctx context.Context, keyID string) bool {
	keys := s.deps.Keys
	if keys == nil || !keys.Enabled(ctx) {
		return true
	}
	id, ok := keys.Lookup(ctx, keyID)
	return ok && (id.Admin || !keys.AdminRequired(ctx))
}

// unauthorized is the 401, in the envelope of the path's client API:
// OpenAI's invalid_api_key, an invalid_request_error as OpenAI types it
// (Anthropic's envelope types it by its status, authentication_error). It is
// final (X-Should-Retry: false): the same key sent again is refused again,
// and Claude Code, which retries a 401 with backoff unless told not to,
// would otherwise hold a mistyped key's run for minutes, printing nothing.
func unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="qwenproxy"`)
	writeErrorFor(w, r, &openai.Error{Status: http.StatusUnauthorized, Type: openai.TypeInvalidRequest, Code: "invalid_api_key",
		Message: "a valid proxy API key is required: Authorization: Bearer <key> (or x-api-key: <key>)", Final: true})
}

// notFound is the 404 for unknown routes.
func notFound(r *http.Request) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeInvalidRequest, Code: "not_found",
		Message: fmt.Sprintf("no route for %s %s", clip(r.Method), clip(r.URL.Path))}
}

// clip bounds what an error message echoes of the client's request to its
// first 128 bytes: a method, path, id or model name is told by its
// beginning, and the message around it stays whole (every message is
// bounded as a whole too: openai.Error.SentMessage).
func clip(s string) string { return cliplib.Head(s, 128) }
