package server

import (
	"reflect"
	"strings"
	"testing"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/redact"
)

// TestChatAnswerMembersNameNoSecret holds what hideSecrets assumes of a chat
// answer without tool calls (call.ownKeyedAnswer): that JSONHiding would hide
// none of its members, so masking its URLs' passwords alone records it as
// JSONHiding would. Every member the two answer types can encode is looked
// at (their types' JSON names, so that a field added later is too), but for
// the tool calls, which the flag excludes: none may be named like a secret,
// nor "arguments" (whose JSON JSONHiding reads).
func TestChatAnswerMembersNameNoSecret(t *testing.T) {
	for _, v := range []any{openai.ChatCompletion{}, openai.TextCompletion{}} {
		for _, name := range memberNames(reflect.TypeOf(v), map[reflect.Type]bool{}) {
			if redact.SecretName(name) || name == "arguments" {
				t.Errorf("%T encodes a member %q that JSONHiding hides or reads: hideSecrets may no longer skip its scan (ownKeyedAnswer)", v, name)
			}
		}
	}
}

// memberNames lists the JSON member names values of typ can encode, but for
// the fields of tool calls.
func memberNames(typ reflect.Type, seen map[reflect.Type]bool) []string {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] {
		return nil
	}
	seen[typ] = true
	var names []string
	for f := range typ.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == "tool_calls" || name == "function_call" { // a call's answer is scanned whole (ownKeyedAnswer false)
			continue
		}
		names = append(names, name)
		names = append(names, memberNames(f.Type, seen)...)
	}
	return names
}
