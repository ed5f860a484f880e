package server

import (
	"net/url"
	"slices"
	"strconv"

	"qwenproxy/internal/openai"
)

// pageModels pages the model list as Anthropic's Models API pages it
// (limit 1–1000, 20 by default; after_id or before_id a listed model's
// id), for the Anthropic SDKs' models.list({limit, after_id, before_id}).
// A call with none of them (OpenAI's clients, which do not page) gets the
// whole list, as one page. more says whether models are left beyond the
// page in the direction asked.
func pageModels(all []openai.Model, q url.Values) (page []openai.Model, more bool, err *openai.Error) {
	if !q.Has("limit") && !q.Has("after_id") && !q.Has("before_id") {
		return all, false, nil
	}
	limit := 20
	if q.Has("limit") {
		n, convErr := strconv.Atoi(q.Get("limit"))
		if convErr != nil || n < 1 || n > 1000 {
			return nil, false, openai.InvalidRequest("limit", "invalid_value", "limit must be an integer from 1 to 1000, not %q", q.Get("limit"))
		}
		limit = n
	}
	if q.Has("after_id") && q.Has("before_id") {
		return nil, false, openai.InvalidRequest("before_id", "invalid_value", "after_id and before_id cannot both be given")
	}
	find := func(param string) (int, *openai.Error) {
		id := q.Get(param)
		i := slices.IndexFunc(all, func(m openai.Model) bool { return m.ID == id })
		if i < 0 {
			return 0, openai.InvalidRequest(param, "invalid_value", "%s names no listed model: %q", param, id)
		}
		return i, nil
	}
	if q.Has("before_id") {
		end, err := find("before_id")
		if err != nil {
			return nil, false, err
		}
		start := max(0, end-limit)
		return all[start:end], start > 0, nil
	}
	start := 0
	if q.Has("after_id") {
		i, err := find("after_id")
		if err != nil {
			return nil, false, err
		}
		start = i + 1
	}
	end := min(len(all), start+limit)
	return all[start:end], end < len(all), nil
}
