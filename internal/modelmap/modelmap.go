// Package modelmap maps the model names clients send (coding agents send
// their vendor's: claude-…, gpt-5…) onto Qwen models: MODEL_MAP's
// pattern=qwen-model pairs, then the built-in fallbacks.
package modelmap

import (
	"fmt"
	"strings"
)

// Rule maps the names matching Pattern (`*` matches any run of characters)
// to the Qwen model Target.
type Rule struct {
	Pattern string
	Target  string
}

// Fallbacks are the patterns sent to DEFAULT_MODEL when no MODEL_MAP rule
// matches, so that Claude Code and Codex work out of the box, and the
// tools that name OpenAI's other models: its image models (dall-e-2,
// dall-e-3, chatgpt-image-latest; gpt-image-1 is a gpt-* name) and
// chatgpt-4o-latest. Without chatgpt-* the images routes' own GPT image
// model names (gpt-image-…, chatgpt-image-…) were half refused: the
// chatgpt-image-… ones were a 404 model_not_found.
var Fallbacks = []string{"claude-*", "gpt-*", "chatgpt-*", "dall-e-*"}

// Parse reads MODEL_MAP: comma-separated pattern=qwen-model pairs, e.g.
// "claude-*=qwen3-coder-plus,gpt-*=qwen3-max". Errors name the bad pair.
func Parse(s string) ([]Rule, error) {
	var rules []Rule
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		pattern, target, ok := strings.Cut(pair, "=")
		pattern, target = strings.TrimSpace(pattern), strings.TrimSpace(target)
		if !ok || pattern == "" || target == "" {
			return nil, fmt.Errorf("%q is not a pattern=qwen-model pair", pair)
		}
		if strings.Contains(target, "*") {
			return nil, fmt.Errorf("%q: the Qwen model cannot be a pattern", pair)
		}
		rules = append(rules, Rule{Pattern: pattern, Target: target})
	}
	return rules, nil
}

// Map resolves requested model names.
type Map struct {
	Rules   []Rule // MODEL_MAP, first match wins
	Default string // DEFAULT_MODEL: for names matching Fallbacks, and for none
}

// Resolve returns the Qwen model for requested and whether a rule (or the
// default) decided it; unmapped names are returned as they are, for the
// caller to check against Qwen's list.
func (m Map) Resolve(requested string) (model string, mapped bool) {
	if requested == "" {
		return m.Default, true
	}
	for _, r := range m.Rules {
		if Match(r.Pattern, requested) {
			return r.Target, true
		}
	}
	for _, p := range Fallbacks {
		if Match(p, requested) {
			return m.Default, true
		}
	}
	return requested, false
}

// Why says which setting sent requested (a name Resolve maps) to its model,
// for messages about that model: "MODEL_MAP maps claude-x to
// qwen3-coder-plus", or "DEFAULT_MODEL, which answers gpt-4o, is
// qwen3-max".
func (m Map) Why(requested string) string {
	for _, r := range m.Rules {
		if Match(r.Pattern, requested) {
			return fmt.Sprintf("MODEL_MAP maps %s to %s", requested, r.Target)
		}
	}
	if requested == "" {
		return "DEFAULT_MODEL, which answers a request naming no model, is " + m.Default
	}
	return fmt.Sprintf("DEFAULT_MODEL, which answers %s, is %s", requested, m.Default)
}

// Target is a model the configuration sends names to: DEFAULT_MODEL
// (Pattern empty) or a MODEL_MAP rule's.
type Target struct {
	Setting string // "DEFAULT_MODEL" or "MODEL_MAP"
	Pattern string // the MODEL_MAP rule's pattern
	Model   string
}

// Targets lists the models the configuration names: DEFAULT_MODEL, then
// each MODEL_MAP rule's target, in order (so that each can be checked
// against Qwen's list).
func (m Map) Targets() []Target {
	out := []Target{{Setting: "DEFAULT_MODEL", Model: m.Default}}
	for _, r := range m.Rules {
		out = append(out, Target{Setting: "MODEL_MAP", Pattern: r.Pattern, Model: r.Target})
	}
	return out
}

// Match reports whether name matches pattern, where `*` matches any run of
// characters (including '/') and every other character itself. It runs on
// every call (Resolve), so it allocates nothing: after a mismatch it goes
// back to the last `*` and lets it take one more byte.
func Match(pattern, name string) bool {
	p, n := 0, 0
	star, resume := -1, 0 // the last '*' seen, and where its run ends now
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			resume++
			p, n = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
