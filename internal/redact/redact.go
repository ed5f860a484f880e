// Package redact removes secrets from JSON bodies before they are stored.
package redact

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// Placeholder replaces a secret's value.
const Placeholder = "[REDACTED]"

// quick is a cheap screen: a body without any of these words has nothing to
// redact, and is stored as it came (the common case costs one scan).
var quick = regexp.MustCompile(`(?i)key|token|secret|pass|cookie|auth|bearer|credential`)

// objectKey finds what may be an object key: a JSON string followed by a
// colon. It may also match inside a string value (never missing a key),
// which only costs the full parse.
var objectKey = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"\s*:`)

// hasSecretName reports whether any object key in body may name a secret.
// A large message whose text merely mentions a token is then stored as it
// came, without decoding the whole body into a tree and encoding it again.
func hasSecretName(body []byte) bool {
	for _, m := range objectKey.FindAllSubmatchIndex(body, -1) {
		name := body[m[2]:m[3]]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if json.Unmarshal(body[m[0]:m[3]+1], &s) != nil {
				return true // cannot tell: look properly
			}
			name = []byte(s)
		}
		if SecretName(string(name)) {
			return true
		}
	}
	return false
}

// JSON returns body with the value of every object field whose name looks
// like a secret replaced by Placeholder, at any depth. A body that is not
// JSON is returned as is.
func JSON(body []byte) []byte {
	if !quick.Match(body) || !hasSecretName(body) {
		return body
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return body
	}
	if !walk(v) {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return body
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// walk redacts in place and reports whether anything changed.
func walk(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if SecretName(k) {
				if _, isObj := val.(map[string]any); !isObj {
					x[k] = Placeholder
					changed = true
					continue
				}
			}
			changed = walk(val) || changed
		}
	case []any:
		for _, val := range x {
			changed = walk(val) || changed
		}
	}
	return changed
}
