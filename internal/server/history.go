package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// SortFields are the whitelisted sort fields of the three lists.
type SortFields struct{ Sessions, Requests, Responses []string }

func notFoundError(what string) *openai.Error {
	return &openai.Error{Status: http.StatusNotFound, Type: openai.TypeNotFound, Code: what + "_not_found", Message: what + " not found"}
}

// loaded reports whether a lookup succeeded; if not, it has answered 404
// (what_not_found) or 503.
func (s *Server) loaded(w http.ResponseWriter, err error, what string) bool {
	switch {
	case errors.Is(err, qp.ErrNotFound):
		writeError(w, notFoundError(what))
		return false
	case err != nil:
		s.storeFailed(w, err)
		return false
	}
	return true
}

// storeFailed answers a database error; the details go to the log only.
func (s *Server) storeFailed(w http.ResponseWriter, err error) {
	s.log.Error("history query failed", "err", err)
	writeError(w, &openai.Error{Status: http.StatusServiceUnavailable, Type: openai.TypeServer, Code: "database_error",
		Message: "the history database could not answer; try again"})
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o, apiErr := listParams(q, 50, s.cfg.Sorts.Sessions)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	rng, apiErr := timeRange(q)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	res, err := s.deps.History.ListSessions(r.Context(), qp.SessionFilter{Model: q.Get("model"), Search: q.Get("search"), Range: rng}, o)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	data := make([]sessionJSON, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, s.sessionJSON(&res.Items[i], false))
	}
	writeJSON(w, http.StatusOK, envelopeOf(res, o, data))
}

// session loads the {id} session, answering 404 itself.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *qp.SessionRecord {
	rec, err := s.deps.History.SessionRecord(r.Context(), r.PathValue("id"))
	if !s.loaded(w, err, "session") {
		return nil
	}
	return rec
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	if rec := s.session(w, r); rec != nil {
		writeJSON(w, http.StatusOK, s.sessionJSON(rec, true))
	}
}

func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// Written-behind state of the session must land before the delete, or
	// it would bring the session back.
	s.deps.Sessions.Forget(id)
	if err := s.deps.Recorder.Sync(r.Context()); err != nil {
		s.storeFailed(w, err)
		return
	}
	if !s.loaded(w, s.deps.History.DeleteSession(r.Context(), id), "session") {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true, "session_id": id})
}

func (s *Server) sessionRequests(w http.ResponseWriter, r *http.Request) {
	rec := s.session(w, r)
	if rec == nil {
		return
	}
	q := r.URL.Query()
	q.Set("session_id", rec.ID)
	s.requestList(w, r, q, 100, rec.ID)
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request) {
	s.requestList(w, r, r.URL.Query(), 50, "")
}

// callList reads the paging, sorting and filters of a list of calls; on a
// bad parameter it has answered the 400.
func callList(w http.ResponseWriter, q url.Values, defaultLimit int, sorts []string) (qp.ListOptions, qp.CallFilter, bool) {
	o, apiErr := listParams(q, defaultLimit, sorts)
	var f qp.CallFilter
	if apiErr == nil {
		f, apiErr = callFilter(q)
	}
	if apiErr != nil {
		writeError(w, apiErr)
		return o, f, false
	}
	return o, f, true
}

func (s *Server) requestList(w http.ResponseWriter, r *http.Request, q url.Values, defaultLimit int, sessionID string) {
	o, f, ok := callList(w, q, defaultLimit, s.cfg.Sorts.Requests)
	if !ok {
		return
	}
	res, err := s.deps.History.ListRequests(r.Context(), f, o)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	data := make([]any, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, toRequestJSON(&res.Items[i], false))
	}
	env := envelopeOf(res, o, data)
	env.SessionID = sessionID
	writeJSON(w, http.StatusOK, env)
}

// request loads the {id} request (numeric id or request UUID).
func (s *Server) request(w http.ResponseWriter, r *http.Request) *qp.RequestRecord {
	key := r.PathValue("id")
	if _, err := strconv.ParseInt(key, 10, 64); err != nil && !validUUID(key) {
		writeError(w, openai.InvalidRequest("id", "invalid_id", "a request id is a number or a request UUID"))
		return nil
	}
	rec, err := s.deps.History.Request(r.Context(), key)
	if !s.loaded(w, err, "request") {
		return nil
	}
	return rec
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request) {
	if rec := s.request(w, r); rec != nil {
		writeJSON(w, http.StatusOK, toRequestJSON(rec, true))
	}
}

func (s *Server) requestResponse(w http.ResponseWriter, r *http.Request) {
	rec := s.request(w, r)
	if rec == nil {
		return
	}
	if rec.Response == nil {
		e := notFoundError("response")
		e.Message = "response not found for this request"
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, toResponseJSON(rec.Response))
}

func (s *Server) deleteRequests(w http.ResponseWriter, r *http.Request) {
	before, apiErr := timeParam(r.URL.Query(), "before")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if before.IsZero() {
		writeError(w, openai.InvalidRequest("before", "missing_required_parameter", "before is required (Unix ms or RFC 3339)"))
		return
	}
	n, err := s.deps.History.DeleteRequestsBefore(r.Context(), before, 500)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	if err := s.deps.History.ReclaimSpace(r.Context()); err != nil {
		s.log.Warn("reclaim space after delete", "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": n, "before": before.UnixMilli()})
}

func (s *Server) listResponses(w http.ResponseWriter, r *http.Request) {
	o, f, ok := callList(w, r.URL.Query(), 50, s.cfg.Sorts.Responses)
	if !ok {
		return
	}
	res, err := s.deps.History.ListResponses(r.Context(), f, o)
	if err != nil {
		s.storeFailed(w, err)
		return
	}
	data := make([]*responseJSON, 0, len(res.Items))
	for i := range res.Items {
		data = append(data, toResponseJSON(&res.Items[i]))
	}
	writeJSON(w, http.StatusOK, envelopeOf(res, o, data))
}

func (s *Server) getResponse(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, openai.InvalidRequest("id", "invalid_id", "a response id is a number"))
		return
	}
	rec, err := s.deps.History.Response(r.Context(), id)
	if !s.loaded(w, err, "response") {
		return
	}
	out := struct {
		*responseJSON
		Request map[string]any `json:"request"`
	}{toResponseJSON(rec), map[string]any{"id": rec.RequestID, "request_id": rec.RequestUUID, "model": rec.Model, "stream": rec.Stream}}
	writeJSON(w, http.StatusOK, out)
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
