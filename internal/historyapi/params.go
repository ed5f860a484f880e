package historyapi

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/clip"
	"qwenproxy/internal/openai"
)

// ListOptionsFrom reads limit, offset, cursors, sort, include and count from
// a query. sorts is the whitelist of sort fields. The CLI calls it too, so
// its flags fail as the API's parameters do.
func ListOptionsFrom(q url.Values, defaultLimit int, sorts []string) (qp.ListOptions, *openai.Error) {
	o := qp.ListOptions{Limit: defaultLimit}
	// An option given with no value (limit=, after=) is refused as a bad
	// value, not read as absent: after= answered the first page again, and
	// a script paging with an unset cursor variable looped over it for ever.
	if v, ok := given(q, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return o, openai.InvalidRequest("limit", "invalid_limit", "limit must be an integer between 1 and 1000, not %q", v)
		}
		o.Limit = n
	}
	if v, ok := given(q, "offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return o, openai.InvalidRequest("offset", "invalid_offset", "offset must be a non-negative integer, not %q", v)
		}
		o.Offset = n
	}
	var err *openai.Error
	if o.After, err = cursorParam(q, "after"); err != nil {
		return o, err
	}
	if o.Before, err = cursorParam(q, "before"); err != nil {
		return o, err
	}
	if o.After != nil && o.Before != nil || (o.After != nil || o.Before != nil) && o.Offset > 0 {
		return o, openai.InvalidRequest("after", "invalid_cursor", "use one of offset, after and before")
	}
	if o.Sort, o.Asc, err = sortParam(q, sorts); err != nil {
		return o, err
	}
	switch inc, ok := given(q, "include"); {
	case !ok:
	case inc == "bodies":
		o.Bodies = true
	default:
		return o, openai.InvalidRequest("include", "invalid_include", "include must be 'bodies', not %q", inc)
	}
	switch c, ok := given(q, "count"); {
	case !ok, c == "true":
	case c == "false":
		o.NoTotal = true
	default:
		return o, openai.InvalidRequest("count", "invalid_count", "count must be true or false, not %q", c)
	}
	return o, nil
}

// sortParam reads sort=<field>&order=asc|desc, or the original's
// orderBy="<field> ASC|DESC". Only whitelisted fields pass.
func sortParam(q url.Values, allowed []string) (string, bool, *openai.Error) {
	field, sorted := given(q, "sort")
	order, ordered := given(q, "order")
	if ob, ok := given(q, "orderBy"); ok {
		parts := strings.Fields(ob)
		if len(parts) == 0 || len(parts) > 2 {
			return "", false, openai.InvalidRequest("orderBy", "invalid_sort", "orderBy must be '<field> [ASC|DESC]', not %q", ob)
		}
		// Said twice, by both names, one of them would be ignored.
		if sorted {
			return "", false, openai.InvalidRequest("orderBy", "repeated_parameter", `"orderBy" and "sort" both name the sort field; give one of them`)
		}
		field, sorted = parts[0], true
		if len(parts) == 2 {
			if ordered {
				return "", false, openai.InvalidRequest("orderBy", "repeated_parameter", `"orderBy" and "order" both give the order; give one of them`)
			}
			order = parts[1]
		}
	}
	asc := false
	switch lower := strings.ToLower(order); {
	case lower == "desc", lower == "" && !ordered:
	case lower == "asc":
		asc = true
	default:
		return "", false, openai.InvalidRequest("order", "invalid_sort", "order must be asc or desc, not %q", order)
	}
	if !sorted {
		return "", asc, nil
	}
	for _, a := range allowed {
		if field == a {
			return field, asc, nil
		}
	}
	return "", false, openai.InvalidRequest("sort", "invalid_sort", "cannot sort by %q; sort by one of %s", field, strings.Join(allowed, ", "))
}

// given is a parameter's value and whether the query holds it at all, with
// a value or empty.
func given(q url.Values, name string) (string, bool) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// A cursor is opaque to clients: base64url of "value.id".
func encodeCursor(c *qp.Cursor) *string {
	if c == nil {
		return nil
	}
	s := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d.%d", c.Value, c.ID)))
	return &s
}

func cursorParam(q url.Values, name string) (*qp.Cursor, *openai.Error) {
	v, ok := given(q, name)
	if !ok {
		return nil, nil
	}
	bad := openai.InvalidRequest(name, "invalid_cursor", "%s is not a cursor returned by this API", name)
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, bad
	}
	a, b, ok := strings.Cut(string(raw), ".")
	val, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, bad
	}
	return &qp.Cursor{Value: val, ID: id}, nil
}

// timeRange reads start/end (or the original's start_date/end_date), each
// as ParseTime reads it.
func timeRange(q url.Values, now time.Time) (qp.TimeRange, *openai.Error) {
	var r qp.TimeRange
	var err *openai.Error
	if r.Start, err = timeParam(q, now, "start", "start_date"); err != nil {
		return r, err
	}
	if r.End, err = timeParam(q, now, "end", "end_date"); err != nil {
		return r, err
	}
	if !r.Start.IsZero() && !r.End.IsZero() && r.Start.After(r.End) {
		return r, openai.InvalidRequest("start", "invalid_date_range", "start must be before or equal to end")
	}
	return r, nil
}

func timeParam(q url.Values, now time.Time, names ...string) (time.Time, *openai.Error) {
	for _, name := range names {
		v := q.Get(name)
		if v == "" {
			continue
		}
		t, err := ParseTime(v, now)
		if err != nil {
			return time.Time{}, openai.InvalidRequest(name, "invalid_date", "%s: %q is not %s", name, v, TimeFormats)
		}
		return t, nil
	}
	return time.Time{}, nil
}

// filterNames are the filters of the history's lists, stats and exports.
var filterNames = []string{"session_id", "client_session_id", "model", "response_model", "account", "api_key_id", "search", "stream", "status", "finish_reason", "error_type", "start", "end", "start_date", "end_date", "bucket"}

// emptyFilter refuses a filter given with no value (model=): taken as no
// filter, it answered every call, where the client asked for some.
func emptyFilter(q url.Values) *openai.Error {
	for _, name := range filterNames {
		if v, ok := q[name]; ok && len(v) > 0 && v[0] == "" {
			return openai.InvalidRequest(name, "invalid_filter", "%s= is empty: give it a value, or leave %s out", name, name)
		}
	}
	return nil
}

// SessionFilterFrom reads the filters of the session list.
func SessionFilterFrom(q url.Values, now time.Time) (qp.SessionFilter, *openai.Error) {
	if err := emptyFilter(q); err != nil {
		return qp.SessionFilter{}, err
	}
	// A session's first message is kept to FirstUserMessageMax bytes, so a
	// longer search matches none; and past 50,000 bytes SQLite refuses the
	// pattern, which made the client's input a 503 "try again".
	if search := q.Get("search"); len(search) > qp.FirstUserMessageMax {
		return qp.SessionFilter{}, openai.InvalidRequest("search", "invalid_filter",
			"search must be at most %d bytes, the most of a session's first message that is kept, not %d", qp.FirstUserMessageMax, len(search))
	}
	rng, err := timeRange(q, now)
	return qp.SessionFilter{Model: q.Get("model"), Account: q.Get("account"), APIKeyID: q.Get("api_key_id"), Search: q.Get("search"), Range: rng}, err
}

// CallFilterFrom reads the filters of request and response lists and of
// exports.
func CallFilterFrom(q url.Values, now time.Time) (qp.CallFilter, *openai.Error) {
	if err := emptyFilter(q); err != nil {
		return qp.CallFilter{}, err
	}
	f := qp.CallFilter{SessionID: q.Get("session_id"), Model: q.Get("model"), ResponseModel: q.Get("response_model"), Account: q.Get("account"), APIKeyID: q.Get("api_key_id")}
	var err *openai.Error
	if f.ClientSessionID, err = clientSessionFilter(q); err != nil {
		return f, err
	}
	switch v := q.Get("stream"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.Stream = &b
	default:
		return f, openai.InvalidRequest("stream", "invalid_filter", "stream must be true or false, not %q", v)
	}
	switch f.Status = q.Get("status"); f.Status {
	case "", qp.StatusSuccess, qp.StatusError:
	default:
		return f, openai.InvalidRequest("status", "invalid_filter", "status must be success or error, not %q", f.Status)
	}
	switch f.FinishReason = q.Get("finish_reason"); f.FinishReason {
	case "", "stop", "length", "tool_calls", "content_filter":
	default:
		return f, openai.InvalidRequest("finish_reason", "invalid_filter", "finish_reason must be stop, length, tool_calls or content_filter, not %q", f.FinishReason)
	}
	if f.ErrorType = q.Get("error_type"); f.ErrorType != "" && !slices.Contains(qp.ErrorTypes, f.ErrorType) {
		return f, openai.InvalidRequest("error_type", "invalid_filter", "error_type must be one of %s, not %q", strings.Join(qp.ErrorTypes, ", "), f.ErrorType)
	}
	f.Range, err = timeRange(q, now)
	return f, err
}

// clientSessionFilter reads client_session_id, the lists' and the
// statistics' alike. An id no call can be recorded with (see
// qp.CleanClientSessionID) would match none: a 400 says why, where an empty
// list (or statistics of no call) would not.
func clientSessionFilter(q url.Values) (string, *openai.Error) {
	id := q.Get("client_session_id")
	if id != "" && !qp.ValidClientSessionID(id) {
		return "", openai.InvalidRequest("client_session_id", "invalid_filter",
			"client_session_id must be at most %d bytes of A-Z, a-z, 0-9 and -_.: (as calls are recorded with it), not %q (%d bytes)",
			qp.ClientSessionIDMax, clip.Head(id, qp.ClientSessionIDMax+16), len(id))
	}
	return id, nil
}
