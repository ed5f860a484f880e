package server

import (
	"net/url"
	"slices"
	"testing"

	"qwenproxy/internal/openai"
)

// The model list pages as Anthropic's Models API does when asked to (the
// Anthropic SDKs' models.list({limit, after_id, before_id})): limit,
// after_id and before_id were ignored, so limit=2 got every model, and a
// malformed limit or an unknown cursor passed unnoticed. Without them the
// list is whole, for OpenAI's clients.
func TestModelListPagesAsAnthropicPages(t *testing.T) {
	var all []openai.Model
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		all = append(all, openai.Model{ID: id})
	}
	ids := func(ms []openai.Model) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
		more  bool
	}{
		{"", []string{"a", "b", "c", "d", "e"}, false},
		{"limit=2", []string{"a", "b"}, true},
		{"limit=2&after_id=b", []string{"c", "d"}, true},
		{"limit=2&after_id=c", []string{"d", "e"}, false},
		{"after_id=e", nil, false},
		{"limit=2&before_id=e", []string{"c", "d"}, true},
		{"limit=3&before_id=c", []string{"a", "b"}, false},
		{"limit=1000", []string{"a", "b", "c", "d", "e"}, false},
	} {
		q, _ := url.ParseQuery(tc.query)
		page, more, err := pageModels(all, q)
		if err != nil || !slices.Equal(ids(page), tc.want) || more != tc.more {
			t.Errorf("%q: %v more=%v err=%v, want %v more=%v", tc.query, ids(page), more, err, tc.want, tc.more)
		}
	}
	for query, param := range map[string]string{
		"limit=0": "limit", "limit=1001": "limit", "limit=x": "limit",
		"after_id=zz": "after_id", "before_id=zz": "before_id", "after_id=a&before_id=c": "before_id",
	} {
		q, _ := url.ParseQuery(query)
		if _, _, err := pageModels(all, q); err == nil || err.Status != 400 || err.Param != param {
			t.Errorf("%q: %v, want a 400 naming %s", query, err, param)
		}
	}
}
