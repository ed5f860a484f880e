package modelmap

import "testing"

func TestResolve(t *testing.T) {
	rules, err := Parse(" claude-*=qwen3-coder-plus, gpt-5*=qwen3-max ,exact=qwen3-vl-plus,a/*=q")
	if err != nil {
		t.Fatal(err)
	}
	m := Map{Rules: rules, Default: "qwen-default"}
	cases := []struct {
		in, want string
		mapped   bool
	}{
		{"", "qwen-default", true},
		{"claude-sonnet-4-5", "qwen3-coder-plus", true},
		{"gpt-5-codex", "qwen3-max", true},
		{"gpt-4o", "qwen-default", true}, // the built-in fallback
		{"chatgpt-image-latest", "qwen-default", true},
		{"chatgpt-4o-latest", "qwen-default", true},
		{"exact", "qwen3-vl-plus", true},
		{"exactly", "exactly", false},
		{"a/b/c", "q", true}, // * crosses '/'
		{"qwen3-max", "qwen3-max", false},
		{"llama-3", "llama-3", false},
	}
	for _, c := range cases {
		got, mapped := m.Resolve(c.in)
		if got != c.want || mapped != c.mapped {
			t.Errorf("Resolve(%q) = %q %v, want %q %v", c.in, got, mapped, c.want, c.mapped)
		}
	}
	if got, _ := (Map{Default: "d"}).Resolve("claude-3-haiku"); got != "d" {
		t.Errorf("without MODEL_MAP claude-* goes to %q", got)
	}
	if !Match("x[1]?", "x[1]?") || Match("x?", "xy") {
		t.Error("only * may be special")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{"claude", "=qwen", "claude-*=", "a=b*"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// Why names the setting that decided a mapped name, for the messages that
// say a configured target is not one of Qwen's models.
func TestWhyAndTargets(t *testing.T) {
	m := Map{Rules: []Rule{{Pattern: "claude-*", Target: "qwen3-coder-plus"}}, Default: "qwen3-max"}
	for in, want := range map[string]string{
		"claude-x": "MODEL_MAP maps claude-x to qwen3-coder-plus",
		"gpt-4o":   "DEFAULT_MODEL, which answers gpt-4o, is qwen3-max",
		"":         "DEFAULT_MODEL, which answers a request naming no model, is qwen3-max",
	} {
		if got := m.Why(in); got != want {
			t.Errorf("Why(%q) = %q, want %q", in, got, want)
		}
	}
	got := m.Targets()
	if len(got) != 2 || got[0] != (Target{Setting: "DEFAULT_MODEL", Model: "qwen3-max"}) ||
		got[1] != (Target{Setting: "MODEL_MAP", Pattern: "claude-*", Model: "qwen3-coder-plus"}) {
		t.Errorf("Targets() = %+v", got)
	}
}
