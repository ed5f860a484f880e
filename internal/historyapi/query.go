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
	filterKeys = append([]string{"session_id", "model", "account", "stream", "status", "finish_reason"}, rangeKeys...)
	statsKeys  = append([]string{"session_id", "model", "account", "bucket"}, rangeKeys...)
)

func keys(groups ...[]string) []string { return slices.Concat(groups...) }

// strictQuery parses the request's query for a history route. Unlike
// url.Values it refuses what it cannot read: Go's parser silently drops a
// pair holding ';' or a bad escape, so "?session_id=abc;x" would otherwise
// list every call. A pair that does not parse, or a parameter the route does
// not know, is a 400 naming it.
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
		q.Add(key, value)
	}
	return q, nil
}
