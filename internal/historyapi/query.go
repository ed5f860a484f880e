package historyapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"qwenproxy/internal/openai"
)

// Known query parameters, by what reads them. The original's aliases
// (orderBy, start_date, end_date) stay known.
var (
	listKeys   = []string{"limit", "offset", "after", "before", "sort", "order", "orderBy", "include", "count"}
	rangeKeys  = []string{"start", "end", "start_date", "end_date"}
	filterKeys = append([]string{"session_id", "client_session_id", "model", "response_model", "account", "api_key_id", "stream", "status", "finish_reason", "error_type"}, rangeKeys...)
	statsKeys  = append([]string{"session_id", "client_session_id", "model", "account", "api_key_id", "bucket"}, rangeKeys...)
)

func keys(groups ...[]string) []string { return slices.Concat(groups...) }

// bySession are a route's keys under /v1/sessions/{id}/: the path names the
// session, so a session_id beside it (another session, which was answered
// with the path's) is a parameter the route does not take.
func bySession(known []string) []string {
	return slices.DeleteFunc(slices.Clone(known), func(k string) bool { return k == "session_id" })
}

// strictQuery parses the request's query for a history route. Unlike
// url.Values it refuses what it cannot read: Go's parser silently drops a
// pair holding ';' or a bad escape, so "?session_id=abc;x" would otherwise
// list every call. A pair that does not parse, a parameter the route does not
// know, or one given twice (by its name or an alias), is a 400 naming it.
func strictQuery(r *http.Request, known []string) (url.Values, *openai.Error) {
	q := url.Values{}
	for pair := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(rawKey)
		value, err2 := url.QueryUnescape(rawValue)
		if strings.Contains(pair, ";") {
			return nil, openai.InvalidRequest(key, "invalid_query",
				"the query parameter %q does not parse (';' is not a separator; escape it as %%3B)", pair)
		}
		if err1 != nil || err2 != nil {
			return nil, openai.InvalidRequest(key, "invalid_query",
				"the query parameter %q does not parse (a %% must start an escape such as %%25 or %%3B)", pair)
		}
		if !slices.Contains(known, key) {
			takes := "it takes none"
			if len(known) > 0 {
				takes = "known: " + strings.Join(known, ", ")
			}
			return nil, openai.InvalidRequest(key, "unknown_parameter", "unknown query parameter %q on %s; %s", key, r.URL.Path, takes)
		}
		// Every parameter takes one value: given twice, which one the
		// caller meant is a guess (?before=1&before=2 deleted with the first).
		if q.Has(key) {
			return nil, openai.InvalidRequest(key, "repeated_parameter", "the query parameter %q is given more than once; give it once", key)
		}
		q.Set(key, value)
	}
	// An alias and its parameter are one parameter given twice too.
	for _, a := range aliases {
		if q.Has(a.alias) && q.Has(a.of) {
			return nil, openai.InvalidRequest(a.alias, "repeated_parameter", "%q and %q are the same parameter; give one of them", a.alias, a.of)
		}
	}
	return q, nil
}

// aliases are the original's names of parameters (its orderBy, which says
// sort and order at once, is sortParam's).
var aliases = []struct{ alias, of string }{{"start_date", "start"}, {"end_date", "end"}}
